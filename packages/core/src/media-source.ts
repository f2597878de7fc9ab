import { EventEmitter } from 'node:events';
import type { MediaFrame, Track } from '@sluice/codec';
import { CoreError } from './errors.js';
import { Fanout, type FanoutSubscriber, type FanoutSubscription } from './fanout.js';
import { assertValidStreamKey, streamKeyString, type StreamKey } from './stream-key.js';
import { assertValidTrackSet, sameTrackSet } from './track-set.js';
import { ViewerList, type ViewerHandle, type ViewerInfo } from './viewers.js';

/**
 * An internal consumer of a stream's frames: the fMP4 muxer, the HLS packager, a
 * recorder. Frames are shared with every other reader and must not be mutated.
 */
export interface FrameReader {
  /**
   * The tracks to (re)build an init segment from: at `addReader` when they are known,
   * then whenever they change in a way that needs a new init (a decoder config
   * changed, or the set of tracks did). The next frame is a sync point.
   */
  onTracks(tracks: readonly Track[]): void;
  onFrame(frame: MediaFrame): void;
  /** The source closed, or this reader threw and was dropped. No call follows. */
  onClose(reason: string): void;
  /** Bytes accepted but not yet flushed; 0 for in-memory consumers. */
  pendingBytes(): number;
}

export interface MediaSourceOptions {
  /** Per reader: above this many pending bytes it drops frames until the next keyframe. */
  maxPendingBytes: number;
  /** Bounds on the cached group of pictures replayed to late readers. */
  gopCacheMaxBytes: number;
  gopCacheMaxItems: number;
}

export const DEFAULT_MEDIA_SOURCE_OPTIONS: Readonly<MediaSourceOptions> = Object.freeze({
  maxPendingBytes: 4 * 1024 * 1024,
  // Room for a 10 s group at ~12 Mbit/s; a longer group is cut (see Fanout).
  gopCacheMaxBytes: 16 * 1024 * 1024,
  // 2000 frames: a 10 s group of 60 fps video plus its audio, with room to spare.
  gopCacheMaxItems: 2000,
});

export interface MediaSourceStats {
  /** Every frame pushed, dropped ones included. */
  readonly framesIn: number;
  readonly bytesIn: number;
  /** Frames the source itself refused: unknown track, before the first keyframe, after close. */
  readonly droppedFrames: number;
  /** Frames readers lost to back-pressure, summed over readers. */
  readonly readersDropped: number;
  /** Readers released because they threw. */
  readonly readerFailures: number;
  /** When the latest frame was pushed, ms since the epoch; 0 before any. */
  readonly lastFrameAt: number;
  readonly gopCacheFrames: number;
  readonly gopCacheBytes: number;
}

export interface MediaSourceEvents {
  /** Tracks are set and the first sync point arrived; emitted once per source. */
  ready: [];
  /** The tracks changed in a way that needs a new init segment (including the first `setTracks`). */
  tracks: [readonly Track[]];
  viewers: [count: number];
  close: [reason: string];
}

/**
 * One live stream: the producer (a publisher or a pulled source) sets its tracks and
 * pushes frames; readers get them through a keyframe-aware fan-out with a cache of
 * the current group, so any reader starts decodable.
 */
export class MediaSource extends EventEmitter<MediaSourceEvents> {
  readonly key: StreamKey;
  readonly keyString: string;
  /** ms since the epoch. */
  readonly createdAt: number;

  readonly #fanout: Fanout<MediaFrame>;
  readonly #readers = new Set<ReaderLink>();
  readonly #viewers: ViewerList;
  #tracks: readonly Track[] = [];
  #hasVideo = false;
  #ready = false;
  // Set until the first sync point after (new) tracks: frames before it can't be decoded.
  #awaitingSyncPoint = true;
  #closed = false;

  #framesIn = 0;
  #bytesIn = 0;
  #droppedFrames = 0;
  #lastFrameAt = 0;

  readonly #isSyncPoint = (frame: MediaFrame): boolean =>
    this.#hasVideo ? frame.kind === 'video' && frame.keyframe : frame.kind === 'audio';

  readonly #releaseReader = (link: ReaderLink): void => {
    this.#readers.delete(link);
  };

  constructor(key: StreamKey, options: Partial<MediaSourceOptions> = {}) {
    super();
    this.key = assertValidStreamKey(key);
    this.keyString = streamKeyString(key);
    this.createdAt = Date.now();
    const settings = { ...DEFAULT_MEDIA_SOURCE_OPTIONS, ...options };
    this.#fanout = new Fanout<MediaFrame>({
      isSyncPoint: this.#isSyncPoint,
      sizeOf: frameSize,
      maxPendingBytes: settings.maxPendingBytes,
      gopCacheMaxBytes: settings.gopCacheMaxBytes,
      gopCacheMaxItems: settings.gopCacheMaxItems,
      onSubscriberError: (error, subscriber) => {
        const link = subscriber as ReaderLink;
        link.release();
        link.close(`reader failed: ${error instanceof Error ? error.message : String(error)}`);
      },
    });
    this.#viewers = new ViewerList((count) => this.emit('viewers', count));
  }

  get tracks(): readonly Track[] {
    return this.#tracks;
  }

  /** Tracks are set and a sync point arrived; stays true across track changes, false once closed. */
  get ready(): boolean {
    return this.#ready && !this.#closed;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get readerCount(): number {
    return this.#readers.size;
  }

  get viewerCount(): number {
    return this.#viewers.count;
  }

  get stats(): MediaSourceStats {
    return {
      framesIn: this.#framesIn,
      bytesIn: this.#bytesIn,
      droppedFrames: this.#droppedFrames,
      readersDropped: this.#fanout.droppedTotal,
      readerFailures: this.#fanout.failedSubscribers,
      lastFrameAt: this.#lastFrameAt,
      gopCacheFrames: this.#fanout.cachedItems,
      gopCacheBytes: this.#fanout.cachedBytes,
    };
  }

  /**
   * Called by the producer. When the decoding changed (or the set of tracks did),
   * readers get `onTracks`, the cache is cleared and frames are dropped until the next
   * sync point. The same tracks again (a reconnect with the same parameters) change
   * nothing: readers keep their init segment and the current track objects stay.
   */
  setTracks(tracks: readonly Track[]): void {
    if (this.#closed) throw new CoreError('CLOSED', `stream ${this.keyString} is closed`);
    assertValidTrackSet(tracks);
    if (sameTrackSet(this.#tracks, tracks)) return;
    this.#tracks = Object.freeze([...tracks]);
    this.#hasVideo = tracks.some((track) => track.kind === 'video');
    this.#fanout.clearCache();
    this.#awaitingSyncPoint = true;
    for (const link of this.#readers) link.tracks(this.#tracks);
    this.emit('tracks', this.#tracks);
  }

  /** Called by the producer for every frame; never blocks on readers. */
  pushFrame(frame: MediaFrame): void {
    this.#framesIn++;
    this.#bytesIn += frame.data.byteLength;
    this.#lastFrameAt = Date.now();
    if (this.#closed || !this.#hasTrack(frame.trackId)) {
      this.#droppedFrames++;
      return;
    }
    let becameReady = false;
    if (this.#awaitingSyncPoint) {
      if (!this.#isSyncPoint(frame)) {
        this.#droppedFrames++;
        return;
      }
      this.#awaitingSyncPoint = false;
      becameReady = !this.#ready;
      this.#ready = true;
    }
    this.#fanout.push(frame);
    // After the push, so that a reader added from a 'ready' listener replays this keyframe.
    if (becameReady) this.emit('ready');
  }

  /**
   * Adds an internal reader: `onTracks` first (when tracks are known), then the cached
   * group from its latest keyframe, before this returns; live frames after that.
   */
  addReader(reader: FrameReader): FanoutSubscription {
    if (this.#closed) throw new CoreError('CLOSED', `stream ${this.keyString} is closed`);
    const link = new ReaderLink(reader, this.#releaseReader);
    if (this.#tracks.length > 0) reader.onTracks(this.#tracks);
    this.#readers.add(link);
    link.attach(this.#fanout.subscribe(link));
    return link;
  }

  /** Counts a viewer until its handle is released; emits 'viewers' with the new count. */
  addViewer(info: ViewerInfo): ViewerHandle {
    if (this.#closed) throw new CoreError('CLOSED', `stream ${this.keyString} is closed`);
    return this.#viewers.add(info);
  }

  viewers(): readonly ViewerInfo[] {
    return this.#viewers.infos();
  }

  viewerHandles(): readonly ViewerHandle[] {
    return this.#viewers.handles();
  }

  /** Idempotent. Readers get `onClose(reason)`, then 'close' is emitted. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#fanout.clearCache();
    for (const link of this.#readers) {
      link.release();
      link.close(reason);
    }
    this.emit('close', reason);
  }

  #hasTrack(trackId: number): boolean {
    const tracks = this.#tracks;
    for (let i = 0; i < tracks.length; i++) if (tracks[i].id === trackId) return true;
    return false;
  }
}

function frameSize(frame: MediaFrame): number {
  return frame.data.byteLength;
}

/** A reader as the fan-out sees it (a subscriber) and as its owner sees it (a subscription). */
class ReaderLink implements FanoutSubscriber<MediaFrame>, FanoutSubscription {
  readonly #reader: FrameReader;
  readonly #onRelease: (link: ReaderLink) => void;
  #subscription: FanoutSubscription | undefined;
  #released = false;

  constructor(reader: FrameReader, onRelease: (link: ReaderLink) => void) {
    this.#reader = reader;
    this.#onRelease = onRelease;
  }

  get dropped(): number {
    return this.#subscription?.dropped ?? 0;
  }

  attach(subscription: FanoutSubscription): void {
    this.#subscription = subscription;
    // Released while its replay ran inside `subscribe` (it threw, or released itself).
    if (this.#released) subscription.release();
  }

  deliver(frame: MediaFrame): void {
    this.#reader.onFrame(frame);
  }

  pendingBytes(): number {
    return this.#reader.pendingBytes();
  }

  /** Passes new tracks on; a reader that throws is dropped like one that throws from onFrame. */
  tracks(tracks: readonly Track[]): void {
    try {
      this.#reader.onTracks(tracks);
    } catch (error) {
      this.release();
      this.close(`reader failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  close(reason: string): void {
    try {
      this.#reader.onClose(reason);
    } catch {
      // Nothing more to tell a reader that fails while being closed; the others still must hear.
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#subscription?.release();
    this.#onRelease(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
