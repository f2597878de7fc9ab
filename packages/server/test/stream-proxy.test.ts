import { afterEach, describe, expect, it } from 'vitest';
import { StreamRegistry } from '@sluice/core';
import { Logger } from '../src/log.js';
import { ProxyManager, ProxyConflictError } from '../src/proxy/manager.js';
import type { ProxySpec } from '../src/proxy/stream-proxy.js';
import type { ProxyState } from '../src/proxy/state.js';
import type { ProxyStore } from '../src/store/proxy-store.js';
import { FakeUpstream } from './fake-source.js';
import { HookDispatcher } from '../src/hooks/dispatcher.js';
import { NoneReaderWatch } from '../src/proxy/none-reader.js';
import type { FrameReader } from '@sluice/core';
import type { MediaFrame } from '@sluice/codec';

class MemoryStore implements ProxyStore {
  readonly specs = new Map<string, ProxySpec>();
  async load(): Promise<ProxySpec[]> {
    return [...this.specs.values()];
  }
  async put(spec: ProxySpec): Promise<void> {
    this.specs.set(`${spec.vhost}/${spec.app}/${spec.stream}`, spec);
  }
  async delete(key: string): Promise<void> {
    this.specs.delete(key);
  }
}

const quiet = new Logger({ level: 'error' });

function spec(overrides: Partial<ProxySpec> = {}): ProxySpec {
  return {
    vhost: '__defaultVhost__',
    app: 'live',
    stream: 'cam',
    url: 'rtmp://upstream.invalid/live/cam',
    retryCount: -1,
    timeoutSec: 2,
    rtpType: 0,
    onDemand: false,
    enableFmp4: true,
    enableHls: false,
    mediaTimeoutMs: 300,
    backoff: { initialMs: 20, factor: 2, maxMs: 80, jitter: 0 },
    ...overrides,
  };
}

let managers: ProxyManager[] = [];
function setup(): { upstream: FakeUpstream; manager: ProxyManager; registry: StreamRegistry; store: MemoryStore } {
  const upstream = new FakeUpstream();
  const registry = new StreamRegistry();
  const store = new MemoryStore();
  const manager = new ProxyManager(registry, new Map([['rtmp', upstream.pull]]), store, quiet);
  managers.push(manager);
  return { upstream, manager, registry, store };
}
afterEach(async () => {
  for (const m of managers) await m.shutdown('test over');
  managers = [];
});

function states(manager: ProxyManager): ProxyState[] {
  const seen: ProxyState[] = [];
  manager.on('state', (_p, to) => seen.push(to));
  return seen;
}

/** Resolves when any proxy of the manager is in `state` (now or later). */
function waitForState(manager: ProxyManager, state: ProxyState, timeoutMs = 3000): Promise<void> {
  if (manager.list().some((p) => p.state === state)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${state} within ${timeoutMs} ms`)), timeoutMs);
    const on = (_p: unknown, to: ProxyState): void => {
      if (to !== state) return;
      clearTimeout(t);
      manager.off('state', on);
      resolve();
    };
    manager.on('state', on);
  });
}

describe('stream proxy lifecycle', () => {
  it('connects, plays, and registers its stream', async () => {
    const { upstream, manager, registry } = setup();
    upstream.fallback = 'play';
    const seen = states(manager);
    const { proxy } = await manager.add(spec());
    expect(await proxy.waitForOutcome(2000)).toEqual({ ok: true });
    expect(seen).toEqual(['connecting', 'playing']);
    expect(registry.get(proxy.key)?.ready).toBe(true);
    expect(proxy.bytesIn).toBeGreaterThan(0);
  });

  it('retries with backoff and recovers: playing → retrying → playing, stream stays registered', async () => {
    const { upstream, manager, registry } = setup();
    upstream.behaviours = ['play-then-stall', 'fail', 'play'];
    const seen = states(manager);
    const { proxy } = await manager.add(spec());
    await proxy.waitForOutcome(2000);
    const source = registry.get(proxy.key);
    await upstream.waitForAttempts(3, 5000);
    await waitForState(manager, 'playing');
    expect(proxy.state).toBe('playing');
    expect(seen).toEqual(['connecting', 'playing', 'retrying', 'connecting', 'retrying', 'connecting', 'playing']);
    expect(registry.get(proxy.key)).toBe(source); // the same stream object: viewers stayed attached
    expect(proxy.rePullCount).toBe(2);
    expect(proxy.consecutiveFailures).toBe(0);
  });

  it('declares the upstream dead after media_timeout_ms without media', async () => {
    const { upstream, manager } = setup();
    upstream.behaviours = ['play-then-stall'];
    upstream.fallback = 'hang';
    const { proxy } = await manager.add(spec({ mediaTimeoutMs: 200 }));
    await waitForState(manager, 'retrying');
    expect(proxy.lastError).toMatch(/no media for 200 ms/);
  });

  it.each([
    [0, 1],
    [2, 3],
  ])('retry_count=%i gives up after %i attempts with state failed', async (retryCount, attempts) => {
    const { upstream, manager } = setup();
    const { proxy } = await manager.add(spec({ retryCount }));
    await waitForState(manager, 'failed');
    expect(upstream.attempts).toBe(attempts);
    expect(proxy.lastError).toMatch(/ECONNREFUSED/);
    expect(proxy.consecutiveFailures).toBe(attempts);
  });

  it('waitForOutcome reports an attempt that already failed before the wait began', async () => {
    const { manager } = setup();
    const { proxy } = await manager.add(spec({ retryCount: 0 }));
    await waitForState(manager, 'failed');
    // No state event will come again: the answer must come from the state itself, at once.
    expect(await proxy.waitForOutcome(60_000)).toEqual({ ok: false, error: expect.stringMatching(/ECONNREFUSED/) });
  });

  it('a connect that never completes times out and retries', async () => {
    const { upstream, manager } = setup();
    upstream.fallback = 'hang';
    const { proxy } = await manager.add(spec({ timeoutSec: 0.2 }));
    await waitForState(manager, 'retrying');
    expect(proxy.lastError).toMatch(/no media within 0.2 s/);
  });

  it.each(['connecting', 'retrying', 'playing', 'idle'] as const)(
    'delete while %s stops it with no attempt afterwards',
    async (when) => {
      const { upstream, manager, registry } = setup();
      upstream.fallback = when === 'playing' ? 'play' : when === 'connecting' ? 'hang' : 'fail';
      const { proxy } = await manager.add(
        spec({ onDemand: when === 'idle', backoff: { initialMs: 100, factor: 1, maxMs: 100, jitter: 0 } }),
      );
      if (when !== 'idle') await waitForState(manager, when);
      expect(proxy.state).toBe(when);
      const before = upstream.attempts;
      expect(await manager.remove(proxy.keyString)).toBe(true);
      expect(proxy.state).toBe('stopped');
      expect(registry.get(proxy.key)).toBeUndefined();
      // Every session's signal is aborted: no socket stays open.
      expect(upstream.contexts.every((c) => c.signal.aborted)).toBe(true);
      // Longer than any backoff: no attempt follows.
      await new Promise((r) => setTimeout(r, 300));
      expect(upstream.attempts).toBe(before);
    },
  );
});

describe('idempotent add', () => {
  it('the same add twice, and ten concurrent ones, leave one proxy', async () => {
    const { upstream, manager } = setup();
    upstream.fallback = 'play';
    const first = await manager.add(spec());
    const again = await manager.add(spec());
    expect(again.created).toBe(false);
    expect(again.proxy).toBe(first.proxy);
    const many = await Promise.all(Array.from({ length: 10 }, () => manager.add(spec({ stream: 'other' }))));
    expect(many.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(many.map((r) => r.proxy)).size).toBe(1);
    expect(manager.size).toBe(2);
  });

  it('a different URL is refused naming the existing one; force replaces it', async () => {
    const { upstream, manager, store } = setup();
    upstream.fallback = 'play';
    await manager.add(spec());
    await expect(manager.add(spec({ url: 'rtmp://elsewhere.invalid/live/x' }))).rejects.toThrow(ProxyConflictError);
    await expect(manager.add(spec({ url: 'rtmp://elsewhere.invalid/live/x' }))).rejects.toThrow(
      'already exists with url rtmp://upstream.invalid/live/cam',
    );
    const replaced = await manager.add(spec({ url: 'rtmp://elsewhere.invalid/live/x' }), { force: true });
    expect(replaced.created).toBe(true);
    expect(manager.get(replaced.proxy.keyString)?.spec.url).toBe('rtmp://elsewhere.invalid/live/x');
    expect([...store.specs.values()].map((s) => s.url)).toEqual(['rtmp://elsewhere.invalid/live/x']);
  });
});

describe('on-demand', () => {
  it('stays idle until started, returns to idle, and starts again', async () => {
    const { upstream, manager, registry } = setup();
    upstream.fallback = 'play';
    const { proxy } = await manager.add(spec({ onDemand: true }));
    expect(proxy.state).toBe('idle');
    expect(upstream.attempts).toBe(0);
    proxy.start();
    await registry.waitReady(proxy.key, { timeoutMs: 2000 });
    await proxy.goIdle('no viewers');
    expect(proxy.state).toBe('idle');
    expect(registry.get(proxy.key)).toBeUndefined();
    expect(upstream.contexts[0]!.signal.aborted).toBe(true);
    proxy.start();
    await registry.waitReady(proxy.key, { timeoutMs: 2000 });
    expect(upstream.attempts).toBe(2);
  });
});

describe('persistence through the store', () => {
  it('stores adds, forgets deletes, and restores in the desired state', async () => {
    const { upstream, manager, store, registry } = setup();
    upstream.fallback = 'play';
    await manager.add(spec({ stream: 'a' }));
    await manager.add(spec({ stream: 'b', onDemand: true }));
    await manager.add(spec({ stream: 'c' }));
    await manager.remove('__defaultVhost__/live/c');
    expect([...store.specs.keys()]).toEqual(['__defaultVhost__/live/a', '__defaultVhost__/live/b']);
    await manager.shutdown('restart');
    expect(store.specs.size).toBe(2); // shutdown keeps them

    const upstream2 = new FakeUpstream();
    upstream2.fallback = 'play';
    const restored = new ProxyManager(registry, new Map([['rtmp', upstream2.pull]]), store, quiet);
    managers.push(restored);
    expect(await restored.restore()).toBe(2);
    expect(restored.get('__defaultVhost__/live/b')?.state).toBe('idle');
    await registry.waitReady({ vhost: '__defaultVhost__', app: 'live', stream: 'a' }, { timeoutMs: 2000 });
    expect(upstream2.attempts).toBe(1);
  });
});

describe('timestamps across a reconnect', () => {
  it('stay monotonic when the upstream restarts its clock, and readers stay attached', async () => {
    const { upstream, manager, registry } = setup();
    upstream.behaviours = ['play-then-stall', 'play'];
    const { proxy } = await manager.add(spec({ mediaTimeoutMs: 200 }));
    await proxy.waitForOutcome(2000);
    const dts: number[] = [];
    let trackChanges = 0;
    const reader: FrameReader = {
      onTracks: () => trackChanges++,
      onFrame: (f: MediaFrame) => dts.push(f.dts),
      onClose: () => undefined,
      pendingBytes: () => 0,
    };
    registry.get(proxy.key)!.addReader(reader);
    await upstream.waitForAttempts(2, 5000);
    await waitForState(manager, 'playing');
    await new Promise((r) => setTimeout(r, 200)); // let the second session deliver a few frames
    expect(proxy.rePullCount).toBe(1);
    expect(dts.length).toBeGreaterThan(6);
    for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
    expect(trackChanges).toBe(1); // same parameters: no new init for the reader
  });
});

describe('none-reader watch', () => {
  function watch(delayMs: number) {
    const env = setup();
    const hooks = new HookDispatcher({
      enabled: false, mediaServerId: 't', urls: {}, timeoutMs: 1000, retries: 0, retryDelayMs: 0, maxInFlight: 1, log: quiet,
    });
    const w = new NoneReaderWatch(env.registry, env.manager, hooks, delayMs, quiet);
    return { ...env, w };
  }

  it('returns an on-demand proxy to idle after the delay, and a viewer arriving in the delay cancels it', async () => {
    const { upstream, manager, registry, w } = watch(150);
    upstream.fallback = 'play';
    const { proxy } = await manager.add(spec({ onDemand: true }));
    proxy.start();
    const source = await registry.waitReady(proxy.key, { timeoutMs: 2000 });
    // A viewer comes and goes, then another arrives within the delay.
    source.addViewer({ protocol: 'test' }).release();
    await new Promise((r) => setTimeout(r, 100));
    const second = source.addViewer({ protocol: 'test' });
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.state).toBe('playing');
    second.release();
    await waitForState(manager, 'idle', 1000);
    expect(registry.get(proxy.key)).toBeUndefined();
    w.dispose();
  });

  it('keeps an always-on proxy running when nobody watches and no hook says otherwise', async () => {
    const { upstream, manager, registry, w } = watch(50);
    upstream.fallback = 'play';
    const { proxy } = await manager.add(spec());
    await registry.waitReady(proxy.key, { timeoutMs: 2000 });
    await new Promise((r) => setTimeout(r, 200));
    expect(proxy.state).toBe('playing');
    w.dispose();
  });
});

describe('backup upstreams', () => {
  it('fails over to the backup at once, keeps the stream, and returns to the primary when it is healthy', async () => {
    const { upstream, manager, registry } = setup();
    const primary = 'rtmp://primary.invalid/live/a';
    const backup = 'rtmp://backup.invalid/live/a';
    upstream.byUrl.set(primary, 'play-then-stall');
    upstream.byUrl.set(backup, 'play');
    const { proxy } = await manager.add(
      spec({ url: primary, backupUrls: [backup], mediaTimeoutMs: 200, backoff: { initialMs: 300, factor: 1, maxMs: 300, jitter: 0 } }),
    );
    await proxy.waitForOutcome(2000);
    const source = registry.get(proxy.key)!;
    let closed = false;
    const dts: number[] = [];
    source.addReader({ onTracks: () => undefined, onFrame: (f) => dts.push(f.dts), onClose: () => (closed = true), pendingBytes: () => 0 });
    upstream.byUrl.set(primary, 'fail'); // the primary is down from now on
    const switched: number[] = [];
    proxy.on('source', (_url, index) => switched.push(index));
    await waitUntilTrue(() => proxy.activeIndex === 1 && proxy.state === 'playing', 3000);
    expect(proxy.upstreams[0]!.healthy).toBe(false);
    expect(proxy.upstreams[1]!.healthy).toBe(true);
    const failedOverAt = upstream.urls.length;
    // The primary comes back: the background probe finds it and the proxy returns.
    upstream.byUrl.set(primary, 'play');
    await waitUntilTrue(() => proxy.activeIndex === 0 && proxy.state === 'playing', 5000);
    expect(switched).toEqual([1, 0]);
    expect(upstream.urls.slice(failedOverAt)).toContain(primary);
    expect(registry.get(proxy.key)).toBe(source);
    expect(closed).toBe(false);
    for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
  }, 15_000);

  it('backs off only after every upstream failed in a row', async () => {
    const { upstream, manager } = setup();
    const { proxy } = await manager.add(
      spec({ url: 'rtmp://a.invalid/x', backupUrls: ['rtmp://b.invalid/x'], backoff: { initialMs: 400, factor: 1, maxMs: 400, jitter: 0 } }),
    );
    await upstream.waitForAttempts(2, 1000);
    const t0 = Date.now();
    await upstream.waitForAttempts(3, 2000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350);
    expect(upstream.urls.slice(0, 3)).toEqual(['rtmp://a.invalid/x', 'rtmp://b.invalid/x', 'rtmp://a.invalid/x']);
    expect(proxy.consecutiveFailures).toBeGreaterThanOrEqual(2);
  });
});

async function waitUntilTrue(fn: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('restore with a start limit', () => {
  it('connects stored always-on proxies at most N at a time', async () => {
    const upstream = new FakeUpstream();
    upstream.fallback = 'hang'; // upstreams that take their time: each holds its slot until its connect timeout
    const registry = new StreamRegistry();
    const store = new MemoryStore();
    for (let i = 0; i < 20; i++) await store.put(spec({ stream: `s${i}`, timeoutSec: 0.2 }));
    const manager = new ProxyManager(registry, new Map([['rtmp', upstream.pull]]), store, quiet, 3);
    managers.push(manager);
    // Attempts in flight = pull calls whose session signal has not been aborted yet.
    let maxInFlight = 0;
    const inFlight = (): number => upstream.contexts.filter((c) => !c.signal.aborted).length;
    const sampler = setInterval(() => (maxInFlight = Math.max(maxInFlight, inFlight())), 5);
    expect(await manager.restore()).toBe(20);
    await new Promise((r) => setImmediate(r));
    expect(upstream.attempts).toBe(3);
    expect(manager.queuedStarts).toBe(17);
    await waitUntilTrue(() => upstream.attempts >= 20, 5000);
    clearInterval(sampler);
    expect(maxInFlight).toBeLessThanOrEqual(3);
  });
});
