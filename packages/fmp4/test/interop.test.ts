/**
 * Independent readers: a real ffmpeg-encoded source is demuxed with mediabunny,
 * written with this package, and read back by ffprobe/ffmpeg (libavformat's mov
 * demuxer + real decoders) and by mediabunny's own ISO BMFF demuxer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Track } from '@sluice/codec';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fragment, initSegment, type Fmp4Sample } from '../src/index.js';
import { gopFragments, perFrameFragments, toFile } from './support/mux.js';
import { demux, encodeG711, encodeSource, run, runBytes, type Demuxed } from './support/source.js';
import { pcmaTrack, pcmuTrack } from './support/tracks.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-fmp4-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Probe {
  streams: { index: number; codec_name: string; width?: number; height?: number; sample_rate?: string; channels?: number }[];
  frames: { stream_index: number; pts: number; key_frame: number }[];
}

function probe(file: string): Probe {
  const { stdout } = run('ffprobe', [
    '-v', 'error',
    '-show_entries', 'stream=index,codec_name,width,height,sample_rate,channels:frame=stream_index,pts,key_frame',
    '-of', 'json', file,
  ]);
  return JSON.parse(stdout) as Probe;
}

/** Full decode of every stream; the relay's output must not make a decoder complain. */
function decodeErrors(file: string): string {
  return run('ffmpeg', ['-v', 'error', '-i', file, '-map', '0', '-f', 'null', '-']).stderr;
}

/** The vectored path (header + payload views) must produce the same bytes as writeTo. */
function vectored(tracks: readonly Track[], fragments: readonly Fragment[]): Buffer {
  return Buffer.concat([initSegment(tracks), ...fragments.flatMap((f) => f.toBuffers())]);
}

const modes = [
  { mode: 'per-frame', make: perFrameFragments },
  { mode: '1 s multi-track', make: gopFragments },
] as const;

const sources = [
  { name: 'H.264 + AAC (libx264, 2 B-frames)', encoder: 'libx264', baseSeconds: 1, ffCodec: 'h264', mbCodec: 'avc' },
  // 400000 s: every tfdt is above 2^32 ticks at both 12800 Hz and 44100 Hz.
  { name: 'H.265 + AAC (libx265, 2 B-frames), tfdt past 2^32', encoder: 'libx265', baseSeconds: 400_000, ffCodec: 'hevc', mbCodec: 'hevc' },
] as const;

describe.each(sources)('$name', ({ encoder, baseSeconds, ffCodec, mbCodec }) => {
  let src: Demuxed;
  beforeAll(async () => {
    src = await demux(readFileSync(encodeSource(dir, encoder)), baseSeconds);
  });

  it('the source is what the test claims: B-frames reorder, 75 video and ~130 AAC frames', () => {
    const [video, audio] = src.tracks;
    expect(video.kind).toBe('video');
    expect(audio.kind).toBe('audio');
    const v = src.samples.get(video.id)!;
    expect(v).toHaveLength(75);
    expect(v.some((s) => s.pts !== s.dts)).toBe(true);
    expect(v.filter((s) => s.keyframe)).toHaveLength(3);
    expect(src.samples.get(audio.id)!.length).toBeGreaterThan(125);
  });

  describe.each(modes)('$mode fragments', ({ mode, make }) => {
    let file: string;
    let bytes: Uint8Array;
    beforeAll(() => {
      const fragments = make(src.tracks, src.samples);
      bytes = toFile(src.tracks, fragments);
      expect(Buffer.compare(vectored(src.tracks, fragments), bytes)).toBe(0);
      file = join(dir, `${encoder}-${mode.replace(/\W+/g, '-')}.mp4`);
      writeFileSync(file, bytes);
    });

    it('ffprobe: codecs, dimensions, rate/channels, exact frame counts and pts', () => {
      const [video, audio] = src.tracks as [Extract<Track, { kind: 'video' }>, Extract<Track, { kind: 'audio' }>];
      const p = probe(file);
      expect(p.streams).toMatchObject([
        { index: 0, codec_name: ffCodec, width: video.width, height: video.height },
        { index: 1, codec_name: 'aac', sample_rate: String(audio.sampleRate), channels: audio.channels },
      ]);
      for (const [index, track] of [video, audio].entries()) {
        const samples = src.samples.get(track.id)!;
        const frames = p.frames.filter((f) => f.stream_index === index);
        expect(frames).toHaveLength(samples.length);
        expect(frames.map((f) => f.pts).sort((a, b) => a - b)).toEqual(samples.map((s) => s.pts).sort((a, b) => a - b));
        if (track.kind === 'video') {
          const keyPts = frames.filter((f) => f.key_frame === 1).map((f) => f.pts);
          expect(keyPts).toEqual(samples.filter((s) => s.keyframe).map((s) => s.pts));
        }
      }
    });

    it('ffmpeg decodes every stream without an error', () => {
      expect(decodeErrors(file)).toBe('');
    });

    it('mediabunny reads it back: tracks, codec, config, dimensions, packets, timestamps, data', async () => {
      const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
      const tracks = await input.getTracks();
      expect(tracks.map((t) => t.type)).toEqual(['video', 'audio']);
      for (const [i, t] of tracks.entries()) {
        const ours = src.tracks[i];
        expect(t.id).toBe(ours.id);
        expect(await t.getTimeResolution()).toBe(ours.timescale);
        const config = t.isVideoTrack() ? await t.getDecoderConfig() : t.isAudioTrack() ? await t.getDecoderConfig() : null;
        expect(new Uint8Array(config!.description as Uint8Array)).toEqual(ours.decoderConfig);
        if (t.isVideoTrack() && ours.kind === 'video') {
          expect(await t.getCodec()).toBe(mbCodec);
          expect([await t.getCodedWidth(), await t.getCodedHeight()]).toEqual([ours.width, ours.height]);
        } else if (t.isAudioTrack() && ours.kind === 'audio') {
          expect(await t.getCodec()).toBe('aac');
          expect([await t.getSampleRate(), await t.getNumberOfChannels()]).toEqual([ours.sampleRate, ours.channels]);
        }
        const expected: Fmp4Sample[] = src.samples.get(ours.id)!;
        const got: { pts: number; key: boolean; data: Uint8Array }[] = [];
        for await (const p of new EncodedPacketSink(t).packets()) {
          got.push({ pts: Math.round(p.timestamp * ours.timescale), key: p.type === 'key', data: p.data });
        }
        expect(got.map((g) => g.pts)).toEqual(expected.map((s) => s.pts));
        expect(got.map((g) => g.key)).toEqual(expected.map((s) => ours.kind === 'audio' || s.keyframe));
        got.forEach((g, j) => expect(Buffer.compare(g.data, expected[j].data)).toBe(0));
      }
    });
  });
});

const g711 = [
  { law: 'alaw', track: pcmaTrack, ffCodec: 'pcm_alaw', mbCodec: 'alaw' },
  { law: 'mulaw', track: pcmuTrack, ffCodec: 'pcm_mulaw', mbCodec: 'ulaw' },
] as const;

describe.each(g711)('G.711 $law, 20 ms per-frame fragments', ({ law, track, ffCodec, mbCodec }) => {
  let raw: Uint8Array;
  let bytes: Uint8Array;
  let file: string;
  let samples: Fmp4Sample[];
  beforeAll(() => {
    raw = encodeG711(dir, law);
    // 160 bytes = 160 samples = 20 ms at 8 kHz, the usual RTP packetization.
    samples = [];
    for (let i = 0; i < raw.byteLength; i += 160) {
      samples.push({ dts: i, pts: i, keyframe: true, duration: 160, data: raw.subarray(i, i + 160) });
    }
    bytes = toFile([track], perFrameFragments([track], new Map([[track.id, samples]])));
    file = join(dir, `g711-${law}.mp4`);
    writeFileSync(file, bytes);
  });

  it('ffprobe/ffmpeg: codec, rate, channels, frames and pts; stream copy returns the exact bytes', () => {
    const p = probe(file);
    expect(p.streams).toMatchObject([{ index: 0, codec_name: ffCodec, sample_rate: '8000', channels: 1 }]);
    expect(p.frames.map((f) => f.pts)).toEqual(samples.map((s) => s.pts));
    expect(decodeErrors(file)).toBe('');
    const copied = runBytes('ffmpeg', ['-v', 'error', '-i', file, '-c', 'copy', '-f', law, '-']);
    expect(Buffer.compare(copied, raw)).toBe(0);
  });

  it('mediabunny reads codec, rate, channels and every packet', async () => {
    const input = new Input({ source: new BufferSource(bytes), formats: ALL_FORMATS });
    const [t] = await input.getTracks();
    expect(t.isAudioTrack()).toBe(true);
    if (!t.isAudioTrack()) return;
    expect([await t.getCodec(), await t.getSampleRate(), await t.getNumberOfChannels()]).toEqual([mbCodec, 8000, 1]);
    const pts: number[] = [];
    for await (const p of new EncodedPacketSink(t).packets()) pts.push(Math.round(p.timestamp * 8000));
    expect(pts).toEqual(samples.map((s) => s.pts));
  });
});
