import type { Track } from '@sluice/codec';
import type { Fragment } from '@sluice/fmp4';

/** The init segment (ftyp + moov) of one track set. */
export interface InitSection {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly tracks: readonly Track[];
}

/** One fMP4 fragment (moof + mdat) holding every track's samples of a stretch of media. */
export interface Part {
  readonly msn: number;
  readonly index: number;
  readonly fragment: Fragment;
  /** Seconds, from the lead track: its first sample's dts to the next part's. */
  readonly duration: number;
  /** The lead track's first sample is a sync sample (always, for audio-only streams). */
  readonly independent: boolean;
}

/** Fields shared by the segment under construction and a complete one. */
export interface SegmentHead {
  readonly msn: number;
  readonly init: InitSection;
  /** EXT-X-DISCONTINUITY before this segment: the track set changed (or restarted) just before it. */
  readonly discontinuity: boolean;
  /** EXT-X-PROGRAM-DATE-TIME, ms since the epoch. */
  readonly programDateTime: number;
  /** Seconds on the packager's own timeline (the sum of all earlier segment durations). */
  readonly start: number;
}

/** The segment being built: its parts so far. */
export interface OpenSegment extends SegmentHead {
  readonly parts: readonly Part[];
}

/** A finished segment: its parts, back to back, are the segment file. */
export interface Segment extends SegmentHead {
  readonly parts: readonly Part[];
  /** Seconds: the sum of its parts. */
  readonly duration: number;
  readonly byteLength: number;
  /** `[moof+mdat header, ...payloads]` of every part, in order: shared views, never copied. */
  readonly buffers: readonly Uint8Array[];
}
