/**
 * Load generator: N light viewers of one live stream, in a process of their own so
 * that their CPU is not the server's.
 *
 *   node --import tsx benchmarks/lib/viewers.ts --port P --path /live/bench.live.mp4 --count N [--ws]
 *   node --import tsx benchmarks/lib/viewers.ts --rtmp rtmp://127.0.0.1:P/live/src --count N
 *     [--probes K] [--ref rtmp://127.0.0.1:O/live/src]
 *
 * HTTP viewers (progressive fMP4, HTTP-FLV): a raw `net` socket that sends one GET and
 * counts the bytes it reads. WebSocket viewers (`--ws`, the relay's WS fMP4): a raw `net`
 * socket that sends the HTTP/1.1 Upgrade request, checks the 101 and its
 * Sec-WebSocket-Accept (lib/ws-frames.ts), then counts every byte after the handshake,
 * frame headers included (2–10 bytes per message); only probes unwrap the frames. The relay
 * sends no pings, so nothing is ever written back. RTMP viewers (`--rtmp URL`): a raw `net` socket that runs the
 * RTMP handshake and connect / createStream / play with @sluice/rtmp-client's lower layers
 * (ClientHandshake, ChunkReader, ChunkWriter, the command encoders), then only counts
 * bytes, sending an Acknowledgement per window the server announced (which also keeps
 * nginx-rtmp's ping check satisfied). Reads land in one shared buffer (`onread`), so a
 * counting viewer allocates nothing per read.
 *
 * Delay probes (`--probes K`): K of the N viewers, spread evenly over the connection order
 * (first and last included), also parse their stream (fMP4 boxes, FLV tags, RTMP chunks;
 * lib/frames.ts) and note the arrival time of every video frame. A reference reader
 * (`--ref URL`, an RTMP player of the origin, parsing) notes when each frame left the
 * origin. A frame's delay at a probe is its arrival there minus its arrival at the
 * reference, frames matched by fingerprint (lib/frames.ts), both clocks this process's
 * performance.now(). The reference is not counted as a viewer. The report carries the raw
 * delays, so that the parent can pool the probes of several load-generator processes (each
 * with its own reference, on its own clock).
 *
 * Commands on stdin, one per line; each answer is one JSON line on stdout:
 *   status  → { type: 'status', count, connected, receiving, ended, failed, badStatus }
 *   mark    → starts a measuring window (per-viewer byte counts are remembered)
 *   report  → { type: 'report', seconds, total, min, max, mean, endedEarly, endedInWindow, delay: DelaySamples | null, ... } since mark
 *   quit    → closes every socket and exits
 * It also exits when stdin closes (the parent went away) or after --max-seconds.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  ChunkReader,
  ChunkWriter,
  ClientHandshake,
  MessageType,
  connectCommand,
  createStreamCommand,
  encodeAcknowledgement,
  encodeSetBufferLength,
  parseCommand,
  parseRtmpUrl,
  parseWindowAckSize,
  playCommand,
  statusInfo,
  type RtmpMessage,
  type RtmpUrl,
} from '../../packages/rtmp-client/dist/index.js';
import { Dechunker, FlvParser, Fmp4Parser, avccFingerprint, flvVideoFrame, type BodyParser, type FrameSink } from './frames.js';
import { WsUnwrapper, checkUpgradeResponse, wsUpgradeRequest } from './ws-frames.js';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    path: { type: 'string' },
    rtmp: { type: 'string' },
    ws: { type: 'boolean', default: false },
    count: { type: 'string' },
    batch: { type: 'string', default: '50' },
    probes: { type: 'string', default: '0' },
    ref: { type: 'string' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
if (!values.count || !(values.rtmp || (values.port && values.path))) {
  process.stderr.write(
    'usage: viewers.ts (--port P --path /app/stream.live.mp4 [--ws] | --rtmp rtmp://h:p/app/stream) --count N [--probes K] [--ref rtmp://…] [--host H] [--batch B] [--max-seconds S]\n',
  );
  process.exit(2);
}
const host = values.host!;
const count = Number(values.count);
const batch = Math.max(1, Number(values.batch));
const probeCount = Math.min(count, Math.max(0, Number(values.probes)));
const rtmpUrl: RtmpUrl | undefined = values.rtmp ? parseRtmpUrl(values.rtmp) : undefined;
const httpPath = values.path;
const httpPort = Number(values.port);
const overWebSocket = values.ws!;

/** Frame arrivals noted by a probe during the window. */
class Arrivals {
  fps: number[] = [];
  times: number[] = [];
  clear(): void {
    this.fps = [];
    this.times = [];
  }
}

let measuring = false;

abstract class Viewer {
  socket: Socket | undefined;
  connected = false;
  /** Bytes of media (after the HTTP response headers, or after play started). */
  body = 0;
  statusOk: boolean | undefined;
  ended = false;
  failed = false;
  markBody = 0;
  endedAt = 0;
  /** Set on probes: frames seen during the window. */
  arrivals: Arrivals | undefined;
  /** Set on probes and the reference: called per video frame. */
  onFrame: FrameSink | undefined;

  constructor(readonly counted: boolean) {}

  protected abstract opened(socket: Socket): void;
  protected abstract read(buf: Buffer, nread: number): void;

  /**
   * Connects; resolves once the server has answered (the first bytes arrived), the connection
   * ended, or ANSWER_WAIT_MS passed. Waiting for the answer, not just the TCP handshake, keeps
   * the number of connections the server has not yet accepted at one batch: the kernel completes
   * the handshake on its own, and a server too busy to accept could otherwise overflow its listen
   * queue, after which Linux silently drops connections the client believes established.
   */
  open(port: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ANSWER_WAIT_MS);
      const answered = (): void => {
        clearTimeout(timer);
        resolve();
      };
      let first = true;
      const socket = connect({
        host,
        port,
        onread: {
          buffer: shared,
          callback: (nread: number, buf: Uint8Array): boolean => {
            if (first) {
              first = false;
              answered();
            }
            this.read(buf as Buffer, nread);
            return true;
          },
        },
      });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.connected = true;
        this.opened(socket);
      });
      const done = (): void => {
        if (!this.connected) this.failed = true;
        if (!this.ended) {
          this.ended = true;
          this.endedAt = Date.now();
        }
        answered();
      };
      socket.on('error', done);
      socket.on('close', done);
    });
  }

  protected fail(why: string): void {
    if (this.statusOk === undefined) this.statusOk = false;
    process.stderr.write(`viewers: ${why}\n`);
    this.socket?.destroy();
  }
}

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');

/** How long a connecting viewer waits for the server's first bytes before the next batch goes anyway. */
const ANSWER_WAIT_MS = 3_000;

class HttpViewer extends Viewer {
  private headerDone = false;
  private head = '';
  private parser: BodyParser | undefined;

  private static readonly request = Buffer.from(
    `GET ${httpPath} HTTP/1.1\r\nHost: ${host}:${httpPort}\r\nUser-Agent: sluice-bench\r\nAccept: */*\r\n\r\n`,
    'latin1',
  );

  protected opened(socket: Socket): void {
    socket.write(HttpViewer.request);
  }

  protected read(b: Buffer, nread: number): void {
    if (this.headerDone) {
      this.body += nread;
      if (this.parser) this.parse(b.subarray(0, nread));
      return;
    }
    if (this.statusOk === undefined) this.statusOk = b.toString('latin1', 0, Math.min(nread, 12)) === 'HTTP/1.1 200';
    const at = b.subarray(0, nread).indexOf(HEADER_END);
    if (this.onFrame) this.head += b.toString('latin1', 0, at >= 0 ? at : nread);
    if (at < 0) return;
    this.headerDone = true;
    this.body += nread - (at + 4);
    if (this.onFrame) {
      const sink = this.onFrame;
      const inner: BodyParser = /\.flv(\?|$)/.test(httpPath!) ? new FlvParser(sink) : new Fmp4Parser(sink);
      this.parser = /^transfer-encoding:\s*chunked/im.test(this.head) ? new Dechunker(inner) : inner;
      this.parse(b.subarray(at + 4, nread));
    }
  }

  private parse(data: Uint8Array): void {
    try {
      this.parser!.push(data);
    } catch (err) {
      this.parser = undefined;
      this.fail(`probe could not parse its stream: ${(err as Error).message}`);
    }
  }
}

/** The relay's WS fMP4: Upgrade handshake, then binary messages of fMP4 (unwrapped by probes only). */
class WsViewer extends Viewer {
  private headerDone = false;
  private head = '';
  private accept = '';
  private parser: BodyParser | undefined;

  protected opened(socket: Socket): void {
    const { request, accept } = wsUpgradeRequest(host, httpPort, httpPath!);
    this.accept = accept;
    socket.write(request);
  }

  protected read(b: Buffer, nread: number): void {
    if (this.headerDone) {
      this.body += nread;
      if (this.parser) this.parse(b.subarray(0, nread));
      return;
    }
    const at = b.subarray(0, nread).indexOf(HEADER_END);
    this.head += b.toString('latin1', 0, at >= 0 ? at : nread);
    if (at < 0) {
      if (this.head.length > 8192) this.fail('WebSocket: no end of the handshake response in 8 KB');
      return;
    }
    const why = checkUpgradeResponse(this.head, this.accept);
    this.head = '';
    if (why !== undefined) return this.fail(`WebSocket handshake: ${why}`);
    this.statusOk = true;
    this.headerDone = true;
    this.body += nread - (at + 4);
    if (this.onFrame) {
      this.parser = new WsUnwrapper(new Fmp4Parser(this.onFrame));
      this.parse(b.subarray(at + 4, nread));
    }
  }

  private parse(data: Uint8Array): void {
    try {
      this.parser!.push(data);
    } catch (err) {
      this.parser = undefined;
      this.fail(`probe could not parse its stream: ${(err as Error).message}`);
    }
  }
}

/** Chunk stream ids for what we send, as FFmpeg and @sluice/rtmp-client use them. */
const CSID_CONTROL = 2;
const CSID_COMMAND = 3;
const CSID_STREAM = 8;

class RtmpViewer extends Viewer {
  private readonly handshake = new ClientHandshake();
  private handshaking = true;
  private reader: ChunkReader | undefined = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private playing = false;
  private window = 0;
  private received = 0;
  private lastAck = 0;

  /**
   * @param quickAck send an Acknowledgement after every read once playing (the reference reader):
   *   the ACK of the data rides on it at once. nginx-rtmp does not set TCP_NODELAY, so without
   *   this Nagle's algorithm on the origin can hold a frame until the reader's delayed ACK (40 ms).
   */
  constructor(
    counted: boolean,
    private readonly url: RtmpUrl,
    private readonly quickAck = false,
  ) {
    super(counted);
  }

  protected opened(socket: Socket): void {
    socket.write(this.handshake.start());
  }

  private send(csid: number, type: number, streamId: number, payload: Uint8Array): void {
    this.socket!.write(this.writer.encode({ csid, type, streamId, timestamp: 0, payload }));
  }

  protected read(b: Buffer, nread: number): void {
    this.received += nread;
    if (this.playing) {
      this.body += nread;
      if (this.quickAck || (this.window > 0 && this.received - this.lastAck >= this.window)) {
        this.lastAck = this.received;
        this.send(CSID_CONTROL, MessageType.Acknowledgement, 0, encodeAcknowledgement(this.received));
      }
      if (this.reader === undefined) return;
    }
    try {
      let data: Uint8Array = b.subarray(0, nread);
      if (this.handshaking) {
        const step = this.handshake.push(data);
        if (step.send !== null) this.socket!.write(step.send);
        if (!step.done) return;
        this.handshaking = false;
        this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, connectCommand(this.url, 1));
        data = step.rest;
      }
      for (const msg of this.reader!.push(data)) this.message(msg);
    } catch (err) {
      this.reader = undefined;
      this.fail(`RTMP viewer: ${(err as Error).message}`);
    }
  }

  private message(msg: RtmpMessage): void {
    if (msg.type === MessageType.Video) {
      if (!this.playing) this.startPlaying();
      if (this.onFrame) {
        const frame = flvVideoFrame(msg.payload);
        if (frame !== null) {
          const fp = avccFingerprint(frame);
          if (fp >= 0) this.onFrame(fp);
        }
      }
      return;
    }
    if (this.playing) return;
    if (msg.type === MessageType.Audio) {
      this.startPlaying();
    } else if (msg.type === MessageType.WindowAckSize) {
      this.window = parseWindowAckSize(msg.payload);
    } else if (msg.type === MessageType.CommandAmf0) {
      const cmd = parseCommand(msg.payload);
      if (cmd.name === '_result' && cmd.transactionId === 1) {
        this.send(CSID_COMMAND, MessageType.CommandAmf0, 0, createStreamCommand(2));
      } else if (cmd.name === '_result' && cmd.transactionId === 2) {
        const id = typeof cmd.args[0] === 'number' ? cmd.args[0] : 1;
        this.send(CSID_STREAM, MessageType.CommandAmf0, id, playCommand(this.url.streamName));
        this.send(CSID_CONTROL, MessageType.UserControl, 0, encodeSetBufferLength(id, 3000));
      } else if (cmd.name === '_error') {
        this.fail(`RTMP ${JSON.stringify(statusInfo(cmd.args[0] ?? null))}`);
      } else if (cmd.name === 'onStatus') {
        const info = statusInfo(cmd.args[0] ?? null);
        if (info?.level === 'error') this.fail(`RTMP play failed: ${info.code}`);
        else if (info?.code === 'NetStream.Play.Start') this.startPlaying();
      }
    }
  }

  /** From here on only bytes are counted (and, on probes and the reference, frames parsed). */
  private startPlaying(): void {
    this.playing = true;
    this.statusOk = true;
    if (this.onFrame === undefined) this.reader = undefined;
  }
}

const shared = Buffer.allocUnsafe(256 * 1024);
const makeViewer = (): Viewer =>
  rtmpUrl ? new RtmpViewer(true, rtmpUrl) : overWebSocket ? new WsViewer(true) : new HttpViewer(true);
const viewers: Viewer[] = Array.from({ length: count }, makeViewer);
const port = rtmpUrl ? rtmpUrl.port : httpPort;

// Probes: evenly over the connection order, first and last included.
const probes: Viewer[] = [];
for (let i = 0; i < probeCount; i++) {
  const v = viewers[probeCount === 1 ? 0 : Math.round((i * (count - 1)) / (probeCount - 1))]!;
  if (v.arrivals) continue;
  const arrivals = new Arrivals();
  v.arrivals = arrivals;
  v.onFrame = (fp) => {
    if (!measuring) return;
    arrivals.fps.push(fp);
    arrivals.times.push(performance.now());
  };
  probes.push(v);
}

/** Reference arrival times per fingerprint (a fingerprint recurs once per loop of the clip). */
const refTimes = new Map<number, number[]>();
let reference: Viewer | undefined;
if (values.ref) {
  const refUrl = parseRtmpUrl(values.ref);
  reference = new RtmpViewer(false, refUrl, true);
  reference.onFrame = (fp) => {
    const now = performance.now();
    const list = refTimes.get(fp);
    if (list === undefined) refTimes.set(fp, [now]);
    else {
      list.push(now);
      if (list.length > 8) list.shift();
    }
  };
}

let markAt = 0n;
let markTime = 0;

function summary(): Record<string, number> {
  let connected = 0;
  let receiving = 0;
  let ended = 0;
  let failed = 0;
  let badStatus = 0;
  for (const v of viewers) {
    if (v.connected) connected++;
    if (v.body > 0) receiving++;
    if (v.ended) ended++;
    if (v.failed) failed++;
    if (v.statusOk === false) badStatus++;
  }
  return { count, connected, receiving, ended, failed, badStatus, refReceiving: reference ? (reference.body > 0 ? 1 : 0) : -1 };
}

/**
 * Frame delays at the probes since mark, in ms, raw (null without probes and reference): the
 * parent pools them over its load-generator processes and takes the quantiles (loadgen.ts).
 */
function delays(): Record<string, unknown> | null {
  if (probes.length === 0 || reference === undefined) return null;
  const samples: number[] = [];
  const probeP50s: number[] = [];
  let unmatched = 0;
  for (const p of probes) {
    const a = p.arrivals!;
    const mine: number[] = [];
    for (let i = 0; i < a.fps.length; i++) {
      const t = a.times[i]!;
      let best = Infinity;
      for (const r of refTimes.get(a.fps[i]!) ?? []) if (Math.abs(t - r) < Math.abs(best)) best = t - r;
      // The clip repeats every 30 s: anything not within 5 s is a different loop, or no match.
      if (Math.abs(best) < 5000) mine.push(Math.round(best * 100) / 100);
      else unmatched++;
    }
    mine.sort((x, y) => x - y);
    if (mine.length) probeP50s.push(mine[Math.ceil(mine.length / 2) - 1]!);
    samples.push(...mine);
  }
  return { probes: probes.length, unmatched, samples, probeP50s };
}

function report(): Record<string, unknown> {
  const seconds = Number(process.hrtime.bigint() - markAt) / 1e9;
  let total = 0;
  let min = Infinity;
  let max = 0;
  let endedInWindow = 0;
  for (const v of viewers) {
    const got = v.body - v.markBody;
    total += got;
    if (got < min) min = got;
    if (got > max) max = got;
    if (v.ended && v.endedAt >= markTime) endedInWindow++;
  }
  const s = summary();
  return {
    ...s,
    seconds,
    total,
    min: viewers.length ? min : 0,
    max,
    mean: viewers.length ? total / viewers.length : 0,
    endedEarly: s.ended!,
    endedInWindow,
    delay: delays(),
  };
}

function send(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function quit(code: number): never {
  for (const v of viewers) v.socket?.destroy();
  reference?.socket?.destroy();
  process.exit(code);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'status') send({ type: 'status', ...summary() });
  else if (cmd === 'mark') {
    for (const v of viewers) v.markBody = v.body;
    for (const p of probes) p.arrivals!.clear();
    measuring = true;
    markAt = process.hrtime.bigint();
    markTime = Date.now();
    send({ type: 'marked' });
  } else if (cmd === 'report') send({ type: 'report', ...report() });
  else if (cmd === 'quit') quit(0);
});
lines.on('close', () => quit(0));
setTimeout(() => {
  process.stderr.write('viewers: --max-seconds reached, exiting\n');
  quit(3);
}, Number(values['max-seconds']) * 1000).unref();

// The reference first, so that it is receiving before any viewer is.
if (reference) await reference.open(parseRtmpUrl(values.ref!).port);
// Open the connections a batch at a time, each batch answered before the next (see Viewer.open),
// so the server's listen queue never overflows.
for (let i = 0; i < count; i += batch) {
  await Promise.all(viewers.slice(i, i + batch).map((v) => v.open(port)));
}
send({ type: 'opened', ...summary() });
// Keep the process alive while sockets exist (stdin keeps it alive too).
