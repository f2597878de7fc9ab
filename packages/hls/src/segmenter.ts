import type { MediaFrame, Track } from '@sluice/codec';
import { Fragment, type Fmp4Sample, type TrackRun } from '@sluice/fmp4';
import type { InitSection, OpenSegment, Part, Segment } from './model.js';

/**
 * Bytes one segment may hold before it is cut without waiting for a keyframe. A 2 s
 * segment of 4K at 50 Mbit/s is 12.5 MB, so 32 MiB leaves room for 5 s GOPs at that
 * rate; a source that never sends another keyframe is cut here instead of growing
 * without bound. Each retained segment is at most this big, so the packager's memory
 * is bounded by (retained segments + 1) × this.
 */
export const MAX_SEGMENT_BYTES = 32 * 2 ** 20;

/**
 * What one sample costs beyond its payload (its sample object, its trun entry), so
 * that a flood of tiny frames is bounded by MAX_SEGMENT_BYTES too.
 */
const SAMPLE_OVERHEAD_BYTES = 128;

/**
 * A dts step above this (either way) on any track is not a late or lost frame but a
 * new timeline (an encoder restart behind the same publish): the packager closes the
 * segment and starts over with EXT-X-DISCONTINUITY, as for new tracks. Smaller
 * backward steps drop the frame.
 */
const TIMESTAMP_JUMP_SECONDS = 10;

/** Frame rate assumed for the first video frame's duration, before a second one shows the real step. */
const DEFAULT_FRAME_RATE = 25;
/** Samples in an AAC access unit (AAC-LC; HE-AAC's core frame is the same length). */
const AAC_FRAME_SAMPLES = 1024;

export interface SegmenterStats {
  segments: number;
  parts: number;
  /** Segments cut at MAX_SEGMENT_BYTES because no keyframe came. */
  forcedCuts: number;
  /** Frames not packaged: no tracks, unknown track, bad timestamps, backward dts, or waiting for a keyframe. */
  droppedFrames: number;
  /** Parts longer than the configured part target (PART-TARGET was raised). */
  longParts: number;
  /** Track-set (re)starts after the first, and timestamp jumps: each makes an EXT-X-DISCONTINUITY. */
  discontinuities: number;
  /** Timestamp jumps beyond TIMESTAMP_JUMP_SECONDS that restarted the timeline. */
  timestampResets: number;
}

export interface SegmenterSink {
  /** A part is complete (it is already in `open.parts`). */
  part(part: Part, open: OpenSegment): void;
  /** A segment is complete. */
  segment(segment: Segment): void;
}

interface Period {
  readonly tracks: readonly Track[];
  readonly byId: ReadonlyMap<number, Track>;
  /** Timing comes from this track: the first video track, else the first audio track. */
  readonly lead: Track;
  readonly leadIsVideo: boolean;
  readonly init: InitSection;
}

/** A sample plus what was guessed about its duration when it arrived. */
interface PendingSample extends Fmp4Sample {
  /** The dts step before this sample: its duration if the stream keeps its rate. */
  readonly estimate: number;
}

interface PendingPart {
  readonly startDts: number;
  readonly runs: Map<number, PendingSample[]>;
  readonly firstLead: PendingSample;
  lastLead: PendingSample;
}

interface OpenState {
  readonly segment: OpenSegment & { parts: Part[] };
  /** Lead-track dts of the segment's first sample. */
  readonly startDts: number;
  /** Lead-track dts where the last complete part ended. */
  endDts: number;
  /** Payload + sample overhead so far, against MAX_SEGMENT_BYTES. */
  bytes: number;
  part: PendingPart | undefined;
}

interface TrackClock {
  lastDts: number;
}

/**
 * Turns frames into parts and segments.
 *
 * - A segment starts at a lead-track sync sample and ends before the first video
 *   keyframe at or after `segmentDurationMs` (audio-only: before the frame that would
 *   take it past `segmentDurationMs`).
 * - A part ends before the lead frame that would take it past `partDurationMs`, or at
 *   a segment end. It is one fMP4 fragment with a run per track.
 * - A part closes when the next lead frame arrives, so the lead track's sample
 *   durations are exact dts steps. Other tracks' samples are placed in the part that is
 *   open when they arrive, and the last one in a part gets the track's previous dts
 *   step as its duration (constant for audio). Nothing is held back.
 * - A lead gap that would push a part past its target (frames missing at the encoder,
 *   a pause) ends the part at the target: the next part's tfdt carries the jump and
 *   the playlist durations stay within PART-TARGET.
 */
export class Segmenter {
  readonly #segmentMs: number;
  /** Infinity when low latency is off: one part (fragment) per segment. */
  readonly #partMs: number;
  readonly #now: () => number;
  readonly #sink: SegmenterSink;
  readonly #stats: SegmenterStats;

  #period: Period | undefined;
  #clocks = new Map<number, TrackClock>();
  #open: OpenState | undefined;
  #ended = false;
  #discontinuityNext = false;
  #nextMsn = 0;
  #sequenceNumber = 1;
  /** Seconds on the packager timeline where the next segment starts. */
  #timeline = 0;
  /** Wall clock and lead dts of the period's first sample: PROGRAM-DATE-TIME is derived from media time. */
  #anchor: { wallMs: number; dts: number } | undefined;

  constructor(opts: { segmentDurationMs: number; partDurationMs: number; now: () => number }, sink: SegmenterSink, stats: SegmenterStats) {
    this.#segmentMs = opts.segmentDurationMs;
    this.#partMs = opts.partDurationMs;
    this.#now = opts.now;
    this.#sink = sink;
    this.#stats = stats;
  }

  get tracks(): readonly Track[] {
    return this.#period?.tracks ?? [];
  }
  get init(): InitSection | undefined {
    return this.#period?.init;
  }
  get ended(): boolean {
    return this.#ended;
  }
  /** The segment being built, once its first sample arrived. */
  get open(): OpenSegment | undefined {
    return this.#open?.segment;
  }
  /** Payload and sample overhead of the open segment, in bytes. */
  get openBytes(): number {
    return this.#open?.bytes ?? 0;
  }
  /** The media sequence number the next segment to open gets. */
  get nextMsn(): number {
    return this.#nextMsn;
  }

  /**
   * Starts a track set. The open segment is closed first; the next one gets
   * EXT-X-DISCONTINUITY when any segment came before, because a new publish restarts
   * timestamps even when the tracks are the same.
   */
  start(tracks: readonly Track[], init: InitSection): void {
    this.flush();
    const lead = tracks.find((t) => t.kind === 'video') ?? tracks.find((t) => t.kind === 'audio');
    if (lead === undefined) throw new RangeError('setTracks needs at least one track');
    const hadPeriod = this.#period !== undefined;
    this.#period = { tracks, byId: new Map(tracks.map((t) => [t.id, t])), lead, leadIsVideo: lead.kind === 'video', init };
    this.#restartTimeline(hadPeriod && this.#stats.segments > 0);
    this.#ended = false;
  }

  /** The stream is over: the last part and segment close with estimated last durations. */
  end(): void {
    this.flush();
    this.#ended = true;
  }

  /** Closes the open part and segment, if any. */
  flush(): void {
    if (this.#open === undefined) return;
    this.#closePart(undefined);
    this.#closeSegment();
  }

  push(frame: MediaFrame): void {
    const p = this.#period;
    const track = p?.byId.get(frame.trackId);
    if (p === undefined || track === undefined || this.#ended || !validTimestamps(frame)) {
      this.#stats.droppedFrames++;
      return;
    }
    const clock = this.#clocks.get(track.id);
    let step = clock === undefined ? defaultDuration(track, frame) : frame.dts - clock.lastDts;
    if (clock !== undefined && Math.abs(step) > jumpLimit(track)) {
      this.#stats.timestampResets++;
      this.flush();
      this.#restartTimeline(true);
      step = defaultDuration(track, frame);
    } else if (step <= 0) {
      this.#stats.droppedFrames++;
      return;
    }
    this.#clocks.set(track.id, { lastDts: frame.dts });

    const isLead = track === p.lead;
    const sync = isLead && (frame.keyframe || !p.leadIsVideo);
    const cost = frame.data.byteLength + SAMPLE_OVERHEAD_BYTES;
    if (isLead && this.#open !== undefined) this.#cutBefore(p, frame, step);
    if (this.#open !== undefined && this.#open.bytes + cost > MAX_SEGMENT_BYTES) {
      this.#stats.forcedCuts++;
      this.#closePart(isLead ? frame.dts : undefined);
      this.#closeSegment();
    }
    if (this.#open === undefined) {
      // Every segment starts with a lead sync sample: before the first one, after a
      // forced cut, and after a restart, frames are dropped until it comes.
      if (!sync) {
        this.#stats.droppedFrames++;
        return;
      }
      this.#openSegment(p, frame.dts);
    }
    this.#append(track.id, isLead, { dts: frame.dts, pts: frame.pts, keyframe: frame.keyframe, data: frame.data, duration: step, estimate: step }, cost);
  }

  /** Closes the part (and segment) that a lead frame at `frame.dts` does not belong to. */
  #cutBefore(p: Period, frame: MediaFrame, step: number): void {
    const open = this.#open!;
    const scale = p.lead.timescale;
    const segmentTicks = frame.dts - open.startDts;
    // Compare in ms × timescale so no rounding decides a boundary.
    const segmentEnds = p.leadIsVideo
      ? frame.keyframe && segmentTicks * 1000 >= this.#segmentMs * scale
      : (segmentTicks + step) * 1000 > this.#segmentMs * scale;
    if (segmentEnds) {
      this.#closePart(frame.dts);
      this.#closeSegment();
      return;
    }
    const part = open.part!;
    if ((frame.dts - part.startDts + step) * 1000 > this.#partMs * scale) this.#closePart(frame.dts);
  }

  #openSegment(p: Period, dts: number): void {
    const scale = p.lead.timescale;
    this.#anchor ??= { wallMs: this.#now(), dts };
    this.#open = {
      segment: {
        msn: this.#nextMsn++,
        init: p.init,
        discontinuity: this.#discontinuityNext,
        programDateTime: this.#anchor.wallMs + ((dts - this.#anchor.dts) * 1000) / scale,
        start: this.#timeline,
        parts: [],
      },
      startDts: dts,
      endDts: dts,
      bytes: 0,
      part: undefined,
    };
    this.#discontinuityNext = false;
  }

  #append(trackId: number, isLead: boolean, sample: PendingSample, cost: number): void {
    const open = this.#open!;
    let part = open.part;
    if (part === undefined) {
      // A part always starts with a lead sample: parts are cut on lead frames.
      part = open.part = { startDts: sample.dts, runs: new Map(), firstLead: sample, lastLead: sample };
    }
    let run = part.runs.get(trackId);
    if (run === undefined) part.runs.set(trackId, (run = []));
    run.push(sample);
    if (isLead) part.lastLead = sample;
    open.bytes += cost;
  }

  /**
   * Ends the pending part at lead dts `end` (the next lead frame), or, with no next
   * frame, after its last lead sample's estimated duration.
   */
  #closePart(end: number | undefined): void {
    const p = this.#period!;
    const open = this.#open!;
    const part = open.part;
    if (part === undefined) return;
    const scale = p.lead.timescale;
    const last = part.lastLead;
    if (end !== undefined) {
      const actual = end - last.dts;
      const partTicks = (this.#partMs * scale) / 1000;
      // A gap: end the part at its target instead of stretching it (see class comment).
      last.duration =
        end - part.startDts > partTicks && actual > last.estimate
          ? Math.min(actual, Math.max(Math.floor(partTicks - (last.dts - part.startDts)), last.estimate))
          : actual;
    }
    const partEnd = last.dts + last.duration;
    const runs: TrackRun[] = p.tracks.map((track) => ({ track, samples: part.runs.get(track.id) ?? [] }));
    const fragment = new Fragment(this.#sequenceNumber, runs);
    this.#sequenceNumber = this.#sequenceNumber >= 0xffff_ffff ? 1 : this.#sequenceNumber + 1;
    const durationTicks = partEnd - part.startDts;
    if (durationTicks * 1000 > this.#partMs * scale) this.#stats.longParts++;
    const done: Part = {
      msn: open.segment.msn,
      index: open.segment.parts.length,
      fragment,
      duration: durationTicks / scale,
      independent: !p.leadIsVideo || part.firstLead.keyframe,
    };
    open.segment.parts.push(done);
    open.endDts = partEnd;
    open.part = undefined;
    this.#stats.parts++;
    this.#sink.part(done, open.segment);
  }

  #closeSegment(): void {
    const open = this.#open!;
    this.#open = undefined;
    const s = open.segment;
    const duration = s.parts.reduce((sum, part) => sum + part.duration, 0);
    const buffers: Uint8Array[] = [];
    let byteLength = 0;
    for (const part of s.parts) {
      buffers.push(part.fragment.header, ...part.fragment.payloads);
      byteLength += part.fragment.byteLength();
    }
    this.#timeline += duration;
    this.#stats.segments++;
    this.#sink.segment({ ...s, parts: s.parts, duration, byteLength, buffers });
  }

  #restartTimeline(discontinuity: boolean): void {
    this.#clocks.clear();
    this.#anchor = undefined;
    if (discontinuity && !this.#discontinuityNext) {
      this.#discontinuityNext = true;
      this.#stats.discontinuities++;
    }
  }
}

function validTimestamps(f: MediaFrame): boolean {
  // The fMP4 fields: tfdt is 64-bit, the composition offset a signed 32-bit.
  return Number.isSafeInteger(f.dts) && f.dts >= 0 && Number.isSafeInteger(f.pts) && Math.abs(f.pts - f.dts) <= 0x7fff_ffff;
}

/** TIMESTAMP_JUMP_SECONDS in the track's ticks, kept within a 32-bit trun sample_duration. */
function jumpLimit(track: Track): number {
  return Math.min(TIMESTAMP_JUMP_SECONDS * track.timescale, 0x7fff_ffff);
}

/** A first sample's duration, before a second one shows the real dts step. */
function defaultDuration(track: Track, frame: MediaFrame): number {
  if (track.kind === 'video') return Math.max(1, Math.round(track.timescale / DEFAULT_FRAME_RATE));
  const samples = track.codec === 'aac' ? AAC_FRAME_SAMPLES : frame.data.byteLength / Math.max(1, track.channels);
  return Math.max(1, Math.round((samples * track.timescale) / track.sampleRate));
}
