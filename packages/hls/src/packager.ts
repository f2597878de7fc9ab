import { sameDecoding, type MediaFrame, type Track } from '@sluice/codec';
import { initSegment } from '@sluice/fmp4';
import { HlsError } from './errors.js';
import type { InitSection, Part } from './model.js';
import { initName, parsePartName, parseSegmentName, partName } from './names.js';
import { resolveOptions, type HlsOptions } from './options.js';
import { renderMediaPlaylist } from './playlist.js';
import { Segmenter, type SegmenterStats } from './segmenter.js';
import { Waiters } from './waiters.js';
import { SegmentWindow } from './window.js';

export interface HlsStats extends SegmenterStats {
  /** Complete segments in memory (playlist + late-fetch). */
  heldSegments: number;
  /** Bytes those segments and the open one reference (payloads are shared with the frames). */
  heldBytes: number;
  /** Blocked requests (playlist reloads and hinted parts) waiting right now. */
  waiting: number;
}

/**
 * HLS and Low-Latency HLS packager for one stream: frames in, playlist and fMP4
 * init/segments/parts out. Transport-free: the relay maps requests onto the reading
 * methods. Not thread-shared; everything runs on the caller's event loop.
 */
export class HlsPackager {
  readonly #lowLatency: boolean;
  readonly #stats: SegmenterStats = {
    segments: 0,
    parts: 0,
    forcedCuts: 0,
    droppedFrames: 0,
    longParts: 0,
    discontinuities: 0,
    timestampResets: 0,
  };
  readonly #window: SegmentWindow;
  readonly #segmenter: Segmenter;
  readonly #waiters = new Waiters();
  #initOrdinal = 0;
  #changed = false;
  #playlist: string | undefined;

  constructor(options: Partial<HlsOptions> = {}) {
    const o = resolveOptions(options);
    this.#lowLatency = o.lowLatency;
    this.#window = new SegmentWindow(o);
    this.#segmenter = new Segmenter(
      // Without low latency there are no parts to cut: one fragment per segment.
      { segmentDurationMs: o.segmentDurationMs, partDurationMs: o.lowLatency ? o.partDurationMs : Infinity, now: o.now },
      {
        part: (part: Part) => {
          this.#window.notePart(part);
          this.#changed = true;
        },
        segment: (segment) => {
          this.#window.add(segment, this.#segmenter.init);
          this.#changed = true;
        },
      },
      this.#stats,
    );
  }

  /**
   * (Re)starts the stream with these tracks. The open segment is closed; the next
   * segment carries EXT-X-DISCONTINUITY (when any came before) and, when the tracks
   * differ, a new init segment `init-<n>.mp4` in a new EXT-X-MAP. Frames are dropped
   * until the lead track's next keyframe.
   */
  setTracks(tracks: readonly Track[]): void {
    const current = this.#segmenter.init;
    let init: InitSection;
    if (current !== undefined && sameTracks(current.tracks, tracks)) {
      init = current;
    } else {
      const bytes = initSegment(tracks); // throws Fmp4Error before any state changes
      init = { name: initName(++this.#initOrdinal), bytes, tracks: [...tracks] };
    }
    this.#segmenter.start(init.tracks, init);
    // After start(): closing the old open segment prunes inits no segment uses but the current one.
    this.#window.addInit(init);
    this.#changed = true;
    this.#publish();
  }

  pushFrame(frame: MediaFrame): void {
    this.#segmenter.push(frame);
    this.#publish();
  }

  /**
   * The stream is over: the last part and segment close, the playlist gets
   * EXT-X-ENDLIST and loses its preload hint, blocked playlist reloads answer at once
   * (RFC 8216bis 6.2.5.2: directives are ignored once ENDLIST is there), and a
   * blocked request for a part that will now never exist fails with GONE. A later
   * setTracks starts again (after a discontinuity) for new viewers.
   */
  end(): void {
    if (this.#segmenter.ended) return;
    this.#segmenter.end();
    this.#changed = true;
    this.#publish();
  }

  get codecs(): string {
    return this.#segmenter.tracks.map((t) => t.codecString).join(',');
  }

  /** EXT-X-TARGETDURATION in seconds: blocking requests time out after three of these by default. */
  get targetDuration(): number {
    return this.#window.targetDuration;
  }

  get stats(): HlsStats {
    return {
      ...this.#stats,
      heldSegments: this.#window.retained().length,
      heldBytes: this.#window.heldBytes + this.#segmenter.openBytes,
      waiting: this.#waiters.size,
    };
  }

  /** The current media playlist (rendered once per change, then shared). */
  playlist(): string {
    this.#playlist ??= renderMediaPlaylist({
      targetDuration: this.#window.targetDuration,
      lowLatency: this.#lowLatency,
      partTargetMs: this.#window.partTargetMs,
      mediaSequence: this.#window.last === undefined ? (this.#segmenter.open?.msn ?? this.#segmenter.nextMsn) : this.#window.windowStart,
      discontinuitySequence: this.#window.discontinuitySequence,
      segments: this.#window.listed(),
      open: this.#segmenter.open,
      preloadHint: this.#hint()?.name,
      ended: this.#segmenter.ended,
    });
    return this.#playlist;
  }

  /**
   * Blocking playlist reload: resolves with the playlist once it holds segment `msn`
   * (without `part`) or part `part` of segment `msn` or a later part (with it).
   * A part index past the end of its segment means part 0 of the next one.
   *
   * Rejects at once with BAD_REQUEST when `msn` is more than two segments past the
   * last complete one, or `part` is more than the Advance Part Limit past the last
   * part (3 / PART-TARGET when that is under a second, else 3); later with TIMEOUT
   * (default three target durations) or ABORTED. Without low latency, or after
   * end(), it answers at once.
   *
   * Specification: RFC 8216bis section 6.2.5.2
   */
  playlistWhenReady(msn: number, part: number | undefined, signal?: AbortSignal, timeoutMs?: number): Promise<string> {
    if (!isIndex(msn)) return Promise.reject(new HlsError('BAD_REQUEST', `_HLS_msn must be a non-negative integer, got ${msn}`));
    if (part !== undefined && !isIndex(part)) return Promise.reject(new HlsError('BAD_REQUEST', `_HLS_part must be a non-negative integer, got ${part}`));
    if (!this.#lowLatency || this.#segmenter.ended) return Promise.resolve(this.playlist());
    const lastMsn = this.#window.last?.msn ?? -1;
    if (msn > lastMsn + 2) {
      return Promise.reject(new HlsError('BAD_REQUEST', `_HLS_msn=${msn} is more than two segments past the last one (${lastMsn})`));
    }
    if (part !== undefined) {
      const partTarget = this.#window.partTargetMs / 1000;
      const limit = partTarget < 1 ? 3 / partTarget : 3;
      const ahead = this.#partsAhead(msn, part);
      if (ahead > limit) {
        return Promise.reject(new HlsError('BAD_REQUEST', `_HLS_part=${part} of _HLS_msn=${msn} is ${ahead} parts past the last one (limit ${limit})`));
      }
    }
    const what = `playlist _HLS_msn=${msn}${part === undefined ? '' : `&_HLS_part=${part}`}`;
    return this.#waiters.wait(() => (this.#reloadReady(msn, part) ? this.playlist() : undefined), timeoutMs ?? this.#defaultTimeout(), signal, what);
  }

  /** An init segment: `init.mp4`, then `init-<n>.mp4` after a track change. */
  init(name: string): Uint8Array | undefined {
    return this.#window.init(name)?.bytes;
  }

  /** `seg-<msn>.m4s`: a fresh array of shared buffers, for one vectored write. */
  segment(name: string): Uint8Array[] | undefined {
    const msn = parseSegmentName(name);
    const seg = msn === undefined ? undefined : this.#window.segment(msn);
    return seg === undefined ? undefined : [...seg.buffers];
  }

  /** `part-<msn>.<index>.m4s` once complete (low latency only). */
  part(name: string): Uint8Array[] | undefined {
    if (!this.#lowLatency) return undefined;
    const id = parsePartName(name);
    if (id === undefined) return undefined;
    const open = this.#segmenter.open;
    const parts = open?.msn === id.msn ? open.parts : this.#window.segment(id.msn)?.parts;
    return parts?.[id.index]?.fragment.toBuffers();
  }

  /**
   * A part, waiting for it when it is the preload-hinted one. Rejects NOT_FOUND for a
   * name that is neither published nor hinted, GONE for a part that left memory (or
   * that the stream ended before making), TIMEOUT and ABORTED as playlistWhenReady.
   *
   * Specification: RFC 8216bis section 6.2.6
   */
  partWhenReady(name: string, signal?: AbortSignal, timeoutMs?: number): Promise<Uint8Array[]> {
    const id = this.#lowLatency ? parsePartName(name) : undefined;
    if (id === undefined) return Promise.reject(new HlsError('NOT_FOUND', `no part ${JSON.stringify(name.slice(0, 64))}`));
    const hinted = () => {
      const h = this.#hint();
      return h !== undefined && h.msn === id.msn && h.index === id.index;
    };
    const now = this.part(name);
    if (now !== undefined) return Promise.resolve(now);
    if (!hinted()) return Promise.reject(this.#missing(id.msn, name));
    return this.#waiters.wait(
      () => {
        const buffers = this.part(name);
        if (buffers !== undefined) return buffers;
        if (this.#segmenter.ended) throw new HlsError('GONE', `${name}: the stream ended before it was made`);
        if (!hinted()) throw this.#missing(id.msn, name);
        return undefined;
      },
      timeoutMs ?? this.#defaultTimeout(),
      signal,
      name,
    );
  }

  /** The part the next EXT-X-PRELOAD-HINT names: the one being built. */
  #hint(): { msn: number; index: number; name: string } | undefined {
    if (!this.#lowLatency || this.#segmenter.ended || this.#segmenter.init === undefined) return undefined;
    const open = this.#segmenter.open;
    const msn = open?.msn ?? this.#segmenter.nextMsn;
    const index = open?.parts.length ?? 0;
    return { msn, index, name: partName(msn, index) };
  }

  /** The newest complete part, or undefined before the first. */
  #lastPart(): { msn: number; index: number } | undefined {
    const open = this.#segmenter.open;
    if (open !== undefined && open.parts.length > 0) return { msn: open.msn, index: open.parts.length - 1 };
    const last = this.#window.last;
    return last === undefined ? undefined : { msn: last.msn, index: last.parts.length - 1 };
  }

  #reloadReady(msn: number, part: number | undefined): boolean {
    if (this.#segmenter.ended) return true;
    if (part === undefined) return (this.#window.last?.msn ?? -1) >= msn;
    const last = this.#lastPart();
    // "or later": any part of a later segment also answers (and so covers a part
    // index past the end of segment msn, which means part 0 of the next).
    return last !== undefined && (last.msn > msn || (last.msn === msn && last.index >= part));
  }

  /**
   * How many parts past the newest one (msn, part) is, counting at least one part
   * for every segment in between (the real count is unknown until they are cut).
   */
  #partsAhead(msn: number, part: number): number {
    const last = this.#lastPart() ?? { msn: this.#segmenter.open?.msn ?? this.#segmenter.nextMsn, index: -1 };
    if (msn < last.msn) return 0;
    if (msn === last.msn) return part - last.index;
    return part + 1 + (msn - last.msn - 1);
  }

  #missing(msn: number, name: string): HlsError {
    const oldest = this.#window.retained()[0]?.msn;
    return oldest !== undefined && msn < oldest ? new HlsError('GONE', `${name} left memory`) : new HlsError('NOT_FOUND', `${name} is neither published nor hinted`);
  }

  #defaultTimeout(): number {
    return 3 * this.#window.targetDuration * 1000;
  }

  #publish(): void {
    if (!this.#changed) return;
    this.#changed = false;
    this.#playlist = undefined;
    this.#waiters.wake();
  }
}

function isIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** Same ids, codecs, configuration records and dimensions: the init segment can stay. */
function sameTracks(a: readonly Track[], b: readonly Track[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((t, i) => {
    const u = b[i];
    if (t.id !== u.id || t.codecString !== u.codecString || !sameDecoding(t, u)) return false;
    if (t.kind === 'video' && u.kind === 'video') return t.width === u.width && t.height === u.height;
    if (t.kind === 'audio' && u.kind === 'audio') return t.sampleRate === u.sampleRate && t.channels === u.channels;
    return false;
  });
}
