import type { InitSection, Part, Segment } from './model.js';

/**
 * Segments kept after they leave the playlist. RFC 8216bis 6.2.2 wants a removed
 * segment downloadable for its Availability Duration, and a removed EXT-X-PART for
 * three target durations; with segments about a target duration long, three more
 * segments cover both. Also the bound on memory beyond the playlist.
 */
export const LATE_FETCH_SEGMENTS = 3;

/**
 * How many segments beyond `segmentCount` the playlist may keep so that it spans
 * three target durations (RFC 8216bis 6.2.2: a segment must not be removed if that
 * leaves a live playlist shorter than that). Only matters when segments come out much
 * shorter than the target duration; bounded so memory stays bounded.
 */
export const MAX_WINDOW_EXTENSION = 3;

/**
 * The sliding window: complete segments (the playlist's and the late-fetch ones),
 * the media sequence and discontinuity sequence numbers, and the target durations,
 * which only ever grow.
 */
export class SegmentWindow {
  readonly #segmentCount: number;
  /** Retained segments, ascending msn, contiguous. */
  readonly #segments: Segment[] = [];
  #windowStart = 0;
  #discontinuitySequence = 0;
  #targetDuration: number;
  #partTargetMs: number;
  /** Init sections by name: the current one and those retained segments use. */
  readonly #inits = new Map<string, InitSection>();

  constructor(opts: { segmentCount: number; segmentDurationMs: number; partDurationMs: number }) {
    this.#segmentCount = opts.segmentCount;
    this.#targetDuration = Math.max(1, Math.ceil(opts.segmentDurationMs / 1000));
    this.#partTargetMs = opts.partDurationMs;
  }

  /** EXT-X-TARGETDURATION, whole seconds: ceil of the longest EXTINF so far, at least ceil(segmentDurationMs). */
  get targetDuration(): number {
    return this.#targetDuration;
  }
  /** PART-TARGET in ms: `partDurationMs`, or the longest part so far when one was longer. */
  get partTargetMs(): number {
    return this.#partTargetMs;
  }
  /** EXT-X-MEDIA-SEQUENCE. */
  get windowStart(): number {
    return this.#windowStart;
  }
  get discontinuitySequence(): number {
    return this.#discontinuitySequence;
  }
  /** Segments in the playlist, oldest first. */
  listed(): Segment[] {
    const first = this.#segments.findIndex((s) => s.msn >= this.#windowStart);
    return first < 0 ? [] : this.#segments.slice(first);
  }
  /** Every retained segment, oldest first. */
  retained(): readonly Segment[] {
    return this.#segments;
  }
  get last(): Segment | undefined {
    return this.#segments.at(-1);
  }
  segment(msn: number): Segment | undefined {
    const first = this.#segments[0];
    return first === undefined ? undefined : this.#segments[msn - first.msn];
  }
  init(name: string): InitSection | undefined {
    return this.#inits.get(name);
  }
  get heldBytes(): number {
    return this.#segments.reduce((n, s) => n + s.byteLength, 0);
  }

  addInit(init: InitSection): void {
    this.#inits.set(init.name, init);
  }

  /** A part was made: PART-TARGET must cover it (rounded up to the ms it is printed with). */
  notePart(part: Part): void {
    const ms = Math.ceil(Number((part.duration * 1000).toFixed(6)));
    if (ms > this.#partTargetMs) this.#partTargetMs = ms;
  }

  /** A segment is complete: slide the window and drop what is past the late-fetch margin. */
  add(segment: Segment, currentInit: InitSection | undefined): void {
    const prev = this.#segments.at(-1);
    if (prev !== undefined && segment.msn !== prev.msn + 1) throw new Error(`segment ${segment.msn} after ${prev.msn}`);
    this.#segments.push(segment);
    // The printed EXTINF, rounded up: every EXTINF (rounded to the nearest integer, as
    // the spec reads it, or up) is then <= EXT-X-TARGETDURATION.
    this.#targetDuration = Math.max(this.#targetDuration, Math.ceil(Number(segment.duration.toFixed(3))));

    const segs = this.#segments;
    let first = Math.max(0, segs.length - this.#segmentCount);
    const lowest = Math.max(0, segs.length - this.#segmentCount - MAX_WINDOW_EXTENSION);
    const span = (from: number) => segs.slice(from).reduce((n, s) => n + s.duration, 0);
    while (first > lowest && segs[first - 1].msn >= this.#windowStart && span(first) < 3 * this.#targetDuration) first--;
    const start = Math.max(this.#windowStart, segs[first].msn);
    for (const s of segs) {
      // A DISCONTINUITY tag leaving the playlist moves into EXT-X-DISCONTINUITY-SEQUENCE.
      if (s.msn >= this.#windowStart && s.msn < start && s.discontinuity) this.#discontinuitySequence++;
    }
    this.#windowStart = start;

    while (segs.length > 0 && segs[0].msn < start - LATE_FETCH_SEGMENTS) segs.shift();
    for (const name of this.#inits.keys()) {
      if (name !== currentInit?.name && !segs.some((s) => s.init.name === name)) this.#inits.delete(name);
    }
  }
}
