/**
 * The relay's per-packet receive path for PS over RTP/UDP, in one process, without
 * the kernel: every datagram of 30 s of the RTP-ingest camera (benchmarks/lib/ps-camera.ts,
 * ~199 packets/s) is handed to an `RtpUdpReceiver` as Node's dgram socket would hand
 * it ('message' with a Buffer and a fresh rinfo object), and its 'packet' events go
 * on to an `RtpPayloadDemuxer` (PS demux and frame assembly, start-code scans,
 * splitAnnexB of each video access unit): what the relay's inline remux does before
 * its track builders.
 *
 *   pnpm vitest bench --run benchmarks/rtp-receive.bench.ts
 *
 * Before / after: run the same file in a checkout of the older commit (the file only
 * imports packages/*\/src, so it runs unchanged there: `git worktree add /tmp/before <commit>`,
 * copy this file and benchmarks/lib/camera-frames.ts in). One iteration is the whole
 * clip with a fresh receiver and demuxer; µs per packet = 1e6 / (hz × packets).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:dgram';
import { cpus } from 'node:os';
import { bench, describe } from 'vitest';
import { RtpPayloadDemuxer, RtpUdpReceiver, parseRtpPacket, type RtpPacket } from '../packages/rtp-receiver/src/index.js';
import { cameraFrames } from './lib/camera-frames.js';

const cam = await cameraFrames(30);
const datagrams = cam.datagrams;
const port = 40000;

/** Delivers every datagram to a receiver on a stand-in socket; returns what came out. */
function receive(withDemux: boolean): { packets: number; frames: number } {
  const socket = new EventEmitter();
  const receiver = new RtpUdpReceiver(socket as unknown as Socket);
  const demux = new RtpPayloadDemuxer();
  let packets = 0;
  let frames = 0;
  receiver.on('packet', (p: RtpPacket) => {
    packets++;
    if (withDemux) frames += demux.push(p).length;
  });
  for (const d of datagrams) socket.emit('message', d, { address: '127.0.0.1', family: 'IPv4', port, size: d.byteLength });
  receiver.close();
  return { packets, frames };
}

function demuxOnly(): number {
  const demux = new RtpPayloadDemuxer();
  let frames = 0;
  for (const d of datagrams) frames += demux.push(parseRtpPacket(d)).length;
  return frames;
}

const check = receive(true);
if (check.packets !== datagrams.length) throw new Error(`${check.packets} of ${datagrams.length} packets came out`);
console.log(
  [
    `node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}`,
    `datagrams per iteration: ${datagrams.length} (${datagrams.reduce((n, d) => n + d.byteLength, 0)} bytes), ` +
      `frames out: ${check.frames} (${cam.videoAus.length} video)`,
  ].join('\n'),
);

const options = { time: 3000, warmupTime: 500 };

describe(`RTP receive of ${datagrams.length} datagrams (30 s of one 2 Mb/s PS camera)`, () => {
  bench('RtpUdpReceiver only (parse, SSRC filter, reorder, emit)', () => void receive(false), options);
  bench('RtpUdpReceiver + RtpPayloadDemuxer (PS demux, frames)', () => void receive(true), options);
  bench('RtpPayloadDemuxer only (parseRtpPacket + PS demux)', () => void demuxOnly(), options);
});
