import type { MediaFrame, Track } from '@sluice/codec';
import { Fanout, type FanoutSubscriber, type FanoutSubscription, type FrameReader, type MediaSource } from '@sluice/core';
import { Fragment, initSegment } from '@sluice/fmp4';
import { outputStats } from './output-stats.js';

/**
 * One fMP4 fragment as fanned out to viewers. Built once per stream and shared
 * by every viewer; `init` is the init segment it belongs to, so a viewer that
 * sees a new one (codec parameters changed upstream) writes it first.
 */
export interface Fmp4Chunk {
  readonly init: Buffer;
  readonly buffers: readonly Uint8Array[];
  readonly byteLength: number;
  /** A point a viewer may start at: a video keyframe, or any frame of an audio-only stream. */
  readonly syncPoint: boolean;
  /** The frame's arrival time (ms, performance.now()), for delay measurements. */
  readonly receivedAt: number;
}

/**
 * What the fan-out carries: one or more fragments written to a viewer in one
 * burst (one writev). With `general.mergeWriteMS` = 0 a batch is one fragment,
 * sent the moment its frame arrives; above 0, fragments are gathered for that
 * long, trading that much delay for far fewer system calls per viewer. A batch
 * never spans a keyframe: a keyframe starts a new batch, so a batch is a sync
 * point exactly when its first fragment is.
 */
export interface Fmp4Batch {
  readonly chunks: readonly Fmp4Chunk[];
  /** The init segment every chunk of the batch belongs to (a batch never spans a track change). */
  readonly init: Buffer;
  /**
   * The batch's fragments joined into one buffer, once per stream and shared by
   * every viewer: each viewer then makes one write per batch. Measured (see
   * benchmarks/RESULTS.md): writing the parts separately, even corked, costs
   * about 1.6–2.4× the floor at 100 ms coalescing, in per-viewer Buffer
   * wrappers and write-queue entries; one joined buffer costs the floor.
   */
  readonly data: Buffer;
  readonly byteLength: number;
  readonly syncPoint: boolean;
}

export interface Fmp4StreamOptions {
  maxPendingBytes: number;
  /** Coalescing window in ms (0 = none). */
  mergeWriteMs: number;
}

/**
 * The fMP4 output of one MediaSource: one fragment per frame (lowest delay),
 * muxed once and fanned out to all viewers through a Fanout with its own GOP
 * cache, so a viewer joins at the latest keyframe.
 *
 * Sample durations: a live frame's duration is unknown until the next frame
 * arrives. Waiting would add a frame of delay; instead each sample gets the
 * track's previous frame interval, and each fragment's tfdt carries the exact
 * decode time, so an estimate never accumulates into drift.
 */
export class Fmp4Stream implements FrameReader {
  private readonly fanout: Fanout<Fmp4Batch>;
  private pending: Fmp4Chunk[] = [];
  private pendingBytes_ = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private init: Buffer | undefined;
  private tracks: readonly Track[] = [];
  private hasVideo = false;
  private sequence = 0;
  private readonly lastDts = new Map<number, number>();
  private readonly lastDuration = new Map<number, number>();
  private subscription: FanoutSubscription | undefined;

  constructor(
    private readonly source: MediaSource,
    private readonly options: Fmp4StreamOptions,
    private readonly onIdle: () => void,
  ) {
    this.fanout = new Fanout<Fmp4Batch>({
      isSyncPoint: (b) => b.syncPoint,
      sizeOf: (b) => b.byteLength,
      maxPendingBytes: options.maxPendingBytes,
      gopCacheMaxBytes: 32 * 1024 * 1024,
      gopCacheMaxItems: 4000,
    });
    this.subscription = source.addReader(this);
  }

  get viewerCount(): number {
    return this.fanout.subscriberCount;
  }

  get droppedTotal(): number {
    return this.fanout.droppedTotal;
  }

  /** Adds a viewer; it receives the cached GOP at once (each chunk carries its init segment). */
  subscribe(viewer: FanoutSubscriber<Fmp4Batch>): FanoutSubscription {
    const sub = this.fanout.subscribe(viewer);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      sub.release();
      if (this.fanout.subscriberCount === 0) this.close();
    };
    return {
      release,
      [Symbol.dispose]: release,
      get dropped() {
        return sub.dropped;
      },
    };
  }

  onTracks(tracks: readonly Track[]): void {
    this.tracks = tracks;
    this.hasVideo = tracks.some((t) => t.kind === 'video');
    const init = initSegment(tracks);
    this.init = Buffer.from(init.buffer, init.byteOffset, init.byteLength);
    this.lastDts.clear();
    this.lastDuration.clear();
    this.flush();
    this.fanout.clearCache();
  }

  onFrame(frame: MediaFrame): void {
    const init = this.init;
    if (!init) return;
    const track = this.trackById(frame.trackId);
    if (!track) return;
    const previous = this.lastDts.get(frame.trackId);
    let duration = this.lastDuration.get(frame.trackId) ?? defaultDuration(track);
    if (previous !== undefined && frame.dts > previous) {
      duration = frame.dts - previous;
      this.lastDuration.set(frame.trackId, duration);
    }
    this.lastDts.set(frame.trackId, frame.dts);
    const fragment = new Fragment(++this.sequence, [
      { track, samples: [{ duration, dts: frame.dts, pts: frame.pts, keyframe: frame.keyframe, data: frame.data }] },
    ]);
    const chunk: Fmp4Chunk = {
      init,
      buffers: fragment.toBuffers(),
      byteLength: fragment.byteLength(),
      syncPoint: frame.kind === 'video' ? frame.keyframe : !this.hasVideo,
      receivedAt: performance.now(),
    };
    if (this.options.mergeWriteMs <= 0) {
      this.fanout.push({
        chunks: [chunk],
        init,
        data: Buffer.concat(chunk.buffers, chunk.byteLength),
        byteLength: chunk.byteLength,
        syncPoint: chunk.syncPoint,
      });
      return;
    }
    if (chunk.syncPoint) this.flush();
    this.pending.push(chunk);
    this.pendingBytes_ += chunk.byteLength;
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.mergeWriteMs);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return;
    const chunks = this.pending;
    const parts: Uint8Array[] = [];
    for (const c of chunks) for (const b of c.buffers) parts.push(b);
    this.fanout.push({
      chunks,
      init: chunks[0]!.init,
      data: Buffer.concat(parts, this.pendingBytes_),
      byteLength: this.pendingBytes_,
      syncPoint: chunks[0]!.syncPoint,
    });
    this.pending = [];
    this.pendingBytes_ = 0;
  }

  onClose(): void {
    this.close();
  }

  pendingBytes(): number {
    return 0;
  }

  private trackById(id: number): Track | undefined {
    for (const t of this.tracks) if (t.id === id) return t;
    return undefined;
  }

  private close(): void {
    if (this.subscription) outputStats(this.source).skippedFragments += this.fanout.droppedTotal;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.pending = [];
    if (!this.subscription) return;
    this.subscription.release();
    this.subscription = undefined;
    this.onIdle();
  }
}

function defaultDuration(track: Track): number {
  // Until a second frame shows the real interval: 25 fps video, 1024-sample AAC, 20 ms G.711.
  if (track.kind === 'video') return Math.round(track.timescale / 25);
  return track.codec === 'aac' ? 1024 : Math.round(track.timescale / 50);
}

/** One shared Fmp4Stream per MediaSource, created on the first viewer and dropped after the last. */
export class Fmp4Streams {
  private readonly streams = new Map<MediaSource, Fmp4Stream>();

  constructor(private readonly options: Fmp4StreamOptions) {}

  /** Fragments skipped for slow viewers of this stream so far. */
  skippedFor(source: MediaSource): number {
    return outputStats(source).skippedFragments + (this.streams.get(source)?.droppedTotal ?? 0);
  }

  for(source: MediaSource): Fmp4Stream {
    let s = this.streams.get(source);
    if (!s) {
      s = new Fmp4Stream(source, this.options, () => this.streams.delete(source));
      this.streams.set(source, s);
    }
    return s;
  }
}
