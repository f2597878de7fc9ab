import { afterEach, describe, expect, test, vi } from 'vitest';
import { HlsError, HlsPackager, parseHlsQuery } from '../src/index.js';
import { audio, synthetic, video } from './support/frames.js';
import { parseMediaPlaylist } from './support/m3u8.js';
import { packager, push, settle } from './support/packager.js';

/** A promise's state, observed without awaiting it. */
function track<T>(p: Promise<T>): { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } {
  const t: { state: 'pending' | 'resolved' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  p.then(
    (value) => Object.assign(t, { state: 'resolved', value }),
    (error) => Object.assign(t, { state: 'rejected', error }),
  );
  return t;
}

/** The newest part in a playlist. */
function newestPart(text: string): string | undefined {
  const pl = parseMediaPlaylist(text);
  return pl.trailingParts.at(-1)?.uri ?? pl.segments.at(-1)?.parts.at(-1)?.uri;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('blocking playlist reload (RFC 8216bis 6.2.5.2)', () => {
  test('a pending _HLS_msn/_HLS_part request resolves exactly after the push that completes the part', async () => {
    const p = packager();
    const frames = synthetic({ seconds: 6 });
    let i = 0;
    // up to the first part of segment 1
    while (p.stats.segments < 1) p.pushFrame(frames[i++]);
    expect(newestPart(p.playlist())).toBe('part-0.4.m4s');

    // Segment 1's part 1 does not exist yet; the request waits for it.
    const req = track(p.playlistWhenReady(1, 1));
    await settle();
    expect(req.state).toBe('pending');
    expect(p.stats.waiting).toBe(1);

    let pushes = 0;
    for (;;) {
      const before = p.part('part-1.1.m4s');
      p.pushFrame(frames[i++]);
      pushes++;
      await settle();
      if (before === undefined && p.part('part-1.1.m4s') !== undefined) {
        // this push completed the part: the request is answered now, not earlier
        expect(req.state).toBe('resolved');
        break;
      }
      expect(req.state).toBe('pending');
    }
    expect(pushes).toBeGreaterThan(20); // two parts of video and audio frames went by first
    const pl = parseMediaPlaylist(req.value!);
    expect(pl.trailingParts.map((x) => x.uri)).toContain('part-1.1.m4s');
    expect(req.value).toBe(p.playlist());
    expect(p.stats.waiting).toBe(0);
  });

  test('_HLS_msn alone waits for the whole segment', async () => {
    const p = packager();
    const frames = synthetic({ seconds: 6 });
    let i = 0;
    while (p.stats.segments < 1) p.pushFrame(frames[i++]);
    const req = track(p.playlistWhenReady(1, undefined));
    while (p.stats.segments < 2) {
      await settle();
      expect(req.state).toBe('pending');
      p.pushFrame(frames[i++]);
    }
    await settle();
    expect(req.state).toBe('resolved');
    expect(parseMediaPlaylist(req.value!).segments.at(-1)!.uri).toBe('seg-1.m4s');
  });

  test('what already exists, or has left the playlist, answers at once with the whole playlist', async () => {
    const p = packager({ segmentCount: 3 });
    push(p, synthetic({ seconds: 21 }));
    await expect(p.playlistWhenReady(8, 2)).resolves.toBe(p.playlist());
    await expect(p.playlistWhenReady(0, undefined)).resolves.toBe(p.playlist());
    await expect(p.playlistWhenReady(0, 0)).resolves.toBe(p.playlist());
  });

  test('a part index past the end of its segment means part 0 of the next segment', async () => {
    const p = packager();
    const frames = synthetic({ seconds: 6 });
    let i = 0;
    while (p.stats.segments < 1) p.pushFrame(frames[i++]);
    // segment 0 has parts 0..4
    const req = track(p.playlistWhenReady(0, 5));
    await settle();
    expect(req.state).toBe('pending');
    while (p.part('part-1.0.m4s') === undefined) p.pushFrame(frames[i++]);
    await settle();
    expect(req.state).toBe('resolved');
  });

  test('BAD_REQUEST (400) at once for _HLS_msn more than two segments ahead', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 5 })); // segments 0 and 1 complete
    await expect(p.playlistWhenReady(4, undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    await expect(p.playlistWhenReady(4, 0)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // last + 2 is allowed (it waits)
    const ac = new AbortController();
    const ok = p.playlistWhenReady(3, undefined, ac.signal);
    ac.abort();
    await expect(ok).rejects.toMatchObject({ code: 'ABORTED' });
  });

  test('BAD_REQUEST (400) at once for _HLS_part beyond the Advance Part Limit (3 / PART-TARGET = 6 parts)', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 4.5 }));
    const last = newestPart(p.playlist())!;
    expect(last).toBe('part-2.0.m4s');
    // 7 parts past part-2.0, counting at least one part for segment 2's remainder
    await expect(p.playlistWhenReady(2, 7)).rejects.toMatchObject({ code: 'BAD_REQUEST', status: 400 });
    await expect(p.playlistWhenReady(3, 6)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const ac = new AbortController();
    const within = [p.playlistWhenReady(2, 6, ac.signal), p.playlistWhenReady(3, 5, ac.signal)];
    expect(p.stats.waiting).toBe(2);
    ac.abort();
    for (const w of within) await expect(w).rejects.toMatchObject({ code: 'ABORTED' });
    expect(p.stats.waiting).toBe(0);
  });

  test('BAD_REQUEST for a malformed msn or part', async () => {
    const p = packager();
    await expect(p.playlistWhenReady(-1, undefined)).rejects.toBeInstanceOf(HlsError);
    await expect(p.playlistWhenReady(1.5, undefined)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('_HLS_msn') });
    await expect(p.playlistWhenReady(0, Number.NaN)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('_HLS_part') });
  });

  test('TIMEOUT (503) after the given time', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 3 }));
    const started = Date.now();
    await expect(p.playlistWhenReady(1, undefined, undefined, 30)).rejects.toMatchObject({ code: 'TIMEOUT', status: 503 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(p.stats.waiting).toBe(0);
  });

  test('the default timeout is three target durations', async () => {
    vi.useFakeTimers();
    const p = packager({ segmentDurationMs: 2000 });
    const req = track(p.playlistWhenReady(1, undefined));
    await vi.advanceTimersByTimeAsync(5_999);
    expect(req.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(req.state).toBe('rejected');
    expect(req.error).toMatchObject({ code: 'TIMEOUT' });
  });

  test('ABORTED when the signal fires, or was already aborted; the waiter is removed', async () => {
    const p = packager();
    const ac = new AbortController();
    const req = p.playlistWhenReady(0, 0, ac.signal);
    expect(p.stats.waiting).toBe(1);
    ac.abort();
    await expect(req).rejects.toMatchObject({ code: 'ABORTED', status: 499 });
    expect(p.stats.waiting).toBe(0);
    await expect(p.playlistWhenReady(0, 0, AbortSignal.abort())).rejects.toMatchObject({ code: 'ABORTED' });
  });

  test('end(): pending reloads answer with the final playlist, and directives are ignored from then on', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 3 }));
    const req = p.playlistWhenReady(2, undefined);
    p.end();
    const text = await req;
    expect(parseMediaPlaylist(text).endList).toBe(true);
    await expect(p.playlistWhenReady(50, 9)).resolves.toBe(text);
  });
});

describe('preload hint: blocking part requests (RFC 8216bis 6.2.6)', () => {
  test('a request for the hinted part waits and gets it on the push that completes it', async () => {
    const p = packager();
    const frames = synthetic({ seconds: 4 });
    let i = 0;
    while (p.stats.parts < 2) p.pushFrame(frames[i++]);
    const hint = parseMediaPlaylist(p.playlist()).preloadHint!.URI;
    expect(hint).toBe('part-0.2.m4s');
    const req = track(p.partWhenReady(hint));
    await settle();
    expect(req.state).toBe('pending');
    while (p.stats.parts < 3) {
      p.pushFrame(frames[i++]);
      await settle();
      expect(req.state).toBe(p.stats.parts < 3 ? 'pending' : 'resolved');
    }
    const buffers = req.value!;
    expect(buffers).toEqual(p.part(hint));
    // the same shared views, not copies
    expect(buffers[1]).toBe(p.part(hint)![1]);
  });

  test('a published part answers at once; a part after the hint is NOT_FOUND', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 3 }));
    await expect(p.partWhenReady('part-0.0.m4s')).resolves.toBeDefined();
    const hint = parseMediaPlaylist(p.playlist()).preloadHint!.URI;
    expect(hint).toBe('part-1.2.m4s');
    await expect(p.partWhenReady('part-1.1.m4s')).resolves.toBeDefined();
    await expect(p.partWhenReady('part-1.3.m4s')).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(p.partWhenReady('part-2.0.m4s')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  test('GONE when the stream ends before the hinted part is made; TIMEOUT and ABORTED like playlists', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 3 }));
    p.setTracks([video, audio]); // closes segment 1: the hint is now part 2.0, which has no frames yet
    const hint = parseMediaPlaylist(p.playlist()).preloadHint!.URI;
    expect(hint).toBe('part-2.0.m4s');
    const gone = p.partWhenReady(hint);
    const ac = new AbortController();
    const aborted = p.partWhenReady(hint, ac.signal);
    await expect(p.partWhenReady(hint, undefined, 10)).rejects.toMatchObject({ code: 'TIMEOUT' });
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'ABORTED' });
    p.end();
    await expect(gone).rejects.toMatchObject({ code: 'GONE', status: 410 });
    expect(p.stats.waiting).toBe(0);
  });

  test('many waiters on the same part share one answer', async () => {
    const p = packager();
    push(p, synthetic({ seconds: 1 }));
    const hint = parseMediaPlaylist(p.playlist()).preloadHint!.URI;
    const reqs = Array.from({ length: 100 }, () => p.partWhenReady(hint));
    expect(p.stats.waiting).toBe(100);
    push(p, synthetic({ seconds: 1, startSeconds: 2 }));
    const got = await Promise.all(reqs);
    expect(new Set(got.map((b) => b[0])).size).toBe(1); // one fragment header for everybody
    expect(p.stats.waiting).toBe(0);
  });
});

describe('parseHlsQuery', () => {
  test.each<{ query: string; parsed?: { msn?: number; part?: number }; error?: string }>([
    { query: '', parsed: {} },
    { query: '_HLS_msn=12', parsed: { msn: 12 } },
    { query: '_HLS_msn=12&_HLS_part=3', parsed: { msn: 12, part: 3 } },
    { query: '_HLS_msn=0&_HLS_part=0&_HLS_skip=YES', parsed: { msn: 0, part: 0 } },
    { query: 'foo=1', parsed: {} },
    { query: '_HLS_part=3', error: '_HLS_part requires _HLS_msn' },
    { query: '_HLS_msn=-1', error: '_HLS_msn' },
    { query: '_HLS_msn=1.5', error: '_HLS_msn' },
    { query: '_HLS_msn=', error: '_HLS_msn' },
    { query: '_HLS_msn=abc', error: '_HLS_msn' },
    { query: '_HLS_msn=%2B1', error: '_HLS_msn' },
    { query: '_HLS_msn=1e3', error: '_HLS_msn' },
    { query: '_HLS_msn=1234567890123456', error: '_HLS_msn' },
    { query: '_HLS_msn=1&_HLS_msn=2', error: '_HLS_msn given 2 times' },
    { query: '_HLS_msn=1&_HLS_part=x', error: '_HLS_part' },
  ])('$query', ({ query, parsed, error }) => {
    const params = new URLSearchParams(query);
    if (error === undefined) expect(parseHlsQuery(params)).toEqual(parsed);
    else expect(() => parseHlsQuery(params)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', status: 400, message: expect.stringContaining(error) }));
  });

  test('the parsed query feeds playlistWhenReady', async () => {
    const p = new HlsPackager({});
    p.setTracks([video, audio]);
    const { msn, part } = parseHlsQuery(new URLSearchParams('_HLS_msn=9&_HLS_part=0'));
    await expect(p.playlistWhenReady(msn!, part)).rejects.toMatchObject({ status: 400 });
  });
});
