import { DEFAULT_VHOST, parseStreamKey, validateStreamKeyPart, type MediaSource, type StreamKey } from '@sluice/core';
import type { Config } from '../config.js';
import { ProxyConflictError, UnsupportedSchemeError, type ProxyManager } from '../proxy/manager.js';
import type { ProxySpec } from '../proxy/stream-proxy.js';
import type { StreamRegistry } from '@sluice/core';
import { ApiArgs } from './args.js';
import { ApiCode, ApiError, invalidArg } from './codes.js';
import { mediaInfo, proxyInfo, type Origin } from './media-info.js';
import { onListChange } from './list-changes.js';
import { MediaList, SCHEMAS } from './media-list.js';
import { ReplyCache } from './reply-cache.js';
import { SerializedReply, type ApiRouter } from './router.js';

export interface ApiDeps {
  readonly config: Config;
  readonly registry: StreamRegistry;
  readonly proxies: ProxyManager;
  readonly version: string;
  readonly startedAt: number;
  /** Where a stream comes from (proxy URL, RTP peer), for getMediaList. */
  readonly originOf: (source: MediaSource) => Origin;
}

/**
 * How old a cached getMediaList / listStreamProxy reply may be. Only its running counters
 * (bytes, frames, seconds alive) and upstream health can be that old: every other change drops it.
 */
export const LIST_REPLY_MAX_AGE_MS = 1000;
/** Distinct list queries whose replies are kept (filters are the caller's choice: bounded). */
const MAX_CACHED_LISTS = 64;
/** Items in one bulk request: bounds the work (and memory) one request can ask for. */
const MAX_BULK_ITEMS = 10_000;

function itemError(err: unknown): { code: number; msg: string } {
  if (err instanceof ApiError) return { code: err.code, msg: err.message };
  if (err instanceof ProxyConflictError) return { code: ApiCode.InvalidArgs, msg: err.message };
  if (err instanceof UnsupportedSchemeError) return { code: ApiCode.InvalidArgs, msg: `invalid argument url: ${err.message}` };
  return { code: ApiCode.Exception, msg: (err as Error).message };
}
const MAX_TIMEOUT_SEC = 600;

function streamKeyArgs(args: ApiArgs, required: boolean): Partial<StreamKey> {
  const out: { vhost?: string; app?: string; stream?: string } = {};
  for (const name of ['vhost', 'app', 'stream'] as const) {
    let value = required && name !== 'vhost' ? args.string(name) : args.optionalString(name);
    if (name === 'vhost' && (value === undefined || value === '') && required) value = DEFAULT_VHOST;
    if (value === undefined) continue;
    const problem = validateStreamKeyPart(name, value);
    if (problem) throw invalidArg(name, problem);
    out[name] = value;
  }
  return out;
}

function matches(item: { key: StreamKey }, filter: Partial<StreamKey>): boolean {
  const k = item.key;
  return (
    (filter.vhost === undefined || filter.vhost === k.vhost) &&
    (filter.app === undefined || filter.app === k.app) &&
    (filter.stream === undefined || filter.stream === k.stream)
  );
}

/** Only URLs Sluice pulls from: the API must not become a way to reach anything else. */
function checkUpstreamUrl(name: string, text: string, deps: ApiDeps): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArg(name, `"${text}" is not a URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!deps.proxies.supportedSchemes().includes(scheme)) {
    throw invalidArg(name, `scheme "${scheme}" is not pulled by Sluice (use ${deps.proxies.supportedSchemes().join(', ')})`);
  }
  if (!url.hostname) throw invalidArg(name, 'no host');
}

function proxySpecFromArgs(args: ApiArgs, deps: ApiDeps): ProxySpec {
  const key = streamKeyArgs(args, true) as StreamKey;
  const urlText = args.string('url');
  checkUpstreamUrl('url', urlText, deps);
  const backups = args.stringList('backup_urls') ?? args.stringList('backup_url') ?? [];
  backups.forEach((u, i) => checkUpstreamUrl(backups.length > 1 ? `backup_urls[${i}]` : 'backup_url', u, deps));
  const c = deps.config;
  return {
    ...key,
    url: urlText,
    backupUrls: backups,
    retryCount: args.int('retry_count', { default: -1, min: -1, max: 1_000_000 }),
    timeoutSec: args.number('timeout_sec', { default: c['proxy.timeoutSec'], min: 0.1, max: MAX_TIMEOUT_SEC }),
    rtpType: args.int('rtp_type', { default: 0, min: 0, max: 2 }),
    rtspUser: args.optionalString('rtsp_user'),
    rtspPassword: args.optionalString('rtsp_pwd'),
    onDemand: args.bool('on_demand', c['proxy.onDemand']),
    enableFmp4: args.bool('enable_fmp4', c['protocol.enable_fmp4']),
    enableHls: args.bool('enable_hls', false),
    mediaTimeoutMs: args.int('media_timeout_ms', { default: c['proxy.mediaTimeoutMS'], min: 100, max: 3_600_000 }),
    backoff: {
      initialMs: args.int('retry_initial_ms', { default: c['proxy.retryInitialMS'], min: 0, max: 3_600_000 }),
      factor: args.number('retry_factor', { default: c['proxy.retryFactor'], min: 1, max: 100 }),
      maxMs: args.int('retry_max_ms', { default: c['proxy.retryMaxMS'], min: 0, max: 86_400_000 }),
      jitter: args.number('retry_jitter', { default: c['proxy.retryJitter'], min: 0, max: 1 }),
    },
  };
}

export function registerApi(router: ApiRouter, deps: ApiDeps): void {
  const { registry, proxies } = deps;
  const mediaCache = new ReplyCache({ maxAgeMs: LIST_REPLY_MAX_AGE_MS, maxEntries: MAX_CACHED_LISTS });
  const proxyCache = new ReplyCache({ maxAgeMs: LIST_REPLY_MAX_AGE_MS, maxEntries: 1 });
  onListChange(registry, proxies, () => {
    mediaCache.invalidate();
    proxyCache.invalidate();
  });
  const mediaList = new MediaList(registry, deps.originOf, mediaCache);

  router.add('version', () => ({
    data: { version: deps.version, branchName: 'main', buildTime: new Date(deps.startedAt).toISOString(), commitHash: '' },
  }));

  router.add('getServerConfig', () => ({
    data: [Object.fromEntries(Object.entries(deps.config).filter(([k]) => k !== 'api.secret'))],
  }));

  router.add('addStreamProxy', async (args) => {
    const spec = proxySpecFromArgs(args, deps);
    const force = args.bool('force', false);
    let result;
    try {
      result = await proxies.add(spec, { force });
    } catch (err) {
      if (err instanceof ProxyConflictError) throw new ApiError(ApiCode.InvalidArgs, err.message, { existingUrl: err.existingUrl });
      if (err instanceof UnsupportedSchemeError) throw invalidArg('url', err.message);
      throw err;
    }
    const { proxy } = result;
    if (spec.onDemand) return { data: { key: proxy.keyString } };
    // Like ZLMediaKit, the reply waits for the first attempt; a first failure removes the proxy.
    const outcome = await proxy.waitForOutcome(spec.timeoutSec * 1000);
    if (!outcome.ok && result.created && !force) {
      await proxies.remove(proxy.keyString, `first attempt failed: ${outcome.error}`);
      throw new ApiError(ApiCode.OtherFailed, `pull failed: ${outcome.error}`);
    }
    if (!outcome.ok) throw new ApiError(ApiCode.OtherFailed, `pull failed: ${outcome.error}`, { data: { key: proxy.keyString } });
    return { data: { key: proxy.keyString } };
  });

  /**
   * Sluice's bulk call: `{"add": [...], "update": [...], "delete": ["key", ...]}`
   * (add items take addStreamProxy's arguments; update replaces like force=1).
   * Every item is answered on its own and persisted on its own; invalid items
   * are named and skipped, the valid ones applied. Nothing waits for upstreams:
   * started proxies connect through the start limiter.
   */
  router.add('bulkStreamProxy', async (args) => {
    const section = (name: 'add' | 'update' | 'delete'): unknown[] => {
      const v = args.json(name);
      if (v === undefined) return [];
      if (!Array.isArray(v)) throw invalidArg(name, 'must be a JSON array');
      if (v.length > MAX_BULK_ITEMS) throw invalidArg(name, `at most ${MAX_BULK_ITEMS} items per request`);
      return v;
    };
    const upsert = async (items: unknown[], force: boolean): Promise<Record<string, unknown>[]> =>
      Promise.all(
        items.map(async (item, index) => {
          try {
            if (!item || typeof item !== 'object' || Array.isArray(item)) throw invalidArg(`item ${index}`, 'must be an object');
            const spec = proxySpecFromArgs(ApiArgs.fromSources(new URLSearchParams(), item as Record<string, unknown>), deps);
            const { proxy, created } = await proxies.add(spec, { force });
            return { index, code: ApiCode.Success, key: proxy.keyString, created, state: proxy.state };
          } catch (err) {
            return { index, ...itemError(err) };
          }
        }),
      );
    const addItems = section('add');
    const updateItems = section('update');
    const deleteItems = section('delete');
    const [added, updated, deleted] = await Promise.all([
      upsert(addItems, false),
      upsert(updateItems, true),
      Promise.all(
        deleteItems.map(async (key, index) => {
          if (typeof key !== 'string') return { index, ...itemError(invalidArg(`delete[${index}]`, 'must be a key string')) };
          return { index, code: ApiCode.Success, key, flag: await proxies.remove(key, 'bulk delete') };
        }),
      ),
    ]);
    return { data: { add: added, update: updated, delete: deleted } };
  });

  router.add('delStreamProxy', async (args) => {
    const key = args.string('key');
    return { data: { flag: await proxies.remove(key, 'delStreamProxy') } };
  });

  router.add('listStreamProxy', (args) => {
    const key = args.optionalString('key');
    if (key) return { data: [proxies.get(key)].filter((p) => p !== undefined).map(proxyInfo) };
    return new SerializedReply(
      proxyCache.get('', () => Buffer.from(JSON.stringify({ code: ApiCode.Success, data: proxies.list().map(proxyInfo) }))),
    );
  });

  router.add('getProxyInfo', (args) => {
    const key = args.string('key');
    const proxy = proxies.get(key);
    if (!proxy) throw new ApiError(ApiCode.NotFound, `no stream proxy ${key}`);
    return { data: proxyInfo(proxy) };
  });

  router.add('getMediaList', (args) => {
    const schema = args.optionalString('schema');
    return new SerializedReply(mediaList.reply({ ...streamKeyArgs(args, false), ...(schema === undefined ? {} : { schema }) }));
  });

  router.add('isMediaOnline', (args) => {
    const key = streamKeyArgs(args, true) as StreamKey;
    const schema = args.optionalString('schema');
    const source = registry.get(key);
    const online = !!source?.ready && (schema === undefined || (SCHEMAS as readonly string[]).includes(schema));
    return { online };
  });

  router.add('getMediaInfo', (args) => {
    const key = streamKeyArgs(args, true) as StreamKey;
    const source = registry.get(key);
    if (!source?.ready) return { online: false };
    return { online: true, ...mediaInfo(source, args.optionalString('schema') ?? 'fmp4', deps.originOf(source)) };
  });

  /**
   * Closes matching streams. For a proxied stream, closing the stream stops its
   * proxy (in any state, including connecting and retrying), as in ZLMediaKit.
   */
  const closeStreams = async (filter: Partial<StreamKey>): Promise<{ hit: number; closed: number }> => {
    let hit = 0;
    let closed = 0;
    const keys = new Set<string>();
    for (const source of registry.list()) if (matches(source, filter)) keys.add(source.keyString);
    for (const proxy of proxies.list()) if (matches(proxy, filter)) keys.add(proxy.keyString);
    for (const key of keys) {
      hit++;
      if (await proxies.remove(key, 'close_streams')) closed++;
      else if (registry.remove(parseStreamKey(key), 'close_streams')) closed++;
    }
    return { hit, closed };
  };

  router.add('close_streams', async (args) => {
    const filter = streamKeyArgs(args, false);
    const { hit, closed } = await closeStreams(filter);
    return { count_hit: hit, count_closed: closed };
  });

  router.add('close_stream', async (args) => {
    const key = streamKeyArgs(args, true) as StreamKey;
    const { hit, closed } = await closeStreams(key);
    if (hit === 0) throw new ApiError(ApiCode.NotFound, 'stream not found');
    return { result: closed > 0 ? 0 : -1, msg: closed > 0 ? 'success' : 'close failed' };
  });

  router.add('getStatistic', () => ({
    data: {
      MediaSource: registry.size,
      StreamProxy: proxies.size,
      uptimeSec: Math.floor((Date.now() - deps.startedAt) / 1000),
      memory: process.memoryUsage(),
    },
  }));
}

