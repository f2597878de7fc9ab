import { CoreError } from './errors.js';

/**
 * Keyframe-aware fan-out of one producer's items (media frames, fMP4 fragments) to
 * many subscribers, with a cache of the current group of pictures so that a late
 * subscriber starts at a sync point.
 *
 * Items are shared, never copied: every subscriber gets the very object that was
 * pushed. The producer is never stalled: `push` only calls `deliver` and returns.
 * Back-pressure is the subscriber's own `pendingBytes()`; above `maxPendingBytes`
 * the subscriber skips items until the next sync point instead of queueing them.
 */
export interface FanoutOptions<T> {
  /** Where a subscriber may start or resume decoding (a video keyframe, a fragment that starts with one). */
  isSyncPoint(item: T): boolean;
  /** Bytes the item holds, for the cache bound. */
  sizeOf(item: T): number;
  /** Per subscriber: above this many pending bytes the subscriber drops until the next sync point. */
  maxPendingBytes: number;
  /** Bound on the cache; past it the cache stops growing until the next sync point (counted in `cacheOverflows`). */
  gopCacheMaxBytes: number;
  gopCacheMaxItems: number;
  /**
   * Told when a subscriber threw from `deliver` (or `pendingBytes`) and was released
   * for it, e.g. to log it or close its connection. Must not throw.
   */
  onSubscriberError?(error: unknown, subscriber: FanoutSubscriber<T>): void;
}

export interface FanoutSubscriber<T> {
  /** Takes a shared item; must not mutate it and must not keep the producer waiting. */
  deliver(item: T): void;
  /** Bytes accepted but not yet flushed (e.g. `socket.writableLength`); 0 for in-memory consumers. */
  pendingBytes(): number;
}

export interface FanoutSubscription extends Disposable {
  /** Stops delivery. Idempotent; safe from inside `deliver`. */
  release(): void;
  /** Items this subscriber lost to back-pressure (while it was dropping to the next sync point). */
  readonly dropped: number;
}

export interface FanoutSubscribeOptions {
  /** Deliver the cached items (from the latest sync point) inside `subscribe`. Default true. */
  replayCache?: boolean;
}

/**
 * - waiting: has not seen a sync point yet (new, or its replay was cut short); skips without counting.
 * - live: receives every item.
 * - dropping: was too slow; skips (counted) until a sync point finds it drained.
 */
type SubscriptionState = 'waiting' | 'live' | 'dropping' | 'released';

/**
 * - empty: no sync point cached; a subscriber has nothing to replay.
 * - open: holds every item since the latest sync point.
 * - full: hit a bound; holds a prefix of the group and refuses items until the next sync point.
 */
type CacheState = 'empty' | 'open' | 'full';

class Subscription<T> implements FanoutSubscription {
  state: SubscriptionState = 'waiting';
  droppedCount = 0;
  readonly subscriber: FanoutSubscriber<T>;
  readonly #onRelease: (subscription: Subscription<T>) => void;

  constructor(subscriber: FanoutSubscriber<T>, onRelease: (subscription: Subscription<T>) => void) {
    this.subscriber = subscriber;
    this.#onRelease = onRelease;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  // A getter, not `state === 'released'` inline: TypeScript keeps narrowing `state`
  // across calls to `deliver`, which may well release the subscription.
  get released(): boolean {
    return this.state === 'released';
  }

  release(): void {
    if (this.state === 'released') return;
    this.state = 'released';
    this.#onRelease(this);
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

export class Fanout<T> {
  readonly #isSyncPoint: (item: T) => boolean;
  readonly #sizeOf: (item: T) => number;
  readonly #maxPendingBytes: number;
  readonly #gopCacheMaxBytes: number;
  readonly #gopCacheMaxItems: number;
  readonly #onSubscriberError: ((error: unknown, subscriber: FanoutSubscriber<T>) => void) | undefined;

  // Released subscriptions stay in place while a push walks the array (no copy per
  // item) and are compacted out once no push is running.
  readonly #subscriptions: Subscription<T>[] = [];
  #releasedInPlace = 0;
  #pushDepth = 0;
  readonly #releaseSubscription = (): void => {
    this.#releasedInPlace++;
    if (this.#pushDepth === 0) this.#compact();
  };

  // Slots are reused from one group to the next so a steady stream allocates nothing;
  // cleared slots are set to undefined so old items can be collected.
  readonly #cache: (T | undefined)[] = [];
  #cacheLength = 0;
  #cacheBytes = 0;
  #cacheState: CacheState = 'empty';
  // Bumped whenever the cache is emptied, so a replay notices it mid-way.
  #cacheGeneration = 0;

  #droppedTotal = 0;
  #failedSubscribers = 0;
  #cacheOverflows = 0;

  constructor(options: FanoutOptions<T>) {
    requireNonNegative('maxPendingBytes', options.maxPendingBytes);
    requireNonNegative('gopCacheMaxBytes', options.gopCacheMaxBytes);
    requireNonNegative('gopCacheMaxItems', options.gopCacheMaxItems);
    this.#isSyncPoint = options.isSyncPoint;
    this.#sizeOf = options.sizeOf;
    this.#maxPendingBytes = options.maxPendingBytes;
    this.#gopCacheMaxBytes = options.gopCacheMaxBytes;
    this.#gopCacheMaxItems = options.gopCacheMaxItems;
    this.#onSubscriberError = options.onSubscriberError;
  }

  get subscriberCount(): number {
    return this.#subscriptions.length - this.#releasedInPlace;
  }

  /** Items dropped to back-pressure, summed over all subscribers (past ones included). */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** Subscribers released because `deliver` or `pendingBytes` threw. */
  get failedSubscribers(): number {
    return this.#failedSubscribers;
  }

  /** Groups whose cache hit `gopCacheMaxBytes` / `gopCacheMaxItems` and stopped growing. */
  get cacheOverflows(): number {
    return this.#cacheOverflows;
  }

  get cachedItems(): number {
    return this.#cacheLength;
  }

  get cachedBytes(): number {
    return this.#cacheBytes;
  }

  /** Caches `item` and offers it to every subscriber; returns without waiting for any of them. */
  push(item: T): void {
    const syncPoint = this.#isSyncPoint(item);
    this.#cacheItem(item, syncPoint);
    const subscriptions = this.#subscriptions;
    // Subscribers added during this push got the item through their replay already.
    const count = subscriptions.length;
    this.#pushDepth++;
    try {
      for (let i = 0; i < count; i++) {
        const subscription = subscriptions[i];
        if (!subscription.released) this.#offer(subscription, item, syncPoint);
      }
    } finally {
      this.#pushDepth--;
      if (this.#pushDepth === 0 && this.#releasedInPlace > 0) this.#compact();
    }
  }

  /**
   * Adds a subscriber. With `replayCache` (the default) the cached group is delivered
   * before this returns, starting at its sync point; otherwise, or when nothing is
   * cached, the subscriber receives nothing until the next sync point.
   *
   * The replay is not held to `maxPendingBytes`: it is already bounded by
   * `gopCacheMaxBytes`, and cutting it short would leave the new subscriber waiting
   * for a whole group. Live items after it are held to the bound as usual.
   */
  subscribe(subscriber: FanoutSubscriber<T>, options: FanoutSubscribeOptions = {}): FanoutSubscription {
    const subscription = new Subscription(subscriber, this.#releaseSubscription);
    this.#subscriptions.push(subscription);
    if ((options.replayCache ?? true) && this.#cacheState !== 'empty') this.#replay(subscription);
    return subscription;
  }

  /** Forgets the cached group; until the next sync point new subscribers get no replay. */
  clearCache(): void {
    this.#emptyCache();
    this.#cacheState = 'empty';
  }

  #offer(subscription: Subscription<T>, item: T, syncPoint: boolean): void {
    if (!syncPoint && subscription.state !== 'live') {
      if (subscription.state === 'dropping') this.#countDrop(subscription);
      return;
    }
    try {
      if (subscription.subscriber.pendingBytes() > this.#maxPendingBytes) {
        subscription.state = 'dropping';
        this.#countDrop(subscription);
        return;
      }
      subscription.state = 'live';
      subscription.subscriber.deliver(item);
    } catch (error) {
      this.#fail(subscription, error);
    }
  }

  #replay(subscription: Subscription<T>): void {
    const generation = this.#cacheGeneration;
    const length = this.#cacheLength;
    subscription.state = 'live';
    for (let i = 0; i < length; i++) {
      if (subscription.released) return;
      // The cache was emptied under us (from inside `deliver`): the rest is gone.
      if (generation !== this.#cacheGeneration) {
        subscription.state = 'waiting';
        return;
      }
      try {
        subscription.subscriber.deliver(this.#cache[i] as T);
      } catch (error) {
        this.#fail(subscription, error);
        return;
      }
    }
    // A full cache lacks the items after its bound: continuing live would leave a gap
    // in the group, so wait for the next sync point instead.
    if (this.#cacheState === 'full' && !subscription.released) subscription.state = 'waiting';
  }

  #cacheItem(item: T, syncPoint: boolean): void {
    if (syncPoint) {
      this.#emptyCache();
      this.#cacheState = 'open';
    }
    if (this.#cacheState !== 'open') return;
    const size = this.#sizeOf(item);
    if (this.#cacheLength >= this.#gopCacheMaxItems || this.#cacheBytes + size > this.#gopCacheMaxBytes) {
      this.#cacheState = 'full';
      this.#cacheOverflows++;
      return;
    }
    this.#cache[this.#cacheLength++] = item;
    this.#cacheBytes += size;
  }

  #emptyCache(): void {
    const cache = this.#cache;
    for (let i = 0; i < this.#cacheLength; i++) cache[i] = undefined;
    this.#cacheLength = 0;
    this.#cacheBytes = 0;
    this.#cacheGeneration++;
  }

  #countDrop(subscription: Subscription<T>): void {
    subscription.droppedCount++;
    this.#droppedTotal++;
  }

  #fail(subscription: Subscription<T>, error: unknown): void {
    this.#failedSubscribers++;
    subscription.release();
    try {
      this.#onSubscriberError?.(error, subscription.subscriber);
    } catch {
      // The hook is for reporting; letting it throw would stop delivery to the others.
    }
  }

  #compact(): void {
    const subscriptions = this.#subscriptions;
    let kept = 0;
    for (let i = 0; i < subscriptions.length; i++) {
      const subscription = subscriptions[i];
      if (!subscription.released) subscriptions[kept++] = subscription;
    }
    subscriptions.length = kept;
    this.#releasedInPlace = 0;
  }
}

function requireNonNegative(name: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new CoreError('INVALID_ARGUMENT', `${name} must be a finite number >= 0, got ${value}`);
  }
}
