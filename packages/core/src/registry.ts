import { EventEmitter } from 'node:events';
import { CoreError } from './errors.js';
import { MediaSource, type MediaSourceOptions } from './media-source.js';
import { assertValidStreamKey, streamKeyString, type StreamKey } from './stream-key.js';

export interface StreamRegistryEvents {
  /** A source was created; it is not playable yet. */
  added: [MediaSource];
  /** The source became ready (tracks and a first keyframe); emitted once per source. */
  registered: [MediaSource];
  /** A source that had been registered closed; always followed by 'removed'. */
  unregistered: [MediaSource];
  /** The source closed and left the registry. */
  removed: [MediaSource];
}

export interface WaitReadyOptions {
  /** Give up after this long (CoreError `TIMEOUT`). */
  timeoutMs: number;
  /** Give up when aborted (CoreError `ABORTED`, with the signal's reason as `cause`). */
  signal?: AbortSignal;
}

// setTimeout fires at once for delays past a signed 32-bit millisecond count.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

interface Entry {
  readonly source: MediaSource;
  registered: boolean;
}

/**
 * The live streams by key. A source leaves the registry when it closes, whoever
 * closed it (`remove`, its producer, an idle timer), so the map never holds a dead
 * source.
 */
export class StreamRegistry extends EventEmitter<StreamRegistryEvents> {
  readonly #options: Partial<MediaSourceOptions>;
  readonly #entries = new Map<string, Entry>();
  // Pending `waitReady` calls by key string; kept here rather than as 'registered'
  // listeners so that many waiters neither trip the max-listeners warning nor leak.
  readonly #waiters = new Map<string, Set<(source: MediaSource) => void>>();

  constructor(options: Partial<MediaSourceOptions> = {}) {
    super();
    this.#options = { ...options };
  }

  get size(): number {
    return this.#entries.size;
  }

  /** `waitReady` calls still pending, over all keys. */
  get waiterCount(): number {
    let count = 0;
    for (const waiters of this.#waiters.values()) count += waiters.size;
    return count;
  }

  /**
   * Creates and registers a source under `key`, emitting 'added'. Throws CoreError
   * `STREAM_EXISTS` when the key is taken, `INVALID_STREAM_KEY` when it is malformed.
   */
  create(key: StreamKey): MediaSource {
    const keyString = streamKeyString(assertValidStreamKey(key));
    if (this.#entries.has(keyString)) {
      throw new CoreError('STREAM_EXISTS', `stream ${keyString} already exists`);
    }
    const source = new MediaSource(key, this.#options);
    const entry: Entry = { source, registered: false };
    const onReady = (): void => this.#onReady(keyString, entry);
    const onClose = (): void => {
      source.off('ready', onReady);
      this.#onClose(keyString, entry);
    };
    source.once('ready', onReady);
    source.once('close', onClose);
    this.#entries.set(keyString, entry);
    this.emit('added', source);
    return source;
  }

  get(key: StreamKey): MediaSource | undefined {
    return this.#entries.get(streamKeyString(key))?.source;
  }

  /** Closes the source under `key` (which removes it); false when there is none. */
  remove(key: StreamKey, reason: string): boolean {
    const entry = this.#entries.get(streamKeyString(key));
    if (entry === undefined) return false;
    entry.source.close(reason);
    return true;
  }

  list(): MediaSource[] {
    return Array.from(this.#entries.values(), (entry) => entry.source);
  }

  /**
   * The source under `key` once it is ready: at once if it already is, otherwise when
   * it (or a source created later under the same key) becomes ready. Rejects with
   * CoreError `TIMEOUT` or `ABORTED`; either way no timer or listener is left behind.
   */
  waitReady(key: StreamKey, options: WaitReadyOptions): Promise<MediaSource> {
    const { timeoutMs, signal } = options;
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0 && timeoutMs <= MAX_TIMEOUT_MS)) {
      return Promise.reject(
        new CoreError('INVALID_ARGUMENT', `timeoutMs must be between 0 and ${MAX_TIMEOUT_MS}, got ${timeoutMs}`),
      );
    }
    const keyString = streamKeyString(key);
    if (signal?.aborted) return Promise.reject(abortedError(keyString, signal));
    const present = this.#entries.get(keyString)?.source;
    if (present?.ready) return Promise.resolve(present);

    return new Promise<MediaSource>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const waiters = this.#waiters.get(keyString);
        waiters?.delete(onReady);
        if (waiters?.size === 0) this.#waiters.delete(keyString);
      };
      const onReady = (source: MediaSource): void => {
        finish();
        resolve(source);
      };
      const onAbort = (): void => {
        finish();
        reject(abortedError(keyString, signal as AbortSignal));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new CoreError('TIMEOUT', `stream ${keyString} not ready after ${timeoutMs} ms`));
      }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      let waiters = this.#waiters.get(keyString);
      if (waiters === undefined) {
        waiters = new Set();
        this.#waiters.set(keyString, waiters);
      }
      waiters.add(onReady);
    });
  }

  #onReady(keyString: string, entry: Entry): void {
    entry.registered = true;
    this.emit('registered', entry.source);
    // A 'registered' listener may have closed it already.
    if (!entry.source.ready) return;
    const waiters = this.#waiters.get(keyString);
    if (waiters === undefined) return;
    // Each waiter removes itself from the set as it settles.
    for (const settle of Array.from(waiters)) settle(entry.source);
  }

  #onClose(keyString: string, entry: Entry): void {
    if (this.#entries.get(keyString) === entry) this.#entries.delete(keyString);
    if (entry.registered) this.emit('unregistered', entry.source);
    this.emit('removed', entry.source);
  }
}

function abortedError(keyString: string, signal: AbortSignal): CoreError {
  return new CoreError('ABORTED', `waiting for stream ${keyString} was aborted`, { cause: signal.reason });
}
