import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaFrame, Track } from '@sluice/codec';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HlsPackager } from '../src/index.js';
import { concat, isSync, readFragments } from './support/fragments.js';
import { parseMediaPlaylist, type MediaPlaylist } from './support/m3u8.js';
import { demuxFile, encodeSource, run } from './support/source.js';

const SECONDS = 9;

let dir: string;
let tracks: Track[];
let frames: MediaFrame[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-hls-'));
  ({ tracks, frames } = await demuxFile(encodeSource(dir, SECONDS), 10));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Served {
  p: HlsPackager;
  pl: MediaPlaylist;
  path: string;
}

/**
 * Packages the source and writes what a server would serve, under the names the
 * playlist uses and rewriting nothing: the playlist, every EXT-X-MAP, segment and part.
 */
function serve(name: string, segmentCount: number): Served {
  const p = new HlsPackager({ segmentCount, segmentDurationMs: 2000, partDurationMs: 500, now: () => Date.UTC(2024, 0, 1) });
  p.setTracks(tracks);
  for (const f of frames) p.pushFrame(f);
  p.end();
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  run('mkdir', ['-p', out]);
  const text = p.playlist();
  const pl = parseMediaPlaylist(text);
  writeFileSync(join(out, 'playlist.m3u8'), text);
  for (const s of pl.segments) {
    if (s.mapHere) writeFileSync(join(out, s.map!), p.init(s.map!)!);
    writeFileSync(join(out, s.uri), concat(p.segment(s.uri)!));
    for (const part of s.parts) writeFileSync(join(out, part.uri), concat(p.part(part.uri)!));
  }
  return { p, pl, path: join(out, 'playlist.m3u8') };
}

function probeStreams(path: string): Record<string, string | number>[] {
  const { stdout } = run('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path]);
  return JSON.parse(stdout).streams;
}

function countFrames(path: string): { video: number; audio: number } {
  const { stdout } = run('ffprobe', ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,nb_read_frames', '-of', 'json', path]);
  const streams: { codec_type: string; nb_read_frames: string }[] = JSON.parse(stdout).streams;
  const get = (type: string) => Number(streams.find((s) => s.codec_type === type)!.nb_read_frames);
  return { video: get('video'), audio: get('audio') };
}

/** Samples per track in the listed segments, read back from their moof boxes. */
function samplesIn(s: Served): { video: number; audio: number } {
  const n = { video: 0, audio: 0 };
  for (const seg of s.pl.segments) {
    for (const f of readFragments(concat(s.p.segment(seg.uri)!))) {
      for (const t of f.trafs) n[tracks.find((x) => x.id === t.trackId)!.kind] += t.samples.length;
    }
  }
  return n;
}

function expectH264AndAac(streams: Record<string, string | number>[]): void {
  const v = streams.find((s) => s.codec_type === 'video')!;
  const a = streams.find((s) => s.codec_type === 'audio')!;
  expect(v).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
  expect(a).toMatchObject({ codec_name: 'aac', sample_rate: '44100', channels: 2 });
}

describe('ffmpeg and ffprobe read the packaged stream (9 s of 640x360 25 fps H.264 with B-frames + AAC 44.1 kHz)', () => {
  let all: Served;
  let windowed: Served;
  beforeAll(() => {
    all = serve('all', 20);
    windowed = serve('window', 3);
  });

  test('the source is what the test says', () => {
    expect(tracks.map((t) => t.kind).sort()).toEqual(['audio', 'video']);
    const video = frames.filter((f) => f.kind === 'video');
    expect(video).toHaveLength(SECONDS * 25);
    expect(video.filter((f) => f.keyframe)).toHaveLength(SECONDS);
    expect(video.some((f) => f.pts > f.dts)).toBe(true); // B-frames
  });

  test('playlist rules hold on real timestamps: target duration, part target, independence, PROGRAM-DATE-TIME', () => {
    const { pl, p } = all;
    expect(pl.endList).toBe(true);
    expect(pl.segments.map((s) => s.duration)).toEqual([2, 2, 2, 2, 1]);
    for (const s of pl.segments) expect(Math.ceil(s.duration)).toBeLessThanOrEqual(pl.targetDuration!);
    const target = Number(pl.partInf!['PART-TARGET']);
    for (const s of pl.segments) {
      expect(s.programDateTime).toBe(Date.UTC(2024, 0, 1) + s.msn * 2000);
      for (const part of s.parts) {
        expect(part.duration).toBeLessThanOrEqual(target);
        const lead = readFragments(concat(p.part(part.uri)!))[0].trafs.find((t) => t.trackId === tracks.find((x) => x.kind === 'video')!.id)!;
        expect(part.independent).toBe(isSync(lead.samples[0].flags));
      }
      if (s.parts.length > 0) expect(s.parts[0].independent).toBe(true);
    }
    // parts are listed for the segments within three target durations of the end
    expect(pl.segments.map((s) => s.parts.length > 0)).toEqual([false, false, true, true, true]);
    expect(p.codecs).toBe(tracks.map((t) => t.codecString).join(','));
    expect(p.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
  });

  test('ffprobe -show_streams on the playlist: h264 640x360 + aac 44100', () => {
    expectH264AndAac(probeStreams(all.path));
  });

  test('ffprobe -show_streams on one segment concatenated with its init segment', () => {
    const file = join(dir, 'init+seg-2.mp4');
    writeFileSync(file, concat([all.p.init('init.mp4')!, ...all.p.segment('seg-2.m4s')!]));
    expectH264AndAac(probeStreams(file));
    // and on init + one part
    const partFile = join(dir, 'init+part-3.1.mp4');
    writeFileSync(partFile, concat([all.p.init('init.mp4')!, ...all.p.part('part-3.1.m4s')!]));
    expectH264AndAac(probeStreams(partFile));
  });

  test('ffmpeg decodes the playlist with no errors, and every pushed frame comes out', () => {
    const { stderr } = run('ffmpeg', ['-v', 'error', '-i', all.path, '-f', 'null', '-']);
    expect(stderr).toBe('');
    const pushed = { video: frames.filter((f) => f.kind === 'video').length, audio: frames.filter((f) => f.kind === 'audio').length };
    expect(all.p.stats.droppedFrames).toBe(0);
    expect(samplesIn(all)).toEqual(pushed);
    expect(countFrames(all.path)).toEqual(pushed);
  });

  test('a sliding window of 3: ffmpeg decodes exactly the frames in the listed segments', () => {
    // 2 + 2 + 1 s is under 3 target durations, so the window holds a fourth segment
    expect(windowed.pl.mediaSequence).toBe(1);
    expect(windowed.pl.segments.map((s) => s.uri)).toEqual(['seg-1.m4s', 'seg-2.m4s', 'seg-3.m4s', 'seg-4.m4s']);
    const { stderr } = run('ffmpeg', ['-v', 'error', '-i', windowed.path, '-f', 'null', '-']);
    expect(stderr).toBe('');
    const listed = samplesIn(windowed);
    expect(listed.video).toBe(7 * 25);
    expect(countFrames(windowed.path)).toEqual(listed);
  });
});
