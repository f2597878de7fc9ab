/** ffprobe as an independent reader of what the relay produced. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedStream {
  codec_type: 'video' | 'audio';
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
}

export async function probeStreams(input: string, extra: string[] = []): Promise<ProbedStream[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', ...extra, '-show_streams', '-of', 'json', input], {
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as { streams: ProbedStream[] }).streams;
}

/** Decodes every video frame; returns their count and the pts span in seconds. */
export async function countVideoFrames(input: string): Promise<{ frames: number; spanSec: number; decodeErrors: string }> {
  const { stdout, stderr } = await run(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', input],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const times = stdout
    .split('\n')
    .map((l) => parseFloat(l))
    .filter((n) => Number.isFinite(n));
  const span = times.length ? Math.max(...times) - Math.min(...times) : 0;
  return { frames: times.length, spanSec: span, decodeErrors: stderr };
}
