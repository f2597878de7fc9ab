/**
 * The RTP-ingest benchmark's camera: a 720p H.264 + AAC clip encoded once (cached)
 * at a constant bitrate, cut into MPEG-PS over RTP the way GB28181 cameras send it,
 * with the PS writers of test/helpers/ps-rtp.ts (pack header per frame, system
 * header + PSM before each keyframe, PES split at 65535 bytes, RTP payloads of at
 * most 1400 bytes, marker on each frame's last packet, 90 kHz timestamps).
 *
 * `buildPsRtpPackets` there encodes at a fixed quality (testsrc2 at 720p comes out
 * near 7 Mbps), so the benchmark encodes its own elementary streams at the rate it
 * wants and packetizes them the same way.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { concat, packHeader, pes, programStreamMap, rtpPacket, splitAccessUnits, splitAdts, systemHeader } from '../../test/helpers/ps-rtp.js';
import { CACHE_DIR } from './clip.js';

const run = promisify(execFile);

export interface CameraSpec {
  readonly seconds: number;
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  /** Constant video bitrate (x264 nal-hrd=cbr, filler included). */
  readonly videoKbps: number;
  /** Keyframe interval in frames. */
  readonly gop: number;
  /** AAC-LC, mono. */
  readonly audioRate: number;
  readonly audioKbps: number;
}

/** About 2 Mbps on the wire (RTP level): 1900 kb/s video + 32 kb/s audio + PS/PES/RTP headers. */
export const DEFAULT_CAMERA: Omit<CameraSpec, 'seconds'> = {
  width: 1280,
  height: 720,
  fps: 25,
  videoKbps: 1900,
  gop: 50,
  audioRate: 16000,
  audioKbps: 32,
};

const TICKS = 90_000;
const MAX_PAYLOAD = 1400;
const PAYLOAD_TYPE = 96;
/** Replaced per stream by the sender. */
export const PLACEHOLDER_SSRC = 0;

export interface CameraClip {
  readonly spec: CameraSpec;
  /** Whole RTP packets (SSRC = PLACEHOLDER_SSRC), sequence numbers from 0. */
  readonly packets: Uint8Array[];
  /** Send time of each packet, ms from the first (all packets of a frame at the frame's time). */
  readonly sendTimesMs: number[];
  /** 1 for a frame's last packet (marker): a frame is complete once it is sent. */
  readonly endsFrame: Uint8Array;
  readonly videoFrames: number;
  readonly audioFrames: number;
  /** RTP bytes (header + payload) per second, and packets per second. */
  readonly rtpKbps: number;
  readonly packetsPerSecond: number;
  /** The ffmpeg arguments (for the results). */
  readonly encodeCommand: string;
}

function encodeArgs(spec: CameraSpec, video: string, audio: string): string[] {
  const v = `${spec.videoKbps}k`;
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${spec.width}x${spec.height}:rate=${spec.fps}:duration=${spec.seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=${spec.audioRate}:duration=${spec.seconds}`,
    '-map', '0:v', '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'main', '-bf', '0', '-pix_fmt', 'yuv420p',
    '-g', String(spec.gop), '-keyint_min', String(spec.gop), '-sc_threshold', '0',
    '-b:v', v, '-minrate', v, '-maxrate', v, '-bufsize', v, '-x264-params', 'nal-hrd=cbr', '-f', 'h264', video,
    '-map', '1:a', '-c:a', 'aac', '-b:a', `${spec.audioKbps}k`, '-ac', '1', '-f', 'adts', audio,
  ];
}

/** Encodes the elementary streams once into the benchmark cache; returns their paths. */
async function ensureEs(spec: CameraSpec): Promise<{ video: string; audio: string; encoded: boolean; command: string }> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const base = `ps-camera-${spec.width}x${spec.height}-${spec.fps}fps-${spec.seconds}s-v${spec.videoKbps}k-g${spec.gop}-a${spec.audioRate}-${spec.audioKbps}k`;
  const video = join(CACHE_DIR, `${base}.h264`);
  const audio = join(CACHE_DIR, `${base}.aac`);
  const command = `ffmpeg ${encodeArgs(spec, 'video.h264', 'audio.aac').join(' ')}`;
  if (existsSync(video) && existsSync(audio)) return { video, audio, encoded: false, command };
  const tmpV = `${video}.${process.pid}.partial`;
  const tmpA = `${audio}.${process.pid}.partial`;
  try {
    await run('ffmpeg', encodeArgs(spec, tmpV, tmpA), { timeout: 300_000 });
    renameSync(tmpV, video);
    renameSync(tmpA, audio);
  } finally {
    rmSync(tmpV, { force: true });
    rmSync(tmpA, { force: true });
  }
  return { video, audio, encoded: true, command };
}

/** Makes sure the clip's elementary streams are in the cache (call once, before the sender processes start). */
export async function prepareCamera(spec: CameraSpec): Promise<{ encoded: boolean; command: string }> {
  const { encoded, command } = await ensureEs(spec);
  return { encoded, command };
}

/** Builds the packets from the cached elementary streams (prepareCamera first). */
export async function buildCamera(spec: CameraSpec): Promise<CameraClip> {
  const es = await ensureEs(spec);
  const { aus, keyframes } = splitAccessUnits(new Uint8Array(readFileSync(es.video)), 'h264');
  const adts = splitAdts(new Uint8Array(readFileSync(es.audio)));
  const first = TICKS;
  const audioTicks = (1024 * TICKS) / spec.audioRate;
  type Unit = { kind: 'video' | 'audio'; index: number; pts: number };
  const units: Unit[] = [
    ...aus.map((_, index) => ({ kind: 'video' as const, index, pts: first + Math.round((index * TICKS) / spec.fps) })),
    ...adts.map((_, index) => ({ kind: 'audio' as const, index, pts: first + Math.round(index * audioTicks) })),
  ].sort((a, b) => a.pts - b.pts || (a.kind === 'video' ? -1 : 1));

  const packets: Uint8Array[] = [];
  const sendTimesMs: number[] = [];
  const ends: number[] = [];
  let seq = 0;
  for (const u of units) {
    let ps: Uint8Array;
    if (u.kind === 'video') {
      const parts = [packHeader(u.pts)];
      if (keyframes[u.index]) parts.push(systemHeader(true), programStreamMap(0x1b, 0x0f));
      const au = aus[u.index]!;
      const max = 0xffff - 3 - 5; // PES_packet_length counts 3 flag bytes + 5 PTS bytes + payload
      for (let off = 0; off < au.byteLength; off += max) {
        parts.push(pes(0xe0, au.subarray(off, Math.min(au.byteLength, off + max)), off === 0 ? u.pts : undefined, false));
      }
      ps = concat(parts);
    } else {
      ps = concat([packHeader(u.pts), pes(0xc0, adts[u.index]!, u.pts, false)]);
    }
    const ts = (u.pts - first) % 2 ** 32;
    for (let off = 0; off < ps.byteLength; off += MAX_PAYLOAD) {
      const end = Math.min(ps.byteLength, off + MAX_PAYLOAD);
      packets.push(rtpPacket(PAYLOAD_TYPE, seq & 0xffff, ts, PLACEHOLDER_SSRC, end === ps.byteLength, ps.subarray(off, end)));
      sendTimesMs.push(((u.pts - first) * 1000) / TICKS);
      ends.push(end === ps.byteLength ? 1 : 0);
      seq++;
    }
  }
  const seconds = aus.length / spec.fps;
  const bytes = packets.reduce((n, p) => n + p.byteLength, 0);
  return {
    spec,
    packets,
    sendTimesMs,
    endsFrame: Uint8Array.from(ends),
    videoFrames: aus.length,
    audioFrames: adts.length,
    rtpKbps: (bytes * 8) / seconds / 1000,
    packetsPerSecond: packets.length / seconds,
    encodeCommand: es.command,
  };
}
