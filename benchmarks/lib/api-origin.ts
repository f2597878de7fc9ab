/**
 * The API benchmark's upstream: a tiny live stream that many proxies can pull at almost no
 * cost, so that the relay has 1000 live streams registered while its API is measured.
 *
 * One ffmpeg encodes 160x90 testsrc, video only, every frame a keyframe (each proxy is ready
 * with its first frame), at the lowest quality (~600 B a frame), and the tee muxer sends that one
 * encode to several nginx-rtmp origins (test/helpers/nginx-rtmp.ts). Several, because that
 * helper's nginx allows 256 connections: each origin serves at most PULLERS_PER_ORIGIN proxies.
 * Everything binds 127.0.0.1 and is stopped on exit, on error and on Ctrl-C (lib/cleanup.ts).
 */
import { readFileSync } from 'node:fs';
import { isRunning, output, spawnTracked, stop as stopChild } from '../../test/helpers/child.js';
import { waitForPublishing } from '../../test/helpers/ffmpeg.js';
import { startNginxRtmp, type NginxRtmp } from '../../test/helpers/nginx-rtmp.js';
import { onCleanup } from './cleanup.js';
import { childPids } from './proc.js';

/** Under the helper's `worker_connections 256`, with room for its listeners, the publisher and stat requests. */
export const PULLERS_PER_ORIGIN = 200;

export interface TinyStreamSpec {
  readonly fps: number;
  readonly width: number;
  readonly height: number;
}

export const TINY_STREAM: TinyStreamSpec = { fps: 2, width: 160, height: 90 };

export interface TinyOrigins {
  /** rtmp://127.0.0.1:PORT/live/src, one per origin. */
  readonly urls: readonly string[];
  /** The publisher's and the origins' pids, to report what the ingest costs outside the relay. */
  readonly pids: readonly number[];
  readonly spec: TinyStreamSpec;
}

/** Starts enough origins for `pullers` proxies and publishes the tiny stream to all of them. */
export async function startTinyOrigins(pullers: number, spec: TinyStreamSpec = TINY_STREAM): Promise<TinyOrigins> {
  const count = Math.max(1, Math.ceil(pullers / PULLERS_PER_ORIGIN));
  const origins: NginxRtmp[] = [];
  for (let i = 0; i < count; i++) {
    const nginx = await startNginxRtmp();
    onCleanup(`nginx-rtmp origin ${i}`, () => nginx.stop());
    origins.push(nginx);
  }
  const urls = origins.map((o) => o.rtmpUrl('live', 'src'));
  const tee = urls.map((u) => `[f=flv:onfail=abort]${u}`).join('|');
  // prettier-ignore
  const publisher = spawnTracked('ffmpeg', [
    '-hide_banner', '-nostdin', '-loglevel', 'warning',
    '-re', '-f', 'lavfi', '-i', `testsrc=size=${spec.width}x${spec.height}:rate=${spec.fps}`,
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    // Every frame a keyframe: a proxy is ready at its first frame. qp 51: ~600 bytes a frame.
    '-g', '1', '-qp', '51',
    // The tee muxer does not ask for global headers itself: without this the FLV sequence header carries
    // an empty AVC configuration record, and the SPS/PPS travel in-band only.
    '-flags', '+global_header',
    '-map', '0:v', '-f', 'tee', tee,
  ], { name: 'ffmpeg tiny publisher' });
  onCleanup('ffmpeg tiny publisher', () => stopChild(publisher));
  for (const o of origins) await waitForPublishing(o, 'live', 'src', 15_000);
  if (!isRunning(publisher)) throw new Error(`ffmpeg publisher exited:\n${output(publisher)}`);
  const nginxPids = childPids(process.pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'nginx';
    } catch {
      return false;
    }
  });
  return { urls, pids: [publisher.pid!, ...nginxPids], spec };
}
