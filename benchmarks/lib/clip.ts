/**
 * The benchmark's source clip: encoded once with ffmpeg into a cache directory,
 * then published with `-c copy` so the publisher costs almost nothing while the
 * relay is measured.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClipSpec {
  seconds: number;
  size: string;
  fps: number;
  videoKbps: number;
  audioKbps: number;
  gop: number;
}

export const DEFAULT_CLIP: ClipSpec = { seconds: 30, size: '1280x720', fps: 25, videoKbps: 1900, audioKbps: 128, gop: 50 };

export const CACHE_DIR = join(tmpdir(), 'sluice-bench');

/** The ffmpeg arguments that encode the clip (also printed in the results). */
export function encodeArgs(spec: ClipSpec, out: string): string[] {
  const v = `${spec.videoKbps}k`;
  return [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${spec.size}:rate=${spec.fps}:duration=${spec.seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:beep_factor=4:sample_rate=44100:duration=${spec.seconds}`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-g', String(spec.gop), '-keyint_min', String(spec.gop), '-sc_threshold', '0',
    '-b:v', v, '-minrate', v, '-maxrate', v, '-bufsize', v, '-x264-params', 'nal-hrd=cbr',
    '-c:a', 'aac', '-b:a', `${spec.audioKbps}k`, '-ar', '44100', '-ac', '2',
    '-f', 'flv', out,
  ];
}

/** Returns the cached clip's path, encoding it first if it is not there. */
export async function ensureClip(spec: ClipSpec = DEFAULT_CLIP): Promise<{ path: string; encoded: boolean }> {
  mkdirSync(CACHE_DIR, { recursive: true });
  const name = `clip-${spec.size}-${spec.fps}fps-${spec.seconds}s-v${spec.videoKbps}k-a${spec.audioKbps}k-g${spec.gop}.flv`;
  const path = join(CACHE_DIR, name);
  if (existsSync(path)) return { path, encoded: false };
  const partial = `${path}.${process.pid}.partial.flv`;
  try {
    await run('ffmpeg', encodeArgs(spec, partial), { timeout: 300_000 });
    renameSync(partial, path);
  } finally {
    rmSync(partial, { force: true });
  }
  return { path, encoded: true };
}

export interface ClipBitrate {
  /** Media payload (H.264 + AAC access units) per second, as the relay receives it. */
  payloadKbps: number;
  videoKbps: number;
  audioKbps: number;
  seconds: number;
  videoFrames: number;
  audioFrames: number;
  /** Frames per second over both tracks: one fMP4 fragment each. */
  framesPerSecond: number;
}

/** Measures the clip: sums its packets per stream (ffprobe) over its duration. */
export async function measureClip(path: string, fps: number = DEFAULT_CLIP.fps): Promise<ClipBitrate> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-show_entries', 'packet=stream_index,size:stream=index,codec_type', '-of', 'json', path],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const parsed = JSON.parse(stdout) as {
    packets: { stream_index: number; size: string }[];
    streams: { index: number; codec_type: string }[];
  };
  const kind = new Map(parsed.streams.map((s) => [s.index, s.codec_type]));
  let vBytes = 0;
  let aBytes = 0;
  let vFrames = 0;
  let aFrames = 0;
  for (const p of parsed.packets) {
    const size = Number(p.size);
    if (kind.get(p.stream_index) === 'video') {
      vBytes += size;
      vFrames++;
    } else {
      aBytes += size;
      aFrames++;
    }
  }
  // One loop plays for as long as its video: frames / frame rate.
  const seconds = vFrames / fps;
  return {
    payloadKbps: ((vBytes + aBytes) * 8) / seconds / 1000,
    videoKbps: (vBytes * 8) / seconds / 1000,
    audioKbps: (aBytes * 8) / seconds / 1000,
    seconds,
    videoFrames: vFrames,
    audioFrames: aFrames,
    framesPerSecond: (vFrames + aFrames) / seconds,
  };
}
