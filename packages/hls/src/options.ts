export interface HlsOptions {
  /**
   * hls.segDur. A segment is cut at the first video keyframe at or after this much
   * media; audio-only streams cut at the last audio frame boundary within it.
   */
  segmentDurationMs: number;
  /** hls.segNum. Segments listed in the playlist (plus late-fetch and 3 × target duration margins, see README). */
  segmentCount: number;
  /** LL-HLS part target: parts are cut at the last frame boundary within it. */
  partDurationMs: number;
  /** Parts, preload hint, server control and blocking reload. */
  lowLatency: boolean;
  /** Wall clock in ms since the epoch, read once per track set to anchor EXT-X-PROGRAM-DATE-TIME. */
  now?: () => number;
}

export const DEFAULT_OPTIONS: Readonly<HlsOptions> = {
  segmentDurationMs: 2000,
  segmentCount: 3,
  partDurationMs: 500,
  lowLatency: true,
};

/** Options with defaults filled in; a wrong value is a configuration bug and throws RangeError. */
export function resolveOptions(given: Partial<HlsOptions>): Required<HlsOptions> {
  const o: Required<HlsOptions> = { ...DEFAULT_OPTIONS, now: Date.now };
  for (const key of Object.keys(given) as (keyof HlsOptions)[]) {
    if (given[key] !== undefined) (o as unknown as Record<string, unknown>)[key] = given[key];
  }
  positive('segmentDurationMs', o.segmentDurationMs);
  positive('partDurationMs', o.partDurationMs);
  if (!Number.isInteger(o.segmentCount) || o.segmentCount < 1) {
    throw new RangeError(`segmentCount must be an integer >= 1, got ${o.segmentCount}`);
  }
  if (!Number.isInteger(o.partDurationMs)) throw new RangeError(`partDurationMs must be whole milliseconds, got ${o.partDurationMs}`);
  if (typeof o.lowLatency !== 'boolean') throw new RangeError('lowLatency must be a boolean');
  if (typeof o.now !== 'function') throw new RangeError('now must be a function');
  return o;
}

function positive(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${v}`);
}
