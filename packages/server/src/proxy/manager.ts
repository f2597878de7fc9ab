import { EventEmitter } from 'node:events';
import type { StreamRegistry } from '@sluice/core';
import { streamKeyString, type StreamKey } from '@sluice/core';
import { RateLimitedLog, type Logger } from '../log.js';
import type { PullSource, UdpPortPair } from '../sources/pull-source.js';
import type { ProxyStore } from '../store/proxy-store.js';
import type { ProxyState } from './state.js';
import { StreamProxy, type ProxySpec } from './stream-proxy.js';
import { ConnectLimiter } from './connect-limiter.js';

export class ProxyConflictError extends Error {
  override readonly name = 'ProxyConflictError';
  constructor(
    readonly key: string,
    readonly existingUrl: string,
  ) {
    super(`stream proxy ${key} already exists with url ${existingUrl}; use force=1 to replace it`);
  }
}

export class UnsupportedSchemeError extends Error {
  override readonly name = 'UnsupportedSchemeError';
}

export interface ProxyManagerEvents {
  state: [proxy: StreamProxy, to: ProxyState, from: ProxyState, reason: string | undefined];
  added: [StreamProxy];
  removed: [StreamProxy];
}

/**
 * All stream proxies, by stream key. Adding is idempotent (same URL → the same
 * proxy) and synchronous up to the point where the proxy is in the map, so
 * concurrent identical requests create one proxy.
 */
export class ProxyManager extends EventEmitter<ProxyManagerEvents> {
  private readonly proxies = new Map<string, StreamProxy>();
  private readonly limiter: ConnectLimiter;

  constructor(
    private readonly registry: StreamRegistry,
    private readonly pullers: ReadonlyMap<string, PullSource>,
    private readonly store: ProxyStore,
    private readonly log: Logger,
    /** Connection attempts in flight at once over all proxies (restore, bulk add, mass retries). */
    startConcurrency = 32,
    private readonly udpPorts?: () => Promise<UdpPortPair>,
  ) {
    super();
    this.limiter = new ConnectLimiter(startConcurrency);
  }

  /** Proxies waiting for a connect slot. */
  get queuedStarts(): number {
    return this.limiter.waiting;
  }

  /**
   * Loads the stored proxies and puts each in its last desired state: always-on
   * ones start pulling (through the connect limiter), on-demand ones wait idle
   * for a viewer.
   */
  async restore(): Promise<number> {
    const specs = await this.store.load();
    await Promise.all(
      specs.map(async (spec) => {
        try {
          await this.add(spec, { persist: false });
        } catch (err) {
          this.log.error('could not restore a stored proxy', { stream: streamKeyString(spec), err: err as Error });
        }
      }),
    );
    return specs.length;
  }

  /** The schemes a proxy may pull from (so the API cannot be used to reach anything else). */
  supportedSchemes(): string[] {
    return [...this.pullers.keys()];
  }

  /**
   * One pull function for all of a proxy's upstreams, dispatching on each URL's
   * scheme (a primary on RTSP may have a backup on RTMP).
   */
  private pullerFor(spec: ProxySpec): PullSource {
    for (const url of [spec.url, ...(spec.backupUrls ?? [])]) {
      const scheme = new URL(url).protocol.replace(/:$/, '');
      if (!this.pullers.has(scheme)) {
        throw new UnsupportedSchemeError(`unsupported url scheme ${scheme}: ${this.supportedSchemes().join(', ')} only`);
      }
    }
    return (ctx) => this.pullers.get(new URL(ctx.url).protocol.replace(/:$/, ''))!(ctx);
  }

  get(key: StreamKey | string): StreamProxy | undefined {
    return this.proxies.get(typeof key === 'string' ? key : streamKeyString(key));
  }

  list(): StreamProxy[] {
    return [...this.proxies.values()];
  }

  get size(): number {
    return this.proxies.size;
  }

  /**
   * Adds (and starts) a proxy. Returns `created: false` when an identical proxy
   * exists. A different URL for the same key throws ProxyConflictError unless
   * `force`, which replaces the old proxy.
   */
  async add(
    spec: ProxySpec,
    options: { force?: boolean; persist?: boolean } = {},
  ): Promise<{ proxy: StreamProxy; created: boolean }> {
    const pull = this.pullerFor(spec);
    const keyString = streamKeyString(spec);
    const existing = this.proxies.get(keyString);
    if (existing) {
      if (sameUpstreams(existing.spec, spec) && !options.force) return { proxy: existing, created: false };
      if (!options.force) throw new ProxyConflictError(keyString, existing.spec.url);
      await this.remove(keyString, 'replaced by force=1');
      // Another request may have added the key while we awaited the removal.
      const raced = this.proxies.get(keyString);
      if (raced) return { proxy: raced, created: false };
    }
    const key: StreamKey = { vhost: spec.vhost, app: spec.app, stream: spec.stream };
    if (this.registry.get(key)) {
      throw new ProxyConflictError(keyString, 'a stream that is not a proxy (already publishing)');
    }
    const log = this.log.child({ stream: keyString });
    const proxy = new StreamProxy(spec, { registry: this.registry, pull, log, udpPorts: this.udpPorts, limiter: this.limiter });
    // The connecting ⇄ retrying cycle of an upstream that stays down is logged at
    // most once a minute (with the count of lines held back); other changes always.
    const retryCycleLog = new RateLimitedLog(log, 60_000);
    proxy.on('state', (to, from, reason) => {
      const retryCycle = proxy.consecutiveFailures > 0 && (to === 'connecting' || to === 'retrying');
      if (retryCycle) retryCycleLog.log('info', 'proxy state', { from, to, reason, failures: proxy.consecutiveFailures });
      else log.info('proxy state', { from, to, reason });
      this.emit('state', proxy, to, from, reason);
    });
    this.proxies.set(keyString, proxy);
    this.emit('added', proxy);
    if (!spec.onDemand) proxy.start();
    if (options.persist !== false) {
      try {
        await this.store.put(spec);
      } catch (err) {
        // Not durable, so not added: a proxy the caller believes in must survive a restart.
        await this.remove(keyString, 'could not be persisted', { persist: false });
        throw err;
      }
    }
    return { proxy, created: true };
  }

  /** Stops and forgets a proxy in whatever state it is. */
  async remove(key: StreamKey | string, reason = 'deleted', options: { persist?: boolean } = {}): Promise<boolean> {
    const keyString = typeof key === 'string' ? key : streamKeyString(key);
    const proxy = this.proxies.get(keyString);
    if (!proxy) return false;
    this.proxies.delete(keyString);
    await proxy.stop(reason);
    this.emit('removed', proxy);
    if (options.persist !== false) await this.store.delete(keyString);
    return true;
  }

  /** Stops every proxy without touching the store (shutdown: they come back at the next start). */
  async shutdown(reason: string): Promise<void> {
    await Promise.all(this.list().map((p) => this.remove(p.keyString, reason, { persist: false })));
  }
}

function sameUpstreams(a: ProxySpec, b: ProxySpec): boolean {
  const ab = a.backupUrls ?? [];
  const bb = b.backupUrls ?? [];
  return a.url === b.url && ab.length === bb.length && ab.every((u, i) => u === bb[i]);
}
