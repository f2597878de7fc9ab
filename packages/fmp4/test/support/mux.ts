import type { Track } from '@sluice/codec';
import { Fragment, initSegment, type Fmp4Sample } from '../../src/index.js';

/** All frames in decode order across tracks (a stable sort keeps each track's own order). */
export function byDecodeTime(tracks: readonly Track[], samples: ReadonlyMap<number, readonly Fmp4Sample[]>): { track: Track; sample: Fmp4Sample }[] {
  const all: { track: Track; sample: Fmp4Sample }[] = [];
  for (const track of tracks) for (const sample of samples.get(track.id) ?? []) all.push({ track, sample });
  return all.sort((a, b) => a.sample.dts / a.track.timescale - b.sample.dts / b.track.timescale);
}

/** The live mode: one sample per fragment, one track per fragment, interleaved by dts. */
export function perFrameFragments(tracks: readonly Track[], samples: ReadonlyMap<number, readonly Fmp4Sample[]>): Fragment[] {
  let seq = 1;
  return byDecodeTime(tracks, samples).map(({ track, sample }) => new Fragment(seq++, [{ track, samples: [sample] }]));
}

/**
 * The HLS mode: a fragment per video GOP (1 s here), every track's samples whose
 * dts falls in the GOP's decode interval in one multi-traf fragment.
 */
export function gopFragments(tracks: readonly Track[], samples: ReadonlyMap<number, readonly Fmp4Sample[]>): Fragment[] {
  const video = tracks.find((t) => t.kind === 'video')!;
  const cuts = samples
    .get(video.id)!
    .filter((s) => s.keyframe)
    .map((s) => s.dts / video.timescale)
    .slice(1);
  const groups: Map<number, Fmp4Sample[]>[] = Array.from({ length: cuts.length + 1 }, () => new Map());
  for (const { track, sample } of byDecodeTime(tracks, samples)) {
    const t = sample.dts / track.timescale;
    let g = 0;
    while (g < cuts.length && t >= cuts[g]) g++;
    const group = groups[g];
    if (!group.has(track.id)) group.set(track.id, []);
    group.get(track.id)!.push(sample);
  }
  return groups.map((g, i) => new Fragment(i + 1, tracks.map((track) => ({ track, samples: g.get(track.id) ?? [] }))));
}

/** init segment + fragments, contiguous, through `writeTo` (the HLS segment file path). */
export function toFile(tracks: readonly Track[], fragments: readonly Fragment[]): Uint8Array {
  const init = initSegment(tracks);
  const out = new Uint8Array(init.byteLength + fragments.reduce((n, f) => n + f.byteLength(), 0));
  out.set(init, 0);
  let pos = init.byteLength;
  for (const f of fragments) pos += f.writeTo(out, pos);
  return out;
}
