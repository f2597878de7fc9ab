/**
 * The fan-out floor: the least a Node.js server can do to send the same bytes at
 * the same write rate as the relay. It answers any request with a 200 header and
 * then, `--rate` times a second, writes one shared Buffer of
 * (`--kbps` / 8 / rate) bytes to every connected viewer: one `socket.write` of
 * one Buffer per viewer per tick, nothing else (no parsing, no muxing, no
 * per-viewer state beyond the socket).
 *
 *   node --import tsx benchmarks/lib/floor-server.ts --port P --rate 68 --kbps 2100
 *
 * Prints "listening" when ready; exits on SIGTERM, when stdin closes, or after --max-seconds.
 */
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    rate: { type: 'string', default: '68' },
    kbps: { type: 'string', default: '2100' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
const rate = Number(values.rate);
const bytes = Math.max(1, Math.round((Number(values.kbps) * 1000) / 8 / rate));
const payload = Buffer.alloc(bytes, 0x5a);
const header = Buffer.from('HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n', 'latin1');
const viewers = new Set<Socket>();

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => socket.destroy());
  socket.on('close', () => viewers.delete(socket));
  socket.once('data', () => {
    socket.write(header);
    viewers.add(socket);
  });
});

const interval = 1000 / rate;
let next = performance.now();
function tick(): void {
  for (const s of viewers) if (s.writableLength < 4 * 1024 * 1024) s.write(payload);
  next += interval;
  setTimeout(tick, Math.max(0, next - performance.now()));
}

function quit(): void {
  for (const s of viewers) s.destroy();
  process.exit(0);
}
process.on('SIGTERM', quit);
process.stdin.on('end', quit).resume();
setTimeout(quit, Number(values['max-seconds']) * 1000).unref();

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write('listening\n');
  tick();
});
