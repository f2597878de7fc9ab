import type { MediaSource, StreamKey, StreamRegistry } from '@sluice/core';
import { ApiCode } from './codes.js';
import { mediaInfo, type Origin } from './media-info.js';
import type { ReplyCache } from './reply-cache.js';

/** The output schemas a ready stream is listed under in getMediaList. */
export const SCHEMAS = ['fmp4'] as const;

export interface MediaListFilter extends Partial<StreamKey> {
  readonly schema?: string;
}

/**
 * getMediaList. A query naming `app` and `stream` (the "is it online" check platforms make
 * for one camera) is a map lookup per vhost in use, built fresh. Any other query scans the
 * registry, and its serialized reply goes to `cache`, which its owner invalidates whenever
 * something listed changes (onListChange).
 */
export class MediaList {
  readonly #registry: StreamRegistry;
  readonly #originOf: (source: MediaSource) => Origin;
  readonly #cache: ReplyCache;
  /** Sources per vhost, so that a lookup without a vhost tries only the vhosts in use. */
  readonly #vhosts = new Map<string, number>();

  constructor(registry: StreamRegistry, originOf: (source: MediaSource) => Origin, cache: ReplyCache) {
    this.#registry = registry;
    this.#originOf = originOf;
    this.#cache = cache;
    registry.on('added', (source) => this.#countVhost(source.key.vhost, 1));
    registry.on('removed', (source) => this.#countVhost(source.key.vhost, -1));
    for (const source of registry.list()) this.#countVhost(source.key.vhost, 1);
  }

  /** Streams matching `filter`, with their ZLMediaKit fields. */
  entries(filter: MediaListFilter): Record<string, unknown>[] {
    const { app, stream } = filter;
    const now = Date.now();
    const data: Record<string, unknown>[] = [];
    const add = (source: MediaSource): void => {
      if (!source.ready) return;
      for (const s of SCHEMAS) if (filter.schema === undefined || filter.schema === s) data.push(mediaInfo(source, s, this.#originOf(source), now));
    };
    if (app !== undefined && stream !== undefined) {
      const vhosts = filter.vhost === undefined ? this.#vhosts.keys() : [filter.vhost];
      for (const vhost of vhosts) {
        const source = this.#registry.get({ vhost, app, stream });
        if (source) add(source);
      }
      return data;
    }
    for (const source of this.#registry.list()) if (matches(source.key, filter)) add(source);
    return data;
  }

  /** The whole reply `{"code":0,"data":[...]}`, serialized: cached unless the query names one stream. */
  reply(filter: MediaListFilter): Buffer {
    const build = (): Buffer => Buffer.from(JSON.stringify({ code: ApiCode.Success, data: this.entries(filter) }));
    if (filter.app !== undefined && filter.stream !== undefined) return build();
    // No key part holds a \0 (validateStreamKeyPart refuses control characters), and the schema is last: one string per filter.
    const query = `${filter.vhost ?? ''}\0${filter.app ?? ''}\0${filter.stream ?? ''}\0${filter.schema ?? ''}`;
    return this.#cache.get(query, build);
  }

  #countVhost(vhost: string, delta: number): void {
    const n = (this.#vhosts.get(vhost) ?? 0) + delta;
    if (n > 0) this.#vhosts.set(vhost, n);
    else this.#vhosts.delete(vhost);
  }
}

function matches(key: StreamKey, filter: Partial<StreamKey>): boolean {
  return (
    (filter.vhost === undefined || filter.vhost === key.vhost) &&
    (filter.app === undefined || filter.app === key.app) &&
    (filter.stream === undefined || filter.stream === key.stream)
  );
}
