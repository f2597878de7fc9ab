import type { MediaFrame } from '@sluice/codec';
import { describe, expect, test } from 'vitest';
import { HlsPackager, LATE_FETCH_SEGMENTS, MAX_SEGMENT_BYTES, MAX_WINDOW_EXTENSION } from '../src/index.js';
import { audio, synthetic, video, video720 } from './support/frames.js';
import { concat, readFragments } from './support/fragments.js';
import { parseMediaPlaylist } from './support/m3u8.js';
import { CLOCK_MS, packager, push } from './support/packager.js';

describe('sliding window and memory', () => {
  test('the window slides one segment at a time; memory holds it plus LATE_FETCH_SEGMENTS', () => {
    const p = packager({ segmentCount: 3 });
    let lastSequence = -1;
    let segments = 0;
    for (const f of synthetic({ seconds: 41 })) {
      p.pushFrame(f);
      if (p.stats.segments === segments) continue;
      segments = p.stats.segments;
      const pl = parseMediaPlaylist(p.playlist());
      expect(pl.mediaSequence).toBe(Math.max(0, segments - 3));
      expect(pl.mediaSequence).toBeGreaterThanOrEqual(lastSequence);
      lastSequence = pl.mediaSequence!;
      expect(pl.segments).toHaveLength(Math.min(segments, 3));
      expect(pl.segments.at(-1)!.uri).toBe(`seg-${segments - 1}.m4s`);
      expect(p.stats.heldSegments).toBeLessThanOrEqual(3 + LATE_FETCH_SEGMENTS);
      expect(p.stats.heldSegments).toBe(Math.min(segments, 3 + LATE_FETCH_SEGMENTS));
    }
    expect(segments).toBe(20);
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.mediaSequence).toBe(17);
    // Late fetches: the segments that left the playlist last are still there, with their parts.
    for (let msn = 17 - LATE_FETCH_SEGMENTS; msn < 17; msn++) {
      expect(p.segment(`seg-${msn}.m4s`), `seg-${msn}`).toBeDefined();
      expect(p.part(`part-${msn}.0.m4s`)).toBeDefined();
    }
    expect(p.segment(`seg-${16 - LATE_FETCH_SEGMENTS}.m4s`)).toBeUndefined();
    expect(p.segment('seg-0.m4s')).toBeUndefined();
    // about 2 s of 200-byte frames and 3-byte audio per segment, plus one open segment
    expect(p.stats.heldBytes).toBeLessThan((3 + LATE_FETCH_SEGMENTS + 1) * 50 * 400);
  });

  test('an evicted part is GONE; a name that was never hinted is NOT_FOUND', async () => {
    const p = packager({ segmentCount: 3 });
    push(p, synthetic({ seconds: 21 }));
    await expect(p.partWhenReady('part-0.0.m4s')).rejects.toMatchObject({ code: 'GONE', status: 410 });
    await expect(p.partWhenReady('part-99.0.m4s')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(p.partWhenReady('nonsense')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(p.partWhenReady('part-9.1.m4s')).resolves.toHaveLength(p.part('part-9.1.m4s')!.length);
  });

  test('segmentCount 1: the playlist still spans three target durations, within MAX_WINDOW_EXTENSION', () => {
    const p = packager({ segmentCount: 1 });
    push(p, synthetic({ seconds: 21 }));
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.segments).toHaveLength(3);
    expect(pl.segments.reduce((n, s) => n + s.duration, 0)).toBe(3 * pl.targetDuration!);
    expect(p.stats.heldSegments).toBeLessThanOrEqual(1 + MAX_WINDOW_EXTENSION + LATE_FETCH_SEGMENTS);
  });
});

describe('track changes', () => {
  test('new tracks: the open segment closes, then EXT-X-DISCONTINUITY and EXT-X-MAP init-2.mp4; the sequence stays monotonic', () => {
    let wall = CLOCK_MS;
    const p = new HlsPackager({ now: () => wall, segmentCount: 3 });
    p.setTracks([video, audio]);
    push(p, synthetic({ seconds: 5 }));
    expect(p.stats.segments).toBe(2); // 0-2, 2-4; the third is open

    wall = CLOCK_MS + 5_000; // the publisher comes back five seconds later, at 720p, timestamps from 0
    p.setTracks([video720, audio]);
    expect(p.stats.segments).toBe(3); // the open segment was closed
    expect(p.codecs).toBe('avc1.4d401f,mp4a.40.2');
    push(p, synthetic({ seconds: 5, startSeconds: 0 }));

    let pl = parseMediaPlaylist(p.playlist());
    // seg-2 is 1 s long, so the window keeps seg-1 too to span 3 target durations
    expect(pl.segments.map((s) => s.uri)).toEqual(['seg-1.m4s', 'seg-2.m4s', 'seg-3.m4s', 'seg-4.m4s']);
    const [, last, first, second] = pl.segments;
    expect(last.duration).toBe(1); // the closed segment: 25 frames
    expect(last.discontinuity).toBe(false);
    expect(first.discontinuity).toBe(true);
    expect(first.mapHere).toBe(true);
    expect(first.map).toBe('init-2.mp4');
    expect(first.programDateTime).toBe(wall);
    expect(second.discontinuity).toBe(false);
    expect(second.mapHere).toBe(false);
    expect(pl.discontinuitySequence).toBeUndefined();
    expect(p.stats.discontinuities).toBe(1);

    const init1 = p.init('init.mp4')!;
    const init2 = p.init('init-2.mp4')!;
    expect(String.fromCharCode(...init2.subarray(4, 8))).toBe('ftyp');
    expect(Buffer.from(init2).equals(Buffer.from(init1))).toBe(false);
    // The new period's fragments carry the new timestamps (tfdt from 0).
    expect(readFragments(concat(p.segment('seg-3.m4s')!))[0].trafs[0].baseMediaDecodeTime).toBe(0);

    // Slide the discontinuity out: DISCONTINUITY-SEQUENCE counts it, the first MAP is init-2.
    push(p, synthetic({ seconds: 10, startSeconds: 5 }));
    pl = parseMediaPlaylist(p.playlist());
    expect(pl.segments.some((s) => s.discontinuity)).toBe(false);
    expect(pl.discontinuitySequence).toBe(1);
    expect(pl.segments[0].map).toBe('init-2.mp4');
    expect(pl.segments[0].mapHere).toBe(true);
    // init.mp4 goes once no segment in memory uses it
    expect(p.init('init.mp4')).toBeUndefined();
    expect(p.init('init-2.mp4')).toBeDefined();
  });

  test('the same tracks again (a republish): EXT-X-DISCONTINUITY, same EXT-X-MAP, no new init', () => {
    const p = packager();
    push(p, synthetic({ seconds: 3 }));
    p.setTracks([{ ...video }, { ...audio }]);
    push(p, synthetic({ seconds: 3, startSeconds: 0 }));
    const pl = parseMediaPlaylist(p.playlist());
    const d = pl.segments.find((s) => s.discontinuity)!;
    expect(d).toBeDefined();
    expect(d.mapHere).toBe(false);
    expect(d.map).toBe('init.mp4');
    expect(p.init('init-2.mp4')).toBeUndefined();
  });

  test('tracks set twice before any frame: no discontinuity', () => {
    const p = packager();
    p.setTracks([video720, audio]);
    push(p, synthetic({ seconds: 5 }));
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.segments.some((s) => s.discontinuity)).toBe(false);
    expect(pl.segments[0].map).toBe('init-2.mp4');
    expect(p.stats.discontinuities).toBe(0);
  });

  test('setTracks after end() starts again for new viewers', () => {
    const p = packager();
    push(p, synthetic({ seconds: 3 }));
    p.end();
    push(p, synthetic({ seconds: 1, startSeconds: 5 }));
    expect(p.stats.segments).toBe(2);
    p.setTracks([video, audio]);
    push(p, synthetic({ seconds: 3, startSeconds: 0 }));
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.endList).toBe(false);
    expect(pl.preloadHint).toBeDefined();
    expect(pl.segments.find((s) => s.msn === 2)!.discontinuity).toBe(true);
  });

  test('setTracks without tracks throws', () => {
    expect(() => new HlsPackager({}).setTracks([])).toThrow();
  });
});

describe('frames the packager cannot use', () => {
  const key = (dts: number, trackId = video.id): MediaFrame => ({ trackId, kind: 'video', dts, pts: dts, keyframe: true, data: new Uint8Array(8) });
  const delta = (dts: number): MediaFrame => ({ ...key(dts), keyframe: false });
  const aac = (dts: number): MediaFrame => ({ trackId: audio.id, kind: 'audio', dts, pts: dts, keyframe: true, data: new Uint8Array(4) });

  test.each<{ name: string; frames: MediaFrame[]; dropped: number; parts: number }>([
    { name: 'video before the first keyframe, and audio before it', frames: [delta(0), aac(0), delta(3600), key(7200), delta(10800), key(14400)], dropped: 3, parts: 0 },
    { name: 'an unknown track id', frames: [key(0), key(3600, 9), delta(3600)], dropped: 1, parts: 0 },
    { name: 'a repeated or slightly earlier dts', frames: [key(0), delta(3600), delta(3600), delta(3000), delta(7200)], dropped: 2, parts: 0 },
    { name: 'fractional, negative or unsafe timestamps', frames: [key(0), delta(3600.5), delta(-3600), delta(2 ** 53), { ...delta(3600), pts: 3600 + 2 ** 31 }, delta(3600)], dropped: 4, parts: 0 },
  ])('$name: dropped and counted', ({ frames, dropped, parts }) => {
    const p = packager();
    push(p, frames);
    expect(p.stats.droppedFrames).toBe(dropped);
    expect(p.stats.parts).toBe(parts);
  });

  test('frames before setTracks are dropped and counted', () => {
    const p = new HlsPackager({});
    p.pushFrame(key(0));
    expect(p.stats.droppedFrames).toBe(1);
  });

  test('a timestamp jump beyond 10 s (an encoder restart) closes the segment and restarts with a discontinuity', () => {
    const p = packager();
    push(p, synthetic({ seconds: 5 }));
    push(p, synthetic({ seconds: 5, startSeconds: 3600 }));
    push(p, synthetic({ seconds: 5, startSeconds: 0 }));
    expect(p.stats.timestampResets).toBe(2);
    expect(p.stats.discontinuities).toBe(2);
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.segments.filter((s) => s.discontinuity).length + (pl.discontinuitySequence ?? 0)).toBe(2);
    expect(p.stats.droppedFrames).toBe(0);
  });
});

describe('keyframe-less sources, gaps and slow frame rates', () => {
  test('a source that never sends another keyframe is cut at MAX_SEGMENT_BYTES, counted, and resumes at the next keyframe', () => {
    const p = packager({}, [video]);
    const mib = new Uint8Array(2 ** 20);
    const frames: MediaFrame[] = [];
    for (let i = 0; i < 80; i++) {
      const dts = i * 3600;
      // one 1 MiB buffer shared by every frame: nothing is copied
      frames.push({ trackId: video.id, kind: 'video', dts, pts: dts, keyframe: i === 0 || i === 50, data: mib });
    }
    push(p, frames);
    expect(p.stats.forcedCuts).toBe(1);
    const cut = Math.floor(MAX_SEGMENT_BYTES / (2 ** 20 + 128));
    expect(p.stats.droppedFrames).toBe(50 - cut);
    const seg = p.segment('seg-0.m4s')!;
    expect(seg.reduce((n, b) => n + b.byteLength, 0)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
    const samples = readFragments(concat(seg)).flatMap((f) => f.trafs[0].samples);
    expect(samples).toHaveLength(cut);
    // The next segment starts at the keyframe: every listed segment is still independent.
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.independentSegments).toBe(true);
    expect(pl.trailingParts[0]).toMatchObject({ uri: 'part-1.0.m4s', independent: true });
    expect(pl.segments[0].duration).toBe((cut * 3600) / 90000);
  });

  test('a gap in the video (frames lost for 1 s) ends a part at its target: parts stay within PART-TARGET', () => {
    const p = packager({ segmentCount: 10 });
    const frames = synthetic({ seconds: 10 }).filter((f) => f.kind === 'audio' || f.dts < 2.3 * 90000 || f.dts >= 3.3 * 90000);
    push(p, frames);
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.partInf!['PART-TARGET']).toBe('0.500');
    for (const s of pl.segments) for (const x of s.parts) expect(x.duration).toBeLessThanOrEqual(0.5);
    expect(p.stats.longParts).toBe(0);
    // The fragments keep the real timestamps: the part after the gap starts at 3.3 s.
    const tfdts = pl.segments.flatMap((s) => readFragments(concat(p.segment(s.uri)!))).map((f) => f.trafs[0].baseMediaDecodeTime);
    expect(tfdts).toContain(Math.round(3.32 * 90000));
  });

  test('frames slower than the part target (1 fps): parts hold one frame and PART-TARGET grows to cover them', () => {
    const p = packager({ partDurationMs: 500 }, [video]);
    push(p, synthetic({ seconds: 12, fps: 1, gopFrames: 2, audio: false }));
    const pl = parseMediaPlaylist(p.playlist());
    expect(pl.partInf!['PART-TARGET']).toBe('1.000');
    expect(pl.serverControl!['PART-HOLD-BACK']).toBe('3.000');
    for (const s of pl.segments) for (const x of s.parts) expect(x.duration).toBeLessThanOrEqual(1);
    expect(p.stats.longParts).toBeGreaterThan(0);
  });
});
