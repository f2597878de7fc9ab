/**
 * Load generator: N light HTTP viewers of one progressive stream, in a process of
 * their own so that their CPU is not the relay's.
 *
 *   node --import tsx benchmarks/lib/viewers.ts --port P --path /live/bench.live.mp4 --count N
 *
 * Each viewer is a raw `net` socket that sends one GET and counts the bytes it
 * reads. Reads land in one shared buffer (`onread`), so a viewer allocates nothing
 * per read and the data is dropped at once. No HTTP client runs per byte: only
 * the first read is looked at, for the status line and the end of the headers.
 *
 * Commands on stdin, one per line; each answer is one JSON line on stdout:
 *   status  → { type: 'status', count, connected, receiving, ended, failed, badStatus }
 *   mark    → starts a measuring window (per-viewer byte counts are remembered)
 *   report  → { type: 'report', seconds, total, min, max, mean, endedEarly, endedInWindow, ... } since mark
 *   quit    → closes every socket and exits
 * It also exits when stdin closes (the parent went away) or after --max-seconds.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string' },
    path: { type: 'string' },
    count: { type: 'string' },
    batch: { type: 'string', default: '50' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
if (!values.port || !values.path || !values.count) {
  process.stderr.write('usage: viewers.ts --port P --path /app/stream.live.mp4 --count N [--host H] [--batch B] [--max-seconds S]\n');
  process.exit(2);
}
const host = values.host!;
const port = Number(values.port);
const path = values.path;
const count = Number(values.count);
const batch = Math.max(1, Number(values.batch));

class Viewer {
  socket: Socket | undefined;
  connected = false;
  /** Bytes after the response headers. */
  body = 0;
  headerDone = false;
  statusOk: boolean | undefined;
  ended = false;
  failed = false;
  markBody = 0;
  endedAt = 0;
}

const viewers: Viewer[] = Array.from({ length: count }, () => new Viewer());
const shared = Buffer.allocUnsafe(256 * 1024);
const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUser-Agent: sluice-bench\r\nAccept: */*\r\n\r\n`, 'latin1');
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
let markAt = 0n;
let markTime = 0;

function open(v: Viewer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port,
      onread: {
        buffer: shared,
        callback(nread: number, buf: Uint8Array): boolean {
          if (v.headerDone) {
            v.body += nread;
            return true;
          }
          const b = buf as Buffer;
          if (v.statusOk === undefined) v.statusOk = b.toString('latin1', 0, Math.min(nread, 12)) === 'HTTP/1.1 200';
          const at = b.subarray(0, nread).indexOf(HEADER_END);
          if (at >= 0) {
            v.headerDone = true;
            v.body += nread - (at + 4);
          }
          return true;
        },
      },
    });
    v.socket = socket;
    socket.setNoDelay(true);
    socket.once('connect', () => {
      v.connected = true;
      socket.write(request);
      resolve();
    });
    const done = (): void => {
      if (!v.connected) v.failed = true;
      if (!v.ended) {
        v.ended = true;
        v.endedAt = Date.now();
      }
      resolve();
    };
    socket.on('error', done);
    socket.on('close', done);
  });
}

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
  return { count, connected, receiving, ended, failed, badStatus };
}

function report(): Record<string, number> {
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
  };
}

function send(obj: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function quit(code: number): never {
  for (const v of viewers) v.socket?.destroy();
  process.exit(code);
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = line.trim();
  if (cmd === 'status') send({ type: 'status', ...summary() });
  else if (cmd === 'mark') {
    for (const v of viewers) v.markBody = v.body;
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

// Open the connections a batch at a time so the relay's accept backlog never overflows.
for (let i = 0; i < count; i += batch) {
  await Promise.all(viewers.slice(i, i + batch).map(open));
}
send({ type: 'opened', ...summary() });
// Keep the process alive while sockets exist (stdin keeps it alive too).
