/**
 * Resource names, relative to the media playlist's URL. The playlist writes them and
 * the lookups parse them back, so both sides live here.
 *
 *   init.mp4, init-2.mp4, …   init segment of each track set (the first has no number)
 *   seg-<msn>.m4s             a complete segment
 *   part-<msn>.<index>.m4s    a part (LL-HLS): index counts from 0 inside its segment
 */

/** Media sequence numbers and part indexes stay far below this; longer digit strings are not ours. */
const MAX_DIGITS = 15;

export function initName(ordinal: number): string {
  return ordinal === 1 ? 'init.mp4' : `init-${ordinal}.mp4`;
}

export function segmentName(msn: number): string {
  return `seg-${msn}.m4s`;
}

export function partName(msn: number, index: number): string {
  return `part-${msn}.${index}.m4s`;
}

const SEGMENT = new RegExp(`^seg-(\\d{1,${MAX_DIGITS}})\\.m4s$`);
const PART = new RegExp(`^part-(\\d{1,${MAX_DIGITS}})\\.(\\d{1,${MAX_DIGITS}})\\.m4s$`);

/** The media sequence number named by `seg-<msn>.m4s`, or undefined for any other name. */
export function parseSegmentName(name: string): number | undefined {
  const m = SEGMENT.exec(name);
  return m ? canonical(m[1]) : undefined;
}

/** The segment and part named by `part-<msn>.<index>.m4s`, or undefined for any other name. */
export function parsePartName(name: string): { msn: number; index: number } | undefined {
  const m = PART.exec(name);
  if (!m) return undefined;
  const msn = canonical(m[1]);
  const index = canonical(m[2]);
  return msn === undefined || index === undefined ? undefined : { msn, index };
}

/** Only the spelling the playlist writes: `seg-007.m4s` is not `seg-7.m4s`. */
function canonical(digits: string): number | undefined {
  const n = Number(digits);
  return String(n) === digits ? n : undefined;
}
