import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AudioCodec, Track, VideoCodec } from '@sluice/codec';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import type { Fmp4Sample } from '../../src/index.js';

/** Runs a tool and returns stdout; throws with stderr on failure. */
export function run(cmd: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 2 ** 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

/** Runs a tool and returns its binary stdout. */
export function runBytes(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 2 ** 20, timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return r.stdout;
}

export interface SourceOptions {
  size: string;
  seconds: number;
  /** B-frames between references; > 0 makes composition offsets matter. */
  bframes: number;
  /** Keyframe interval in frames (25 fps). */
  gop: number;
}

/**
 * An ffmpeg testsrc2 at 25 fps + a 440 Hz sine as 44.1 kHz stereo AAC. The default is
 * the test source: 3 s of 640x360 with two B-frames and a keyframe every second.
 */
export function encodeSource(dir: string, video: 'libx264' | 'libx265', opts: Partial<SourceOptions> = {}): string {
  const { size, seconds, bframes, gop } = { size: '640x360', seconds: 3, bframes: 2, gop: 25, ...opts };
  const out = join(dir, `testsrc2-${size}-${seconds}s-${video}-bf${bframes}-g${gop}-aac.mp4`);
  const codecArgs =
    video === 'libx264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-g', String(gop), '-bf', String(bframes)]
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', `log-level=error:keyint=${gop}:min-keyint=${gop}:bframes=${bframes}`];
  run('ffmpeg', [
    '-v', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=25`,
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
    '-t', String(seconds), ...codecArgs, '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-ac', '2', out,
  ]);
  return out;
}

/** 1 s of 8 kHz mono G.711 as raw bytes. */
export function encodeG711(dir: string, law: 'alaw' | 'mulaw'): Uint8Array {
  const out = join(dir, `sine-8k.${law}`);
  run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000', '-t', '1', '-f', law, out]);
  return readFileSync(out);
}

export interface Demuxed {
  tracks: Track[];
  /** Per track id, in decode order, timestamps in the track's timescale shifted by `base`. */
  samples: Map<number, Fmp4Sample[]>;
}

/**
 * Demuxes with mediabunny into the shared media model, the way a relay source would
 * hand frames over. mediabunny gives presentation timestamps (seconds, after the
 * source's edit list); decode timestamps are rebuilt as the sorted presentation
 * times delayed by the smallest reorder delay that keeps dts <= pts. Everything is
 * shifted by `baseSeconds` so timestamps are non-negative (AAC priming starts at -1024).
 */
export async function demux(bytes: Uint8Array, baseSeconds: number): Promise<Demuxed> {
  const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
  const tracks: Track[] = [];
  const samples = new Map<number, Fmp4Sample[]>();
  for (const t of await input.getTracks()) {
    const timescale = await t.getTimeResolution();
    const codecString = (await t.getCodecParameterString()) ?? '';
    if (t.isVideoTrack()) {
      const config = await t.getDecoderConfig();
      const codec: VideoCodec = (await t.getCodec()) === 'hevc' ? 'h265' : 'h264';
      tracks.push({
        kind: 'video', id: t.id, codec, timescale, codecString,
        width: await t.getCodedWidth(), height: await t.getCodedHeight(),
        decoderConfig: new Uint8Array(config!.description as Uint8Array),
      });
    } else if (t.isAudioTrack()) {
      const config = await t.getDecoderConfig();
      const codec: AudioCodec = 'aac';
      tracks.push({
        kind: 'audio', id: t.id, codec, timescale, codecString,
        sampleRate: await t.getSampleRate(), channels: await t.getNumberOfChannels(),
        decoderConfig: new Uint8Array(config!.description as Uint8Array),
      });
    } else continue;

    const base = Math.round(baseSeconds * timescale);
    const pts: number[] = [];
    const packets: { data: Uint8Array; key: boolean; duration: number }[] = [];
    for await (const p of new EncodedPacketSink(t).packets()) {
      pts.push(Math.round(p.timestamp * timescale));
      packets.push({ data: p.data, key: p.type === 'key', duration: Math.round(p.duration * timescale) });
    }
    const sorted = [...pts].sort((a, b) => a - b);
    let delay = 0;
    for (let i = 0; i < pts.length; i++) delay = Math.max(delay, sorted[i] - pts[i]);
    samples.set(
      t.id,
      packets.map((p, i) => ({
        dts: base + sorted[i] - delay,
        pts: base + pts[i],
        keyframe: p.key,
        // What a relay knows once the next frame arrives: the dts step; the last frame keeps its own.
        duration: i + 1 < packets.length ? sorted[i + 1] - sorted[i] : p.duration,
        data: p.data,
      })),
    );
  }
  return { tracks, samples };
}
