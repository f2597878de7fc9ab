import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteReader } from '@sluice/codec';
import { RtmpPlayer, type FlvAudioTag, type FlvVideoTag, type RtmpError, type RtmpPlayOptions } from '../src/index.js';
import { output, stop, stopAll } from '../../../test/helpers/child.js';
import { publishTestPattern, waitForPublishing } from '../../../test/helpers/ffmpeg.js';
import { startNginxRtmp, type NginxRtmp } from '../../../test/helpers/nginx-rtmp.js';
import { nextEvent, waitFor } from '../../../test/helpers/wait.js';

// Real peers: nginx-rtmp (Debian libnginx-mod-rtmp 1.2.2) as the origin, ffmpeg 5.1
// publishing a 640x360 25 fps H.264 (baseline, 1 s GOP) + AAC 44.1 kHz test pattern.

const APP = 'live';
const STREAM = 'pattern';

let nginx: NginxRtmp;
let ffmpeg: ChildProcess;
const players: RtmpPlayer[] = [];

beforeAll(async () => {
  nginx = await startNginxRtmp({ idleStreams: false, rtmps: true });
  ffmpeg = publishTestPattern({ url: nginx.rtmpUrl(APP, STREAM) });
  await waitForPublishing(nginx, APP, STREAM, 15_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\nffmpeg:\n${output(ffmpeg)}\nnginx:\n${nginx.log()}`);
  });
});

afterAll(async () => {
  for (const p of players) p.close();
  await stopAll();
  await nginx?.stop();
});

function player(options: RtmpPlayOptions): RtmpPlayer {
  const p = new RtmpPlayer(options);
  players.push(p);
  return p;
}

interface Recording {
  video: { tag: FlvVideoTag; at: number }[];
  audio: FlvAudioTag[];
  metadata: Record<string, unknown>[];
}

function record(p: RtmpPlayer): Recording {
  const r: Recording = { video: [], audio: [], metadata: [] };
  p.on('video', (tag) => r.video.push({ tag, at: performance.now() }));
  p.on('audio', (tag) => r.audio.push(tag));
  p.on('metadata', (m) => r.metadata.push(m));
  return r;
}

type Frame = Extract<FlvVideoTag, { kind: 'frame' }>;
const frames = (r: Recording): { tag: Frame; at: number }[] =>
  r.video.filter((v): v is { tag: Frame; at: number } => v.tag.kind === 'frame');

/** NAL unit types in a 4-byte-length-prefixed access unit. */
function nalTypes(data: Uint8Array): number[] {
  const r = new ByteReader(data);
  const types: number[] = [];
  while (r.remaining > 0) types.push(r.bytesView(r.u32())[0]! & 0x1f);
  return types;
}

/** The sequence headers nginx-rtmp replays to a joining player, then whole GOPs. */
function expectH264AndAacHeaders(r: Recording): void {
  const seq = r.video.find((v) => v.tag.kind === 'sequence-header')?.tag;
  expect(seq).toMatchObject({ kind: 'sequence-header', codec: 'h264' });
  const avcC = (seq as Extract<FlvVideoTag, { kind: 'sequence-header' }>).config;
  expect(avcC[0]).toBe(1); // configurationVersion
  expect(avcC[1]).toBe(66); // AVCProfileIndication: baseline

  const asc = r.audio.find((a) => a.kind === 'sequence-header');
  expect(asc).toMatchObject({ kind: 'sequence-header', codec: 'aac' });
  const config = (asc as Extract<FlvAudioTag, { kind: 'sequence-header' }>).config;
  expect(config[0]! >> 3).toBe(2); // audioObjectType: AAC LC
  expect(((config[0]! & 0x07) << 1) | (config[1]! >> 7)).toBe(4); // samplingFrequencyIndex 4: 44100 Hz
}

describe('RtmpPlayer with nginx-rtmp and ffmpeg', () => {
  it('plays H.264 + AAC over rtmp://: headers, 1 s keyframes, real-time DTS, growing bytesIn; close() unsubscribes', async () => {
    const p = player({ url: nginx.rtmpUrl(APP, STREAM) });
    await p.start();
    // Attached after start() on purpose: what arrived with Play.Start is held back for these.
    const r = record(p);
    const bytesAtStart = p.bytesIn;
    expect(await nginx.subscribers(APP, STREAM)).toBe(1);

    // Wait for 5 s of media by its own clock, then compare with the wall clock.
    await waitFor(
      () => {
        const f = frames(r);
        return f.length > 1 && f.at(-1)!.tag.timestamp - f[0]!.tag.timestamp >= 5000;
      },
      9000,
      '5 s of video',
    );
    const f = frames(r);
    const dtsSpan = f.at(-1)!.tag.timestamp - f[0]!.tag.timestamp;
    const wallSpan = f.at(-1)!.at - f[0]!.at;
    // Real time within 25 % (ffmpeg -re paces the source; nginx-rtmp keeps no GOP cache to burst).
    expect(wallSpan).toBeGreaterThan(dtsSpan * 0.75);
    expect(wallSpan).toBeLessThan(dtsSpan * 1.25);

    expectH264AndAacHeaders(r);
    expect(r.metadata[0]).toMatchObject({ width: 640, height: 360 });

    // 25 fps, DTS increasing, no B-frames (zerolatency), every keyframe an IDR.
    expect(f.length).toBeGreaterThanOrEqual(115);
    for (let i = 1; i < f.length; i++) expect(f[i]!.tag.timestamp).toBeGreaterThan(f[i - 1]!.tag.timestamp);
    expect(f.every((x) => x.tag.compositionTime === 0)).toBe(true);
    const keyframes = f.filter((x) => x.tag.keyframe);
    expect(keyframes.length).toBeGreaterThanOrEqual(4);
    for (const k of keyframes) expect(nalTypes(k.tag.data)).toContain(5);
    for (let i = 1; i < keyframes.length; i++) {
      const gap = keyframes[i]!.tag.timestamp - keyframes[i - 1]!.tag.timestamp;
      expect(gap).toBeGreaterThanOrEqual(950);
      expect(gap).toBeLessThanOrEqual(1050);
    }

    const audioFrames = r.audio.filter((a) => a.kind === 'frame');
    expect(audioFrames.length).toBeGreaterThan(150); // 44100 / 1024 ≈ 43 AAC frames per second
    expect(audioFrames[0]).toMatchObject({ codec: 'aac', soundRate: 44100 });

    expect(p.bytesIn - bytesAtStart).toBeGreaterThan(200_000); // 800 kb/s video for 5 s ≈ 500 kB

    const closed = nextEvent(p, 'close', 2000);
    p.close();
    expect(await closed).toEqual([undefined]);
    await waitFor(async () => (await nginx.subscribers(APP, STREAM)) === 0, 5000, 'nginx to drop the subscriber');
  });

  it('plays over rtmps:// through a TLS front (self-signed, rejectUnauthorized: false)', async () => {
    const p = player({ url: nginx.rtmpsUrl(APP, STREAM), tls: { rejectUnauthorized: false } });
    const r = record(p);
    await p.start();
    await waitFor(
      () => {
        const f = frames(r).filter((x) => x.tag.keyframe);
        return f.length >= 2;
      },
      5000,
      'two keyframes over TLS',
    );
    expectH264AndAacHeaders(r);
    expect(await nginx.subscribers(APP, STREAM)).toBe(1);
    const closed = nextEvent(p, 'close', 2000);
    p.close();
    await closed;
    await waitFor(async () => (await nginx.subscribers(APP, STREAM)) === 0, 5000, 'nginx to drop the TLS subscriber');
  });

  it('refuses rtmps:// with an untrusted certificate by default', async () => {
    const p = player({ url: nginx.rtmpsUrl(APP, STREAM) });
    await expect(p.start()).rejects.toThrow(expect.objectContaining({ code: 'SOCKET', message: expect.stringMatching(/certificate/) }));
  });

  it('reports a missing stream (idle_streams off) as STREAM_NOT_FOUND with nginx-rtmp\'s code and text', async () => {
    const p = player({ url: nginx.rtmpUrl(APP, 'missing') });
    const closed = nextEvent<[RtmpError | undefined]>(p, 'close', 5000);
    await expect(p.start()).rejects.toMatchObject({
      name: 'RtmpError',
      code: 'STREAM_NOT_FOUND',
      serverCode: 'NetStream.Play.StreamNotFound',
      description: 'No such stream',
    });
    expect((await closed)[0]).toMatchObject({ code: 'STREAM_NOT_FOUND' });
  });

  it('reports an unknown application as CLOSED_BY_PEER (nginx-rtmp hangs up without _error)', async () => {
    const p = player({ url: nginx.rtmpUrl('nosuchapp', STREAM) });
    await expect(p.start()).rejects.toThrow(
      expect.objectContaining({ code: 'CLOSED_BY_PEER', message: expect.stringMatching(/connecting-app/) }),
    );
  });

  // Last: it stops the publisher.
  it('is closed by nginx-rtmp when the publisher stops (idle_streams off): CLOSED_BY_PEER', async () => {
    const p = player({ url: nginx.rtmpUrl(APP, STREAM) });
    await p.start();
    const closed = nextEvent<[RtmpError | undefined]>(p, 'close', 5000);
    await stop(ffmpeg);
    expect((await closed)[0]).toMatchObject({ code: 'CLOSED_BY_PEER' });
  });
});
