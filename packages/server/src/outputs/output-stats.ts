import type { MediaSource } from '@sluice/core';

/** Bytes sent to viewers of one stream, over all outputs; lives as long as the stream. */
export interface OutputStats {
  bytesOut: number;
  /** Fragments skipped for slow viewers (dropped to the next keyframe), by muxers no longer running. */
  skippedFragments: number;
}

const stats = new WeakMap<MediaSource, OutputStats>();

export function outputStats(source: MediaSource): OutputStats {
  let s = stats.get(source);
  if (!s) {
    s = { bytesOut: 0, skippedFragments: 0 };
    stats.set(source, s);
  }
  return s;
}
