/**
 * The WebTransport output end to end on loopback: an ffmpeg-made H.264 + AAC file is
 * demuxed with mediabunny and pushed into a MediaSource in real time (2x); the
 * library's own clients connect — the Node client over WebTransport-over-HTTP/2, the
 * browser ponyfill over the WebSocket mapping — and what they receive is parsed back
 * with mediabunny.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebTransport } from '@fails-components/webtransport';
import { audioTrackFromAsc, videoTrackFromAvcC, type MediaFrame, type Track } from '@sluice/codec';
import { DEFAULT_VHOST, MediaSource } from '@sluice/core';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocketClient from 'ws';
import { Logger } from '../src/log.js';
import { Fmp4Streams } from '../src/outputs/fmp4-stream.js';
import {
  WebTransportCloseCode,
  generateSelfSignedCertificate,
  startWebTransportOutput,
  type WebTransportOutput,
  type WebTransportOutputOptions,
} from '../src/outputs/webtransport.js';

const SECONDS = 8;
const VIDEO_TIMESCALE = 90_000;

interface Media {
  tracks: Track[];
  /** Both tracks, in arrival order (by time); `at` is the frame's time in seconds. */
  frames: { at: number; frame: MediaFrame }[];
}

let dir: string;
let media: Media;
let http3Present: boolean;
/** TCP handles of this worker with no output or client alive (its own channel to vitest). */
let baseline: number;

/** Demuxes with mediabunny into the relay's model, the way a pulled source hands frames over. */
async function demux(bytes: Uint8Array): Promise<Media> {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const tracks: Track[] = [];
  const frames: Media['frames'] = [];
  for (const t of await input.getTracks()) {
    const description = (await t.getDecoderConfig())?.description;
    if (!description) throw new Error(`track ${t.id} has no decoder configuration`);
    const config = ArrayBuffer.isView(description)
      ? new Uint8Array(description.buffer, description.byteOffset, description.byteLength)
      : new Uint8Array(description);
    const track = t.isVideoTrack() ? videoTrackFromAvcC(1, config, VIDEO_TIMESCALE) : audioTrackFromAsc(2, config);
    tracks.push(track);
    for await (const p of new EncodedPacketSink(t).packets()) {
      // 1 s later than the file: AAC priming puts the first audio packet below zero.
      const at = p.timestamp + 1;
      // No B-frames in the source (-bf 0), so decode order is presentation order.
      const ts = Math.round(at * track.timescale);
      frames.push({
        at,
        frame: { trackId: track.id, kind: track.kind, dts: ts, pts: ts, keyframe: p.type === 'key', data: p.data },
      });
    }
  }
  frames.sort((a, b) => a.at - b.at);
  return { tracks, frames };
}

/** Pushes every frame when its time comes, `speed` times faster than real time; resolves after the last or when stopped. */
function play(source: MediaSource, speed: number, signal?: AbortSignal): Promise<void> {
  const start = performance.now();
  const first = media.frames[0]!.at;
  let i = 0;
  return new Promise((resolve) => {
    const tick = (): void => {
      const now = (performance.now() - start) / 1000;
      while (i < media.frames.length && (media.frames[i]!.at - first) / speed <= now) source.pushFrame(media.frames[i++]!.frame);
      if (i === media.frames.length || signal?.aborted) return resolve();
      setTimeout(tick, Math.max(0, ((media.frames[i]!.at - first) / speed - now) * 1000));
    };
    tick();
  });
}

function newSource(stream: string): MediaSource {
  const source = new MediaSource({ vhost: DEFAULT_VHOST, app: 'live', stream });
  source.setTracks(media.tracks);
  return source;
}

function waitReady(source: MediaSource): Promise<void> {
  return source.ready ? Promise.resolve() : new Promise((resolve) => source.once('ready', () => resolve()));
}

class NotFound extends Error {
  readonly status = 404;
}

const quiet = new Logger({ level: 'error', write: () => undefined });
const outputs: WebTransportOutput[] = [];
const proxies: StallableProxy[] = [];

interface StallableProxy {
  readonly port: number;
  /** Stops carrying server-to-client bytes: the viewer's link is stalled. */
  stall(): void;
  close(): void;
}

/**
 * A TCP relay to `port` whose server-to-client direction can be stalled, to make a viewer
 * slow the way a congested network does: the library's client reads (and grants flow
 * control credit) whether or not the application reads, so only the link can be slow.
 */
async function stallableProxy(port: number): Promise<StallableProxy> {
  const sockets = new Set<Socket>();
  const upstreams: Socket[] = [];
  const server = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    upstreams.push(up);
    for (const s of [down, up]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    down.pipe(up);
    up.pipe(down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: StallableProxy = {
    port: (server.address() as AddressInfo).port,
    stall() {
      for (const up of upstreams) {
        up.unpipe();
        up.pause();
      }
    },
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
  proxies.push(proxy);
  return proxy;
}
const sources: MediaSource[] = [];

async function startOutput(
  streams: Map<string, MediaSource>,
  fmp4 = new Fmp4Streams({ maxPendingBytes: 4 * 1024 * 1024, mergeWriteMs: 0 }),
  tls: Partial<WebTransportOutputOptions> = {},
): Promise<{ output: WebTransportOutput; fmp4: Fmp4Streams }> {
  const output = await startWebTransportOutput(
    { host: '127.0.0.1', port: 0, ...tls },
    {
      fmp4,
      log: quiet,
      resolveStream: async (app, stream, vhost) => {
        const source = vhost === DEFAULT_VHOST && app === 'live' ? streams.get(stream) : undefined;
        if (!source) throw new NotFound(`stream ${vhost}/${app}/${stream} not found`);
        return source;
      },
    },
  );
  outputs.push(output);
  return { output, fmp4 };
}

/** The library's Node client, reliable (HTTP/2) mode, trusting the output's certificate by its hash. */
function nodeClient(output: WebTransportOutput, path: string, port = output.port): WebTransport {
  const client = new WebTransport(`https://127.0.0.1:${port}${path}`, {
    forceReliable: true,
    serverCertificateHashes: [{ algorithm: 'sha-256', value: output.certificateHash! }],
  } as ConstructorParameters<typeof WebTransport>[1]);
  // Observed by each test as it needs; never an unhandled rejection.
  client.ready.catch(() => undefined);
  client.closed.catch(() => undefined);
  return client;
}

/** Reads the first server-opened unidirectional stream to its end. */
async function readFirstStream(incoming: ReadableStream<ReadableStream<Uint8Array>>): Promise<Uint8Array> {
  const streams = incoming.getReader();
  const { value: stream } = await streams.read();
  streams.releaseLock();
  if (!stream) throw new Error('no unidirectional stream arrived');
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(new Uint8Array(value));
  }
  return Buffer.concat(chunks);
}

interface Parsed {
  video: { codec: string | null; width: number; height: number; timestamps: number[]; duration: number };
  audio: { codec: string | null; packets: number };
}

async function parse(bytes: Uint8Array): Promise<Parsed> {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const video = await input.getPrimaryVideoTrack();
  const audio = await input.getPrimaryAudioTrack();
  if (!video || !audio) throw new Error('the received bytes lack a video or an audio track');
  const timestamps: number[] = [];
  let last = 0;
  for await (const p of new EncodedPacketSink(video).packets()) {
    timestamps.push(p.timestamp);
    last = p.timestamp + p.duration;
  }
  let audioPackets = 0;
  for await (const _ of new EncodedPacketSink(audio).packets()) audioPackets++;
  return {
    video: {
      codec: await video.getCodec(),
      width: await video.getDisplayWidth(),
      height: await video.getDisplayHeight(),
      timestamps,
      duration: last - (timestamps[0] ?? 0),
    },
    audio: { codec: await audio.getCodec(), packets: audioPackets },
  };
}

function expectPlayable(parsed: Parsed, minSeconds: number): void {
  expect(parsed.video).toMatchObject({ codec: 'avc', width: 640, height: 360 });
  expect(parsed.audio.codec).toBe('aac');
  expect(parsed.audio.packets).toBeGreaterThan(minSeconds * 40);
  expect(parsed.video.duration).toBeGreaterThanOrEqual(minSeconds);
  expect(parsed.video.timestamps.length).toBeGreaterThanOrEqual(minSeconds * 25);
  for (let i = 1; i < parsed.video.timestamps.length; i++) {
    expect(parsed.video.timestamps[i]).toBeGreaterThan(parsed.video.timestamps[i - 1]!);
  }
}

function tcpHandles(): number {
  return process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
}

/** Polls a condition that an asynchronous teardown makes true; fails after `ms`. */
async function eventually(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-wt-'));
  const file = join(dir, 'testsrc2-640x360-8s-h264-aac.mp4');
  const ff = spawnSync(
    '/usr/bin/ffmpeg',
    [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', String(SECONDS),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-bf', '0', '-pix_fmt', 'yuv420p',
      '-c:a', 'aac', '-ac', '2', file,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (ff.status !== 0) throw new Error(`ffmpeg failed: ${ff.stderr}`);
  media = await demux(readFileSync(file));
  http3Present = await import('@fails-components/webtransport-transport-http3-quiche' as string).then(
    () => true,
    () => false,
  );
  baseline = tcpHandles();
});

afterEach(async () => {
  for (const source of sources.splice(0)) source.close('test over');
  await Promise.all(outputs.splice(0).map((o) => o.close()));
  for (const proxy of proxies.splice(0)) proxy.close();
  // Every test leaves no connection behind, on the server's side or the clients'.
  await eventually('the test\'s TCP handles are closed', () => tcpHandles() <= baseline);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('WebTransport output', () => {
  it('the source is what the test claims: h264 640x360 at 25 fps + AAC, 8 s, a keyframe a second', () => {
    const [video, audio] = media.tracks;
    expect(video).toMatchObject({ kind: 'video', codec: 'h264', width: 640, height: 360, timescale: VIDEO_TIMESCALE });
    expect(audio).toMatchObject({ kind: 'audio', codec: 'aac', sampleRate: 44_100, timescale: 44_100 });
    const videoFrames = media.frames.filter((f) => f.frame.kind === 'video');
    expect(videoFrames).toHaveLength(SECONDS * 25);
    expect(videoFrames.filter((f) => f.frame.keyframe)).toHaveLength(SECONDS);
  });

  it('sends the init segment and every fragment from the latest keyframe on one stream (Node client, HTTP/2)', async () => {
    const source = newSource('test');
    sources.push(source);
    const { output } = await startOutput(new Map([['test', source]]));
    // Without the native HTTP/3 module (this machine), the HTTP/2 transport serves alone.
    expect(output.mode).toBe(http3Present ? 'http3' : 'http2');
    expect(output.certificateHash).toHaveLength(32);

    const playing = play(source, 2);
    await waitReady(source);
    const client = nodeClient(output, '/live/test.live.mp4');
    await client.ready;
    const received = readFirstStream(client.incomingUnidirectionalStreams as ReadableStream<ReadableStream<Uint8Array>>);
    await eventually('the viewer is counted', () => source.viewerCount === 1);
    expect(source.viewers()[0]).toMatchObject({ protocol: 'webtransport-fmp4', remoteAddress: '127.0.0.1' });

    await playing;
    source.close('end of file');
    // The source ending flushes the stream (FIN), then closes the session normally.
    const bytes = await received;
    await expect(client.closed).resolves.toEqual({ closeCode: WebTransportCloseCode.streamEnded, reason: 'stream ended' });
    expect(source.viewerCount).toBe(0);

    // Joined within the first ~2 s of media, so at least 5 s of the 8 s arrive.
    expectPlayable(await parse(bytes), 5);
  });

  it('closes the session of an unknown stream at once, with a code and a reason', async () => {
    const { output } = await startOutput(new Map());
    const started = performance.now();
    const client = nodeClient(output, '/live/nope.live.mp4?vhost=__defaultVhost__');
    await client.ready;
    await expect(client.closed).resolves.toEqual({
      closeCode: WebTransportCloseCode.notFound,
      reason: `stream ${DEFAULT_VHOST}/live/nope not found`,
    });
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('refuses a path that names no stream in the handshake', async () => {
    const { output } = await startOutput(new Map());
    const client = nodeClient(output, '/index/api/getServerConfig');
    await expect(client.ready).rejects.toThrow('Opening handshake failed');
  });

  it('drops a viewer on a stalled link to the next keyframe, without holding back another viewer', async () => {
    const source = newSource('busy');
    sources.push(source);
    // 64 KiB of back-pressure: a few frames of this source.
    const fmp4 = new Fmp4Streams({ maxPendingBytes: 64 * 1024, mergeWriteMs: 0 });
    const { output } = await startOutput(new Map([['busy', source]]), fmp4);
    const link = await stallableProxy(output.port);
    const playing = play(source, 4);
    await waitReady(source);

    const slow = nodeClient(output, '/live/busy.live.mp4', link.port);
    await slow.ready;
    const { value: slowStream } = await slow.incomingUnidirectionalStreams.getReader().read();
    expect(slowStream).toBeDefined();
    link.stall();
    const fast = nodeClient(output, '/live/busy.live.mp4');
    await fast.ready;
    const received = readFirstStream(fast.incomingUnidirectionalStreams as ReadableStream<ReadableStream<Uint8Array>>);

    await playing;
    expect(fmp4.for(source).droppedTotal).toBeGreaterThan(0);
    expect(source.viewerCount).toBe(2);
    source.close('end of file');
    // The fast viewer got its whole share, in order (joined within the first ~2 s of media).
    expectPlayable(await parse(await received), 5);
  });

  it('serves the browser ponyfill over the WebSocket mapping', async () => {
    const tls = await generateSelfSignedCertificate('127.0.0.1');
    const source = newSource('pony');
    sources.push(source);
    const { output } = await startOutput(new Map([['pony', source]]), undefined, tls);
    // What a browser has and Node 20 lacks: a WebSocket global (here ws, trusting the
    // output's certificate as a browser would after the user accepted it) and `navigator`.
    const globals = globalThis as { WebSocket?: unknown; navigator?: unknown };
    const saved = { WebSocket: globals.WebSocket, navigator: globals.navigator };
    globals.WebSocket = class extends WebSocketClient {
      constructor(url: string, protocols: string[]) {
        super(url, protocols, { ca: tls.cert });
      }
    };
    globals.navigator ??= {};
    try {
      const ponyfillPath = new URL('../node_modules/@fails-components/webtransport/lib/index.browser.js', import.meta.url).pathname;
      const { WebTransportPonyfill } = (await import(ponyfillPath)) as { WebTransportPonyfill: typeof WebTransport };
      const playing = play(source, 4);
      await waitReady(source);
      const client = new WebTransportPonyfill(`https://127.0.0.1:${output.port}/live/pony.live.mp4`);
      client.closed.catch(() => undefined);
      await client.ready;
      const received = readFirstStream(client.incomingUnidirectionalStreams as ReadableStream<ReadableStream<Uint8Array>>);
      await playing;
      source.close('end of file');
      const parsed = await parse(await received);
      expectPlayable(parsed, 4);
      await expect(client.closed).resolves.toMatchObject({ closeCode: WebTransportCloseCode.streamEnded });
    } finally {
      globals.WebSocket = saved.WebSocket;
      globals.navigator = saved.navigator;
    }
  });

  it('ignores what a viewer sends: datagrams and streams are dropped, the video goes on', async () => {
    const source = newSource('chatty');
    sources.push(source);
    const { output } = await startOutput(new Map([['chatty', source]]));
    const stopPlaying = new AbortController();
    const playing = play(source, 4, stopPlaying.signal);
    await waitReady(source);
    const client = nodeClient(output, '/live/chatty.live.mp4');
    await client.ready;
    const datagrams = client.datagrams.createWritable().getWriter();
    for (let i = 0; i < 200; i++) void datagrams.write(new Uint8Array(1000).fill(i)).catch(() => undefined);
    const bidi = await client.createBidirectionalStream();
    void bidi.writable.getWriter().write(new Uint8Array(64 * 1024)).catch(() => undefined);
    const uni = await client.createUnidirectionalStream();
    void uni.getWriter().write(new Uint8Array(64 * 1024)).catch(() => undefined);

    const { value: stream } = await client.incomingUnidirectionalStreams.getReader().read();
    const reader = (stream as ReadableStream<Uint8Array>).getReader();
    let bytes = 0;
    while (bytes < 200 * 1024) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended early');
      bytes += value.byteLength;
    }
    expect(source.viewerCount).toBe(1);
    stopPlaying.abort();
    await playing;
  });

  it('fails to start with a typed error: port taken, or cert and key that do not match', async () => {
    const { output } = await startOutput(new Map());
    await expect(startOutput(new Map(), undefined, { port: output.port })).rejects.toMatchObject({ code: 'START_FAILED' });
    const one = await generateSelfSignedCertificate('127.0.0.1');
    const other = await generateSelfSignedCertificate('127.0.0.1');
    await expect(startOutput(new Map(), undefined, { cert: one.cert, key: other.key })).rejects.toMatchObject({ code: 'CERTIFICATE' });
    await expect(startOutput(new Map(), undefined, { cert: one.cert })).rejects.toMatchObject({ code: 'CERTIFICATE' });
  });

  it('close() ends live sessions with a reason and leaves no socket open', async () => {
    const source = newSource('closing');
    sources.push(source);
    const { output } = await startOutput(new Map([['closing', source]]));
    const stopPlaying = new AbortController();
    const playing = play(source, 2, stopPlaying.signal);
    await waitReady(source);
    const client = nodeClient(output, '/live/closing.live.mp4');
    await client.ready;
    // A player reads its stream; one that does not would not notice its connection end either.
    const reading = readFirstStream(client.incomingUnidirectionalStreams as ReadableStream<ReadableStream<Uint8Array>>);
    reading.catch(() => undefined);
    await eventually('the viewer is counted', () => source.viewerCount === 1);
    expect(tcpHandles()).toBeGreaterThan(baseline);

    await output.close();
    await expect(client.closed).resolves.toEqual({
      closeCode: WebTransportCloseCode.unavailable,
      reason: 'server shutting down',
    });
    expect(source.viewerCount).toBe(0);
    // The client's end closes once the server has cut its connection: give it its turn.
    await eventually('no TCP handle is left', () => tcpHandles() === baseline);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(output.port, '127.0.0.1');
      socket.once('connect', () => resolve('connected'));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
    stopPlaying.abort();
    await playing;
  });
});
