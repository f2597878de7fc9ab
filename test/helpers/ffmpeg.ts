import type { ChildProcess } from 'node:child_process';
import { spawnTracked } from './child.js';
import type { NginxRtmp } from './nginx-rtmp.js';
import { waitFor } from './wait.js';

const FFMPEG = '/usr/bin/ffmpeg';

export interface TestPatternOptions {
  /** rtmp:// URL to publish to. */
  readonly url: string;
  readonly width?: number;
  readonly height?: number;
  readonly fps?: number;
  readonly audioRate?: number;
  /** Video bitrate, e.g. '800k'. */
  readonly bitrate?: string;
  /** Stop after this many seconds; runs until stopped otherwise. */
  readonly durationSec?: number;
  /** `-re`: read the inputs at their native rate, like a live source. Default true. */
  readonly realtime?: boolean;
  readonly profile?: 'baseline' | 'main';
  /**
   * Publish through ffmpeg's tee muxer without global headers, as some
   * restreaming setups do: the FLV AVC sequence header then carries an empty
   * configuration record and SPS/PPS travel in band only.
   */
  readonly emptySequenceHeader?: boolean;
}

/**
 * Publishes a moving test pattern (testsrc2) and a sine tone as H.264 + AAC in FLV
 * over RTMP: one keyframe per second exactly (GOP = fps, no scene-cut keyframes),
 * no B-frames (zerolatency). The process is tracked: stop it with child.ts `stop`
 * or `stopAll`.
 */
export function publishTestPattern(options: TestPatternOptions): ChildProcess {
  const { url, width = 640, height = 360, fps = 25, audioRate = 44100, bitrate = '800k', realtime = true } = options;
  const re = realtime ? ['-re'] : [];
  const args = [
    '-hide_banner', '-nostdin', '-loglevel', 'warning',
    ...re, '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    ...re, '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${audioRate}`,
    ...(options.durationSec === undefined ? [] : ['-t', String(options.durationSec)]),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', options.profile ?? 'baseline',
    '-pix_fmt', 'yuv420p', '-g', String(fps), '-keyint_min', String(fps), '-sc_threshold', '0', '-b:v', bitrate,
    '-c:a', 'aac', '-b:a', '64k', '-ar', String(audioRate),
    ...(options.emptySequenceHeader ? ['-map', '0:v', '-map', '1:a', '-f', 'tee', `[f=flv]${url}`] : ['-f', 'flv', url]),
  ];
  return spawnTracked(FFMPEG, args, { name: 'ffmpeg' });
}

/** Waits until nginx's stat lists app/stream as publishing. */
export async function waitForPublishing(nginx: NginxRtmp, app: string, stream: string, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => (await nginx.stat()).streams.some((s) => s.app === app && s.name === stream && s.publishing),
    timeoutMs,
    `${app}/${stream} to be published on nginx-rtmp`,
    100,
  );
}
