/**
 * Load generator for the many-streams benchmark: one light HTTP viewer per stream, M streams,
 * in a process of its own so that their CPU is not the relay's.
 *
 *   node --import tsx benchmarks/lib/many-viewers.ts --port P --app live --prefix s --count M
 *
 * Viewer i opens a raw `net` socket to 127.0.0.1:P, sends one `GET /<app>/<prefix><i>.live.mp4`
 * and counts the body bytes it reads. Reads land in one shared buffer (`onread`), so a
 * counting viewer allocates nothing per read; nothing is parsed after the response headers.
 *
 * Commands on stdin, one per line; each answer is one JSON line on stdout:
 *   status  → { type: 'status', count, connected, receiving, ended, failed, badStatus }
 *   mark    → starts a measuring window (every viewer's byte count is remembered)
 *   report  → { type: 'report', seconds, bytes: [per viewer, since mark], endedViewers: [indices], ... }
 *   quit    → closes every socket and exits
 * It also exits when stdin closes (the parent went away) or after --max-seconds.
 */
import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    app: { type: 'string', default: 'live' },
    prefix: { type: 'string', default: 's' },
    count: { type: 'string' },
    batch: { type: 'string', default: '50' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
if (!values.port || !values.count) {
  process.stderr.write('usage: many-viewers.ts --port P --count M [--app live] [--prefix s] [--batch 50] [--max-seconds 600]\n');
  process.exit(2);
}
const port = Number(values.port);
const count = Number(values.count);
const batch = Math.max(1, Number(values.batch));

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
/** Longest response header block we accept before calling the answer broken. */
const MAX_HEADER_BYTES = 8192;
const shared = Buffer.allocUnsafe(256 * 1024);

class StreamViewer {
  socket: Socket | undefined;
  connected = false;
  statusOk: boolean | undefined;
  /** Bytes after the response headers. */
  body = 0;
  markBody = 0;
  ended = false;
  endedAt = 0;
  failed = false;
  private headerDone = false;
  /** Header bytes seen so far, while the header block spans reads. */
  private head = '';
  private readonly request: Buffer;

  constructor(readonly path: string) {
    this.request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: sluice-bench\r\nAccept: */*\r\n\r\n`, 'latin1');
  }

  open(): Promise<void> {
    return new Promise((resolve) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        onread: {
          buffer: shared,
          callback: (nread: number, buf: Uint8Array): boolean => {
            this.read(buf as Buffer, nread);
            return true;
          },
        },
      });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.connected = true;
        socket.write(this.request);
        resolve();
      });
      const done = (): void => {
        if (!this.connected) this.failed = true;
        if (!this.ended) {
          this.ended = true;
          this.endedAt = Date.now();
        }
        resolve();
      };
      socket.on('error', done);
      socket.on('close', done);
    });
  }

  private read(b: Buffer, nread: number): void {
    if (this.headerDone) {
      this.body += nread;
      return;
    }
    // The header block may straddle reads: keep it as text until its end shows up.
    const text = this.head + b.toString('latin1', 0, nread);
    if (this.statusOk === undefined && text.length >= 12) this.statusOk = text.startsWith('HTTP/1.1 200');
    const at = text.indexOf(HEADER_END.toString('latin1'));
    if (at < 0) {
      this.head = text;
      if (text.length > MAX_HEADER_BYTES) this.fail(`${this.path}: no end of the response headers in ${text.length} bytes`);
      return;
    }
    this.headerDone = true;
    this.head = '';
    this.body += text.length - (at + 4);
    if (!this.statusOk) this.fail(`${this.path}: ${text.slice(0, text.indexOf('\r\n'))}`);
  }

  private fail(why: string): void {
    if (this.statusOk === undefined) this.statusOk = false;
    process.stderr.write(`many-viewers: ${why}\n`);
    this.socket?.destroy();
  }
}

const viewers = Array.from({ length: count }, (_, i) => new StreamViewer(`/${values.app}/${values.prefix}${i}.live.mp4`));

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

let markAt = process.hrtime.bigint();
let markTime = Date.now();

function report(): Record<string, unknown> {
  const seconds = Number(process.hrtime.bigint() - markAt) / 1e9;
  const endedViewers: number[] = [];
  let endedInWindow = 0;
  viewers.forEach((v, i) => {
    if (!v.ended) return;
    endedViewers.push(i);
    if (v.endedAt >= markTime) endedInWindow++;
  });
  return { ...summary(), seconds, bytes: viewers.map((v) => v.body - v.markBody), endedViewers, endedInWindow };
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
  process.stderr.write('many-viewers: --max-seconds reached, exiting\n');
  quit(3);
}, Number(values['max-seconds']) * 1000).unref();

// A batch at a time, so the relay's accept backlog never overflows.
for (let i = 0; i < count; i += batch) {
  await Promise.all(viewers.slice(i, i + batch).map((v) => v.open()));
}
