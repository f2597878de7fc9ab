/**
 * MPEG-TS over RTP (RFC 2250: payload type 33, whole 188-byte packets, 7 per RTP
 * packet) from ffmpeg's own MPEG-TS muxer (`-f mpegts`), for receivers that must
 * accept TS in RTP. The RTP timestamp of each packet is the last PES PTS seen up to
 * it (90 kHz), which is what senders put there in practice.
 *
 * No dependency on the workspace packages (see ps-rtp.ts).
 */
import { spawn } from 'node:child_process';
import { rtpPacket } from './ps-rtp.js';

const FFMPEG = '/usr/bin/ffmpeg';
const TS = 188;

export interface TsRtpOptions {
  readonly video: 'h264' | 'h265';
  readonly audio?: 'aac';
  readonly seconds: number;
  readonly fps?: number;
  readonly width?: number;
  readonly height?: number;
  readonly ssrc?: number;
  /** Default 33 (MP2T). */
  readonly payloadType?: number;
  /** TS packets per RTP packet (default 7). */
  readonly packetsPerRtp?: number;
  readonly firstSequence?: number;
}

export interface TsRtpStream {
  readonly packets: Uint8Array[];
  readonly sendTimesMs: number[];
  /** PES packets started on the video / audio PID: what a demuxer should deliver. */
  readonly frames: { readonly video: number; readonly audio: number };
  /** The raw transport stream ffmpeg wrote. */
  readonly ts: Uint8Array;
}

const cache = new Map<string, Promise<Uint8Array>>();

export async function buildTsRtpPackets(options: TsRtpOptions): Promise<TsRtpStream> {
  const fps = options.fps ?? 25;
  const key = JSON.stringify([options.video, options.audio, options.seconds, fps, options.width, options.height]);
  let p = cache.get(key);
  if (!p) {
    p = encodeTs(options, fps);
    cache.set(key, p);
  }
  const ts = await p;
  const per = options.packetsPerRtp ?? 7;
  const pt = options.payloadType ?? 33;
  const ssrc = options.ssrc ?? 0x2250;
  let seq = options.firstSequence ?? 0;
  const packets: Uint8Array[] = [];
  const sendTimesMs: number[] = [];
  const pesStarts = new Map<number, number>();
  let firstPts: number | undefined;
  let lastPts = 0;
  for (let off = 0; off < ts.byteLength; off += per * TS) {
    const chunk = ts.subarray(off, Math.min(ts.byteLength, off + per * TS));
    for (let k = 0; k < chunk.byteLength; k += TS) {
      const info = pesStart(chunk.subarray(k, k + TS));
      if (!info) continue;
      pesStarts.set(info.pid, (pesStarts.get(info.pid) ?? 0) + 1);
      if (info.pts !== undefined) {
        firstPts ??= info.pts;
        lastPts = info.pts;
      }
    }
    const rel = lastPts - (firstPts ?? lastPts);
    packets.push(rtpPacket(pt, seq++ & 0xffff, lastPts % 2 ** 32, ssrc, false, chunk));
    sendTimesMs.push(Math.max(0, (rel * 1000) / 90_000));
  }
  // ffmpeg's PIDs: the first stream 0x100, the second 0x101.
  return { packets, sendTimesMs, frames: { video: pesStarts.get(0x100) ?? 0, audio: pesStarts.get(0x101) ?? 0 }, ts };
}

/** PID and PTS of a TS packet that starts a PES, or undefined. */
function pesStart(p: Uint8Array): { pid: number; pts?: number } | undefined {
  if (p[0] !== 0x47 || (p[1]! & 0x40) === 0) return undefined;
  const pid = ((p[1]! & 0x1f) << 8) | p[2]!;
  const afc = (p[3]! >> 4) & 3;
  let off = 4;
  if (afc & 2) off += 1 + p[4]!;
  if (!(afc & 1) || off + 14 > TS) return undefined;
  if (p[off] !== 0 || p[off + 1] !== 0 || p[off + 2] !== 1 || p[off + 3]! < 0xc0) return undefined;
  if ((p[off + 7]! & 0x80) === 0) return { pid };
  const b = p.subarray(off + 9, off + 14);
  const pts = ((b[0]! >> 1) & 7) * 2 ** 30 + ((b[1]! << 7) | (b[2]! >> 1)) * 2 ** 15 + ((b[3]! << 7) | (b[4]! >> 1));
  return { pid, pts };
}

function encodeTs(o: TsRtpOptions, fps: number): Promise<Uint8Array> {
  const size = `${o.width ?? 320}x${o.height ?? 240}`;
  const video =
    o.video === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-pix_fmt', 'yuv420p']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', `keyint=${fps}:min-keyint=${fps}:scenecut=0:bframes=0:log-level=error`];
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=${fps}`,
    ...(o.audio ? ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000'] : []),
    '-t', String(o.seconds),
    ...video,
    ...(o.audio ? ['-c:a', 'aac', '-b:a', '64k', '-ac', '1'] : []),
    // One audio frame per PES, so that PES count = frames delivered.
    '-pes_payload_size', '0', '-muxdelay', '0',
    '-f', 'mpegts', 'pipe:1',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(new Uint8Array(Buffer.concat(out))) : reject(new Error(`ffmpeg exited ${code}: ${err.slice(-500)}`))));
  });
}
