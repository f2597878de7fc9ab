/**
 * Serialized replies of list calls, reused while nothing they show has changed.
 *
 * A full getMediaList of 1000 streams is ~400 KB of JSON and costs milliseconds to build;
 * platforms poll it. An entry is dropped at once by `invalidate()` — which the owner calls on
 * every change to what a reply lists (a stream registered or gone, its tracks or viewers, a
 * proxy added or removed) — so a stream that went offline is never listed. What can still be
 * old is only what moves all the time without an event, the running counters (bytes and frames
 * in, alive seconds), and those by at most `maxAgeMs`.
 */
export interface ReplyCacheOptions {
  /** How old a reply may be when nothing it lists has changed (its counters are that old at most). */
  readonly maxAgeMs: number;
  /** Distinct queries kept; the oldest goes first. Bounds memory whatever filters callers send. */
  readonly maxEntries: number;
  readonly now?: () => number;
}

interface Entry {
  readonly body: Buffer;
  readonly builtAt: number;
}

export class ReplyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: ReplyCacheOptions) {
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  /** Every reply built before this call is stale. */
  invalidate(): void {
    this.#entries.clear();
  }

  /** The reply for `query`: the cached one if still valid, else `build()`'s, kept for next time. */
  get(query: string, build: () => Buffer): Buffer {
    const now = this.#now();
    const hit = this.#entries.get(query);
    if (hit !== undefined && now - hit.builtAt < this.#maxAgeMs) return hit.body;
    const body = build();
    this.#entries.delete(query);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(query, { body, builtAt: now });
    return body;
  }

  get size(): number {
    return this.#entries.size;
  }
}
