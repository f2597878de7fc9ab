import { DEFAULT_VHOST, parseStreamKey, validateStreamKeyPart, type MediaSource, type StreamKey } from '@sluice/core';
import type { Config } from '../config.js';
import { ProxyConflictError, UnsupportedSchemeError, type ProxyManager } from '../proxy/manager.js';
import type { ProxySpec } from '../proxy/stream-proxy.js';
import type { StreamRegistry } from '@sluice/core';
import type { ApiArgs } from './args.js';
import { ApiCode, ApiError, invalidArg } from './codes.js';
import { mediaInfo, proxyInfo, type Origin } from './media-info.js';
import type { ApiRouter } from './router.js';

export interface ApiDeps {
  readonly config: Config;
  readonly registry: StreamRegistry;
  readonly proxies: ProxyManager;
  readonly version: string;
  readonly startedAt: number;
  /** Where a stream comes from (proxy URL, RTP peer), for getMediaList. */
  readonly originOf: (source: MediaSource) => Origin;
}

/** The output schemas a ready stream is listed under in getMediaList. */
const SCHEMAS = ['fmp4'] as const;
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

function proxySpecFromArgs(args: ApiArgs, deps: ApiDeps): ProxySpec {
  const key = streamKeyArgs(args, true) as StreamKey;
  const urlText = args.string('url');
  let url: URL;
  try {
    url = new URL(urlText);
  } catch {
    throw invalidArg('url', `"${urlText}" is not a URL`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!deps.proxies.supportedSchemes().includes(scheme)) {
    throw invalidArg('url', `scheme "${scheme}" is not pulled by Sluice (use ${deps.proxies.supportedSchemes().join(', ')})`);
  }
  if (!url.hostname) throw invalidArg('url', 'no host');
  const c = deps.config;
  return {
    ...key,
    url: urlText,
    retryCount: args.int('retry_count', { default: -1, min: -1, max: 1_000_000 }),
    timeoutSec: args.number('timeout_sec', { default: c['proxy.timeoutSec'], min: 0.1, max: MAX_TIMEOUT_SEC }),
    rtpType: args.int('rtp_type', { default: 0, min: 0, max: 2 }),
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

  router.add('delStreamProxy', async (args) => {
    const key = args.string('key');
    return { data: { flag: await proxies.remove(key, 'delStreamProxy') } };
  });

  router.add('listStreamProxy', (args) => {
    const key = args.optionalString('key');
    const list = key ? [proxies.get(key)].filter((p) => p !== undefined) : proxies.list();
    return { data: list.map(proxyInfo) };
  });

  router.add('getProxyInfo', (args) => {
    const key = args.string('key');
    const proxy = proxies.get(key);
    if (!proxy) throw new ApiError(ApiCode.NotFound, `no stream proxy ${key}`);
    return { data: proxyInfo(proxy) };
  });

  router.add('getMediaList', (args) => {
    const filter = streamKeyArgs(args, false);
    const schema = args.optionalString('schema');
    const data: Record<string, unknown>[] = [];
    for (const source of registry.list()) {
      if (!source.ready || !matches(source, filter)) continue;
      for (const s of SCHEMAS) {
        if (schema === undefined || schema === s) data.push(mediaInfo(source, s, deps.originOf(source)));
      }
    }
    return { data };
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

