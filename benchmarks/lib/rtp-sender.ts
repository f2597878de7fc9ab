/**
 * The RTP-ingest load generator, run as its own process (see rtp-loadgen.ts):
 * M cameras, each its own UDP socket (bound to 127.0.0.1) and SSRC, sending the
 * same PS-over-RTP clip (ps-camera.ts) in real time to one RTP port each.
 * Camera i starts i × spread / M ms after the first, so keyframe bursts do not
 * line up.
 *
 *   node --import tsx rtp-sender.ts '<json: {ports, spec, spreadMs, ssrcBase}>'
 *
 * stdin commands, one per line, each answered by one JSON line on stdout:
 *   start   → {type:'started'}           begin sending
 *   mark    → {type:'marked'}            start a counting window
 *   report  → {type:'report', ...}       counts since the mark, and since start
 *   halt    → {type:'halted', total}     stop sending; totals since start
 *   quit                                 close the sockets and exit
 * It exits by itself when stdin closes (the benchmark went away).
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { buildCamera, type CameraSpec } from './ps-camera.js';

interface Config {
  ports: number[];
  spec: CameraSpec;
  spreadMs: number;
  ssrcBase: number;
}

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
const clip = await buildCamera(config.spec);
const count = config.ports.length;
const counts = { packets: 0, bytes: 0, frames: 0, sendErrors: 0 };

interface Camera {
  readonly socket: Socket;
  readonly ssrc: number;
  readonly offsetMs: number;
  next: number;
}

const cameras: Camera[] = await Promise.all(
  config.ports.map(
    (port, i) =>
      new Promise<Camera>((resolve, reject) => {
        const socket = createSocket('udp4');
        socket.once('error', reject);
        socket.bind(0, '127.0.0.1', () => {
          socket.connect(port, '127.0.0.1', () => {
            socket.off('error', reject);
            socket.on('error', () => void counts.sendErrors++);
            resolve({ socket, ssrc: (config.ssrcBase + i) >>> 0, offsetMs: (i * config.spreadMs) / count, next: 0 });
          });
        });
      }),
  ),
);

let mark = { ...counts, at: performance.now(), maxLagMs: 0, lagOver10: 0 };
let maxLagMs = 0;
let lagOver10 = 0;
let t0 = 0;
let timer: NodeJS.Timeout | undefined;
let finished = false;

function send(c: Camera, i: number): void {
  const packet = clip.packets[i]!;
  // The clip's header with this camera's SSRC: a fresh 12 bytes per packet, since send() may
  // still hold the buffer after it returns. The payload is shared by every camera, never written.
  const header = Buffer.allocUnsafe(12);
  header.set(packet.subarray(0, 8));
  header.writeUInt32BE(c.ssrc, 8);
  c.socket.send([header, packet.subarray(12)]);
  counts.packets++;
  counts.bytes += packet.byteLength;
  counts.frames += clip.endsFrame[i]!;
}

function tick(): void {
  const now = performance.now();
  let done = 0;
  for (const c of cameras) {
    const base = t0 + c.offsetMs;
    while (c.next < clip.packets.length) {
      const due = base + clip.sendTimesMs[c.next]!;
      if (due > now) break;
      const lag = now - due;
      if (lag > maxLagMs) maxLagMs = lag;
      if (lag > 10) lagOver10++;
      send(c, c.next++);
    }
    if (c.next >= clip.packets.length) done++;
  }
  if (done === cameras.length) {
    finished = true;
    clearInterval(timer);
  }
}

function reply(msg: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function quit(): void {
  clearInterval(timer);
  for (const c of cameras) c.socket.close();
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    switch (line.trim()) {
      case 'start':
        t0 = performance.now() + 20;
        timer = setInterval(tick, 1);
        reply({ type: 'started' });
        break;
      case 'mark':
        mark = { ...counts, at: performance.now(), maxLagMs: 0, lagOver10 };
        maxLagMs = 0;
        reply({ type: 'marked' });
        break;
      case 'report': {
        const now = performance.now();
        reply({
          type: 'report',
          seconds: (now - mark.at) / 1000,
          packets: counts.packets - mark.packets,
          bytes: counts.bytes - mark.bytes,
          frames: counts.frames - mark.frames,
          sendErrors: counts.sendErrors - mark.sendErrors,
          maxLagMs,
          lagOver10: lagOver10 - mark.lagOver10,
          total: { ...counts, seconds: t0 > 0 ? (now - t0) / 1000 : 0 },
          finished,
        });
        break;
      }
      case 'halt':
        // Stop sending (the benchmark then reads the relay's totals against these).
        clearInterval(timer);
        finished = true;
        reply({ type: 'halted', total: { ...counts, seconds: t0 > 0 ? (performance.now() - t0) / 1000 : 0 } });
        break;
      case 'quit':
        quit();
        break;
    }
  })
  .on('close', quit);

reply({
  type: 'ready',
  cameras: count,
  rtpKbps: clip.rtpKbps,
  packetsPerSecond: clip.packetsPerSecond,
  framesPerSecond: (clip.videoFrames + clip.audioFrames) / (clip.videoFrames / clip.spec.fps),
  clipSeconds: clip.videoFrames / clip.spec.fps,
  packets: clip.packets.length,
});
