import { afterEach, describe, expect, it, vi } from 'vitest';
import { StreamRegistry } from '@sluice/core';
import { Logger } from '../src/log.js';
import { ProxyManager } from '../src/proxy/manager.js';
import type { ProxySpec } from '../src/proxy/stream-proxy.js';
import { FakeUpstream } from './fake-source.js';

afterEach(() => {
  vi.useRealTimers();
});

function spec(maxMs: number): ProxySpec {
  return {
    vhost: '__defaultVhost__',
    app: 'live',
    stream: 'offline',
    url: 'rtmp://camera.invalid/live/x',
    retryCount: -1,
    timeoutSec: 5,
    rtpType: 0,
    onDemand: false,
    enableFmp4: true,
    enableHls: false,
    mediaTimeoutMs: 5000,
    backoff: { initialMs: 2000, factor: 2, maxMs, jitter: 0 },
  };
}

describe('log volume of an offline camera', () => {
  it.each([
    ['2 s → 60 s backoff', 60_000],
    ['a retry every 2 s', 2000],
  ])('10 minutes of retries (%s) write a bounded number of lines', async (_name, maxMs) => {
    vi.useFakeTimers();
    const lines: string[] = [];
    const log = new Logger({ write: (l) => lines.push(l), now: () => Date.now() });
    const upstream = new FakeUpstream(); // every attempt fails: connection refused
    const manager = new ProxyManager(new StreamRegistry(), new Map([['rtmp', upstream.pull]]), {
      load: async () => [],
      put: async () => undefined,
      delete: async () => undefined,
    }, log);
    await manager.add(spec(maxMs));
    for (let t = 0; t < 600; t++) await vi.advanceTimersByTimeAsync(1000);
    expect(upstream.attempts).toBeGreaterThan(maxMs === 2000 ? 250 : 12);
    // About one line of each kind per minute, whatever the retry pace.
    expect(lines.length).toBeLessThanOrEqual(40);
    const suppressed = lines.map((l) => JSON.parse(l).suppressed ?? 0).reduce((a, b) => a + b, 0);
    if (maxMs === 2000) expect(suppressed).toBeGreaterThan(400);
    await manager.shutdown('done');
  });
});
