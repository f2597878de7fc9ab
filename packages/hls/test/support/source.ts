import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MediaFrame, Track } from '@sluice/codec';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';

/** Runs a tool and returns stdout and stderr; throws with stderr on failure. */
export function run(cmd: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/**
 * ffmpeg testsrc2 640x360 at 25 fps, libx264 with a keyframe every second and two
 * B-frames, plus a 440 Hz sine as 44.1 kHz stereo AAC, in an MP4.
 */
export function encodeSource(dir: string, seconds: number): string {
  const out = join(dir, `testsrc2-640x360-25fps-g25-bf2-aac44100-${seconds}s.mp4`);
  run('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-keyint_min', '25', '-bf', '2', '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ac', '2', out,
  ]);
  return out;
}

/**
 * Demuxes with mediabunny into the shared media model, the way a relay source hands
 * frames over: every track's frames merged in decode order. mediabunny gives
 * presentation times (seconds, after the edit list); decode times are the sorted
 * presentation times delayed by the smallest reorder delay that keeps dts <= pts.
 * Everything is shifted by `baseSeconds` so timestamps are positive (AAC priming
 * starts before 0).
 */
export async function demuxFile(path: string, baseSeconds: number): Promise<{ tracks: Track[]; frames: MediaFrame[] }> {
  const input = new Input({ source: new BufferSource(readFileSync(path)), formats: ALL_FORMATS });
  const tracks: Track[] = [];
  const all: { t: number; frame: MediaFrame }[] = [];
  for (const t of await input.getTracks()) {
    const timescale = await t.getTimeResolution();
    const codecString = (await t.getCodecParameterString()) ?? '';
    const config = t.isVideoTrack() || t.isAudioTrack() ? await t.getDecoderConfig() : null;
    const decoderConfig = new Uint8Array(config!.description as Uint8Array);
    let track: Track;
    if (t.isVideoTrack()) {
      track = { kind: 'video', id: t.id, codec: 'h264', timescale, codecString, width: await t.getCodedWidth(), height: await t.getCodedHeight(), decoderConfig };
    } else if (t.isAudioTrack()) {
      track = { kind: 'audio', id: t.id, codec: 'aac', timescale, codecString, sampleRate: await t.getSampleRate(), channels: await t.getNumberOfChannels(), decoderConfig };
    } else continue;
    tracks.push(track);

    const base = Math.round(baseSeconds * timescale);
    const pts: number[] = [];
    const packets: { data: Uint8Array; key: boolean }[] = [];
    for await (const p of new EncodedPacketSink(t).packets()) {
      pts.push(Math.round(p.timestamp * timescale));
      packets.push({ data: p.data, key: p.type === 'key' });
    }
    const sorted = [...pts].sort((a, b) => a - b);
    let delay = 0;
    for (let i = 0; i < pts.length; i++) delay = Math.max(delay, sorted[i] - pts[i]);
    packets.forEach((p, i) => {
      const dts = base + sorted[i] - delay;
      all.push({ t: dts / timescale, frame: { trackId: track.id, kind: track.kind, dts, pts: base + pts[i], keyframe: p.key, data: p.data } });
    });
  }
  // A stable sort keeps each track's own order.
  return { tracks, frames: all.sort((a, b) => a.t - b.t).map((x) => x.frame) };
}
