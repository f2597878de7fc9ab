import { describe, expect, test } from 'vitest';
import { HLS_VERSION, HlsPackager, multivariantPlaylist, parsePartName, parseSegmentName, partName, segmentName } from '../src/index.js';
import { audio, isVideoKeyframeData, synthetic, video } from './support/frames.js';
import { concat, isSync, readFragments } from './support/fragments.js';
import { parseMediaPlaylist, type MediaPlaylist, type PlaylistPart } from './support/m3u8.js';
import { CLOCK_MS, fed, packager } from './support/packager.js';

/** Every part in the playlist, complete segments' and the open one's. */
function allParts(pl: MediaPlaylist): PlaylistPart[] {
  return [...pl.segments.flatMap((s) => s.parts), ...pl.trailingParts];
}

describe('media playlist (RFC 8216 / 8216bis) — 25 fps H.264 with a 1 s GOP + AAC, 10 s, live', () => {
  // Frames start at 1 s; segments of 2 s; 4 complete, the fifth being built.
  const { p, pl } = fed({ segmentDurationMs: 2000, segmentCount: 3, partDurationMs: 500 }, { seconds: 10 });

  test('header: #EXTM3U first, EXT-X-VERSION is the one EXT-X-MAP needs (6), tags before the first segment', () => {
    expect(pl.lines[0]).toBe('#EXTM3U');
    expect(pl.lines[1]).toBe(`#EXT-X-VERSION:${HLS_VERSION}`);
    expect(HLS_VERSION).toBe(6);
    expect(pl.independentSegments).toBe(true);
    expect(pl.endList).toBe(false);
    const firstSegmentTag = pl.lines.findIndex((l) => l.startsWith('#EXT-X-MAP'));
    for (const tag of ['#EXT-X-TARGETDURATION', '#EXT-X-MEDIA-SEQUENCE', '#EXT-X-SERVER-CONTROL', '#EXT-X-PART-INF', '#EXT-X-INDEPENDENT-SEGMENTS']) {
      const at = pl.lines.findIndex((l) => l.startsWith(tag));
      expect(at, tag).toBeGreaterThan(0);
      expect(at, tag).toBeLessThan(firstSegmentTag);
    }
  });

  test('the window: segmentCount segments, consecutive media sequence numbers, named seg-<msn>.m4s', () => {
    expect(p.stats.segments).toBe(4);
    expect(pl.mediaSequence).toBe(1);
    expect(pl.segments.map((s) => s.uri)).toEqual(['seg-1.m4s', 'seg-2.m4s', 'seg-3.m4s']);
    expect(pl.segments.map((s) => parseSegmentName(s.uri))).toEqual(pl.segments.map((s) => s.msn));
  });

  test('EXTINF has 3 decimals; EXT-X-TARGETDURATION is the ceiling of the longest and >= every one (rounded or not)', () => {
    for (const s of pl.segments) {
      expect(s.durationText).toMatch(/^\d+\.\d{3}$/);
      expect(s.duration).toBe(2);
      expect(Math.ceil(s.duration)).toBeLessThanOrEqual(pl.targetDuration!);
      expect(Math.round(s.duration)).toBeLessThanOrEqual(pl.targetDuration!);
    }
    expect(pl.targetDuration).toBe(Math.ceil(Math.max(...pl.segments.map((s) => s.duration))));
    expect(p.targetDuration).toBe(2);
  });

  test('EXT-X-MAP names init.mp4 once, and init.mp4 is an ftyp+moov', () => {
    expect(pl.segments[0].mapHere).toBe(true);
    expect(pl.segments.every((s) => s.map === 'init.mp4')).toBe(true);
    expect(pl.lines.filter((l) => l.startsWith('#EXT-X-MAP')).length).toBe(1);
    const init = p.init('init.mp4')!;
    expect(String.fromCharCode(...init.subarray(4, 8))).toBe('ftyp');
    expect(p.init('init-2.mp4')).toBeUndefined();
  });

  test('EXT-X-PROGRAM-DATE-TIME on every segment: the clock at the first frame plus media time', () => {
    for (const s of pl.segments) expect(s.programDateTime).toBe(CLOCK_MS + s.msn * 2000);
    expect(pl.trailingHead.programDateTime).toBe(CLOCK_MS + 4 * 2000);
    expect(pl.lines.find((l) => l.startsWith('#EXT-X-PROGRAM-DATE-TIME'))).toBe(`#EXT-X-PROGRAM-DATE-TIME:${new Date(CLOCK_MS + 2000).toISOString()}`);
  });

  test('LL: PART-TARGET >= every part, PART-HOLD-BACK >= 3 x PART-TARGET, CAN-BLOCK-RELOAD=YES', () => {
    const target = Number(pl.partInf!['PART-TARGET']);
    expect(target).toBe(0.5);
    expect(pl.serverControl!['CAN-BLOCK-RELOAD']).toBe('YES');
    expect(Number(pl.serverControl!['PART-HOLD-BACK'])).toBeGreaterThanOrEqual(3 * target);
    const parts = allParts(pl);
    expect(parts.length).toBeGreaterThan(10);
    for (const part of parts) {
      expect(part.durationText).toMatch(/^\d+\.\d{3}$/);
      expect(part.duration).toBeLessThanOrEqual(target);
    }
  });

  test('LL: parts are at least 85% of PART-TARGET except INDEPENDENT ones and the last of a segment', () => {
    const target = Number(pl.partInf!['PART-TARGET']);
    for (const s of pl.segments) {
      s.parts.forEach((part, i) => {
        if (i < s.parts.length - 1 && !part.independent) expect(part.duration).toBeGreaterThanOrEqual(0.85 * target);
      });
    }
    // 12 frames of 40 ms, then the rest of the GOP pair.
    expect(pl.segments.at(-1)!.parts.map((x) => x.duration)).toEqual([0.48, 0.48, 0.48, 0.48, 0.08]);
  });

  test('LL: parts are listed for the segments within three target durations of the end, named part-<msn>.<i>.m4s', () => {
    // End = 8 s + 4 parts of 0.48 s; segments starting at or after end - 6 s have parts.
    expect(pl.segments.map((s) => s.parts.length)).toEqual([0, 5, 5]);
    expect(pl.trailingParts.map((x) => x.uri)).toEqual(['part-4.0.m4s', 'part-4.1.m4s', 'part-4.2.m4s', 'part-4.3.m4s']);
    for (const s of pl.segments) s.parts.forEach((x, i) => expect(parsePartName(x.uri)).toEqual({ msn: s.msn, index: i }));
  });

  test('LL: INDEPENDENT=YES exactly on the parts whose first video sample is a keyframe', () => {
    let independent = 0;
    for (const part of allParts(pl)) {
      const buffers = p.part(part.uri)!;
      const frags = readFragments(concat(buffers));
      expect(frags).toHaveLength(1);
      const videoTraf = frags[0].trafs.find((t) => t.trackId === video.id)!;
      const firstIsKey = isSync(videoTraf.samples[0].flags);
      // payloads are the frames' own bytes: the first is the part's first video frame
      expect(isVideoKeyframeData(buffers[1])).toBe(firstIsKey);
      expect(part.independent).toBe(firstIsKey);
      if (part.independent) independent++;
    }
    // With 0.48 s parts the mid-segment keyframe (at +1 s) falls inside a part: one independent part per segment.
    expect(independent).toBe(3);
  });

  test('LL: one moof+mdat per part with both tracks; a segment is its parts back to back', () => {
    for (const s of pl.segments.filter((x) => x.parts.length > 0)) {
      const seg = concat(p.segment(s.uri)!);
      const parts = concat(s.parts.flatMap((x) => p.part(x.uri)!));
      expect(Buffer.from(seg).equals(Buffer.from(parts))).toBe(true);
      const frags = readFragments(seg);
      expect(frags).toHaveLength(5);
      for (const f of frags) expect(f.trafs.map((t) => t.trackId)).toEqual([video.id, audio.id]);
      // sequence numbers increase across parts
      for (let i = 1; i < frags.length; i++) expect(frags[i].sequenceNumber).toBe(frags[i - 1].sequenceNumber + 1);
      // 50 video frames per 2 s segment; video durations are exact dts steps
      const v = frags.flatMap((f) => f.trafs.filter((t) => t.trackId === video.id).flatMap((t) => t.samples));
      expect(v).toHaveLength(50);
      expect(v.every((x) => x.duration === 3600)).toBe(true);
    }
  });

  test('LL: EXT-X-PRELOAD-HINT names the next part, which the next push that completes it publishes under that URI', () => {
    expect(pl.preloadHint).toEqual({ TYPE: 'PART', URI: 'part-4.4.m4s' });
    const q = new HlsPackager({ now: () => CLOCK_MS });
    q.setTracks([video, audio]);
    let hint = parseMediaPlaylist(q.playlist()).preloadHint!.URI;
    expect(hint).toBe(partName(0, 0));
    const seen: string[] = [];
    for (const f of synthetic({ seconds: 5 })) {
      q.pushFrame(f);
      const now = parseMediaPlaylist(q.playlist());
      const newest = now.trailingParts.at(-1)?.uri ?? now.segments.at(-1)?.parts.at(-1)?.uri;
      if (newest !== undefined && !seen.includes(newest)) {
        // the part that just appeared is the one the previous playlist hinted
        expect(newest).toBe(hint);
        seen.push(newest);
      }
      hint = now.preloadHint!.URI;
    }
    expect(seen.length).toBeGreaterThan(8);
  });

  test('codecs joins the tracks codec strings (RFC 6381)', () => {
    expect(p.codecs).toBe('avc1.4d401e,mp4a.40.2');
    expect(new HlsPackager({}).codecs).toBe('');
  });
});

describe('media playlist, other shapes', () => {
  test('a GOP longer than the segment duration: segments are cut at the next keyframe and the target duration follows', () => {
    const { pl, p } = fed({ segmentDurationMs: 2000 }, { seconds: 10, gopFrames: 75 });
    // keyframes at 1, 4, 7 and 10 s
    expect(pl.segments.map((s) => s.duration)).toEqual([3, 3, 3]);
    expect(pl.targetDuration).toBe(3);
    expect(p.targetDuration).toBe(3);
  });

  test('29.97 fps with a 30-frame GOP: a 2.002 s segment gets target duration 3 (ceiling, never below a segment)', () => {
    const { pl } = fed({ segmentDurationMs: 2000 }, { seconds: 8, fps: 30000 / 1001, gopFrames: 30 });
    expect(pl.segments[0].durationText).toBe('2.002');
    expect(pl.targetDuration).toBe(3);
  });

  test('audio only: segments and parts cut on audio frames by time, never past their targets, every part independent', () => {
    const { pl, p } = fed({ segmentDurationMs: 2000, segmentCount: 3 }, { seconds: 12, video: false }, [audio]);
    expect(p.codecs).toBe('mp4a.40.2');
    // Three 1.997 s segments are less than 3 x 2 s, so the window keeps a fourth
    // (RFC 8216bis 6.2.2: a live playlist must span three target durations).
    expect(pl.segments).toHaveLength(4);
    expect(pl.segments.reduce((n, s) => n + s.duration, 0)).toBeGreaterThanOrEqual(3 * pl.targetDuration!);
    for (const s of pl.segments) {
      // 86 AAC frames: the last frame boundary within 2 s
      expect(s.durationText).toBe(((86 * 1024) / 44100).toFixed(3));
    }
    expect(pl.targetDuration).toBe(2);
    const parts = allParts(pl);
    expect(parts.every((x) => x.independent && x.duration <= 0.5)).toBe(true);
    expect(parts[0].durationText).toBe(((21 * 1024) / 44100).toFixed(3));
    const frags = readFragments(concat(p.segment(pl.segments[0].uri)!));
    expect(frags.every((f) => f.trafs.length === 1 && f.trafs[0].trackId === audio.id)).toBe(true);
  });

  test('lowLatency off: no LL tags, one moof per segment, no parts, blocking reload answers at once', async () => {
    const { pl, p } = fed({ lowLatency: false }, { seconds: 10 });
    for (const tag of ['#EXT-X-PART', '#EXT-X-PART-INF', '#EXT-X-SERVER-CONTROL', '#EXT-X-PRELOAD-HINT']) {
      expect(pl.lines.some((l) => l.startsWith(`${tag}:`))).toBe(false);
    }
    expect(pl.segments).toHaveLength(3);
    expect(readFragments(concat(p.segment(pl.segments[0].uri)!))).toHaveLength(1);
    expect(p.part('part-1.0.m4s')).toBeUndefined();
    await expect(p.partWhenReady('part-9.0.m4s')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(p.playlistWhenReady(99, 0)).resolves.toBe(p.playlist());
  });

  test('end(): the last segment closes, EXT-X-ENDLIST is added and the preload hint removed', () => {
    const { p } = fed({}, { seconds: 9 });
    expect(p.stats.segments).toBe(4);
    p.end();
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.endList).toBe(true);
    expect(pl.preloadHint).toBeUndefined();
    expect(pl.trailingParts).toEqual([]);
    expect(p.stats.segments).toBe(5);
    expect(pl.segments.at(-1)!.uri).toBe('seg-4.m4s');
    // the last video frame keeps the previous step as its duration: 1 s of frames
    expect(pl.segments.at(-1)!.duration).toBe(1);
    expect(pl.lines.at(-2)).toBe('#EXT-X-ENDLIST');
    p.end(); // idempotent
    expect(p.stats.segments).toBe(5);
  });

  test('before any frame: a valid playlist with no segments that hints part 0 of segment 0', () => {
    const p = packager();
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.segments).toEqual([]);
    expect(pl.mediaSequence).toBe(0);
    expect(pl.preloadHint!.URI).toBe('part-0.0.m4s');
    expect(p.segment('seg-0.m4s')).toBeUndefined();
  });

  test('the playlist string is rendered once per change and shared', () => {
    const { p } = fed({}, { seconds: 3 });
    expect(p.playlist()).toBe(p.playlist());
  });
});

describe('names and the multivariant playlist', () => {
  test.each([
    ['seg-0.m4s', 0],
    ['seg-12345.m4s', 12345],
    ['seg-01.m4s', undefined],
    ['seg-.m4s', undefined],
    ['seg-1.m4s?x=1', undefined],
    ['../seg-1.m4s', undefined],
    ['seg-1.mp4', undefined],
    ['seg-1234567890123456.m4s', undefined],
  ])('parseSegmentName(%j) = %j', (name, msn) => {
    expect(parseSegmentName(name)).toBe(msn);
  });

  test.each([
    ['part-3.0.m4s', { msn: 3, index: 0 }],
    ['part-10.12.m4s', { msn: 10, index: 12 }],
    ['part-3.00.m4s', undefined],
    ['part-3.m4s', undefined],
    ['part--1.0.m4s', undefined],
  ])('parsePartName(%j) = %j', (name, id) => {
    expect(parsePartName(name)).toEqual(id);
  });

  test('the writers and the parsers agree', () => {
    expect(parseSegmentName(segmentName(77))).toBe(77);
    expect(parsePartName(partName(77, 4))).toEqual({ msn: 77, index: 4 });
  });

  test('multivariantPlaylist: one EXT-X-STREAM-INF with BANDWIDTH, CODECS and RESOLUTION', () => {
    expect(multivariantPlaylist({ codecs: 'avc1.4d401e,mp4a.40.2', bandwidth: 1_500_000.4, width: 640, height: 360, mediaUrl: 'index.m3u8' })).toBe(
      '#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=1500001,CODECS="avc1.4d401e,mp4a.40.2",RESOLUTION=640x360\nindex.m3u8\n',
    );
    expect(multivariantPlaylist({ codecs: 'mp4a.40.2', bandwidth: 128_000, mediaUrl: 'a.m3u8' })).toContain('#EXT-X-STREAM-INF:BANDWIDTH=128000,CODECS="mp4a.40.2"\na.m3u8\n');
    expect(() => multivariantPlaylist({ codecs: 'x', bandwidth: 0, mediaUrl: 'a' })).toThrow(RangeError);
    expect(() => multivariantPlaylist({ codecs: 'x"', bandwidth: 1, mediaUrl: 'a' })).toThrow(RangeError);
  });

  test('options are checked', () => {
    expect(() => new HlsPackager({ segmentCount: 0 })).toThrow(RangeError);
    expect(() => new HlsPackager({ segmentDurationMs: -1 })).toThrow(RangeError);
    expect(() => new HlsPackager({ partDurationMs: 0.5 })).toThrow(RangeError);
    expect(() => new HlsPackager({ segmentDurationMs: undefined })).not.toThrow();
  });
});
