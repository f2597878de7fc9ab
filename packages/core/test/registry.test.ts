import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { CoreError, DEFAULT_VHOST, MediaSource, StreamRegistry, type StreamKey } from '../src/index.js';
import { videoFrame, videoTrack } from './media-fixtures.js';

const KEY: StreamKey = { vhost: DEFAULT_VHOST, app: 'live', stream: 'cam1' };
const OTHER: StreamKey = { vhost: DEFAULT_VHOST, app: 'live', stream: 'cam2' };
const EVENTS = ['added', 'registered', 'unregistered', 'removed'] as const;

function makeReady(source: MediaSource): void {
  source.setTracks([videoTrack()]);
  source.pushFrame(videoFrame(0, true));
}

/** Records registry events as 'event:stream'. */
function eventLog(registry: StreamRegistry): string[] {
  const log: string[] = [];
  for (const event of EVENTS) registry.on(event, (source) => log.push(`${event}:${source.key.stream}`));
  return log;
}

/** Nothing a finished waitReady could have left behind. */
function expectNothingLeft(registry: StreamRegistry, signal?: AbortSignal): void {
  expect(vi.getTimerCount()).toBe(0);
  expect(registry.waiterCount).toBe(0);
  for (const event of EVENTS) expect(registry.listenerCount(event)).toBe(0);
  if (signal) expect(getEventListeners(signal, 'abort')).toHaveLength(0);
}

describe('StreamRegistry', () => {
  test('create, get, list, remove', () => {
    const registry = new StreamRegistry();
    const source = registry.create(KEY);
    expect(source).toBeInstanceOf(MediaSource);
    expect(registry.get({ ...KEY })).toBe(source);
    expect(registry.get(OTHER)).toBeUndefined();
    const other = registry.create(OTHER);
    expect(registry.list()).toEqual([source, other]);
    expect(registry.size).toBe(2);
    expect(registry.remove(KEY, 'kicked')).toBe(true);
    expect(source.closed).toBe(true);
    expect(registry.get(KEY)).toBeUndefined();
    expect(registry.remove(KEY, 'again')).toBe(false);
    expect(registry.size).toBe(1);
  });

  test('a duplicate key throws STREAM_EXISTS; the key is free again once removed', () => {
    const registry = new StreamRegistry();
    const first = registry.create(KEY);
    expect(() => registry.create({ ...KEY })).toThrow(CoreError);
    expect(() => registry.create({ ...KEY })).toThrow(expect.objectContaining({ code: 'STREAM_EXISTS' }));
    expect(registry.get(KEY)).toBe(first);
    registry.remove(KEY, 'gone');
    expect(registry.create(KEY)).not.toBe(first);
  });

  test('a malformed key throws INVALID_STREAM_KEY', () => {
    const registry = new StreamRegistry();
    expect(() => registry.create({ vhost: DEFAULT_VHOST, app: 'live', stream: 'a/b' })).toThrow(
      expect.objectContaining({ code: 'INVALID_STREAM_KEY' }),
    );
    expect(registry.size).toBe(0);
  });

  test('sources get the registry options', () => {
    const registry = new StreamRegistry({ gopCacheMaxItems: 2 });
    const source = registry.create(KEY);
    makeReady(source);
    for (let dts = 1; dts < 5; dts++) source.pushFrame(videoFrame(dts, false));
    expect(source.stats.gopCacheFrames).toBe(2);
  });

  const lifecycles: { name: string; run: (registry: StreamRegistry) => void; log: string[] }[] = [
    {
      name: 'ready, then removed',
      run: (registry) => {
        makeReady(registry.create(KEY));
        registry.remove(KEY, 'kicked');
      },
      log: ['added:cam1', 'registered:cam1', 'unregistered:cam1', 'removed:cam1'],
    },
    {
      name: 'ready, then closed by its producer',
      run: (registry) => {
        const source = registry.create(KEY);
        makeReady(source);
        source.close('publisher left');
      },
      log: ['added:cam1', 'registered:cam1', 'unregistered:cam1', 'removed:cam1'],
    },
    {
      name: 'closed before it was ready: never registered',
      run: (registry) => {
        registry.create(KEY).close('no media');
      },
      log: ['added:cam1', 'removed:cam1'],
    },
    {
      name: 'registered once across a track change',
      run: (registry) => {
        const source = registry.create(KEY);
        makeReady(source);
        source.setTracks([videoTrack({ width: 1920, decoderConfig: Uint8Array.of(1, 2, 3) })]);
        source.pushFrame(videoFrame(1, true));
        source.close('done');
      },
      log: ['added:cam1', 'registered:cam1', 'unregistered:cam1', 'removed:cam1'],
    },
  ];
  test.each(lifecycles)('events: $name', ({ run, log }) => {
    const registry = new StreamRegistry();
    const events = eventLog(registry);
    run(registry);
    expect(events).toEqual(log);
    expect(registry.size).toBe(0);
  });

  test('a closed source is gone from the registry by the time removed is emitted', () => {
    const registry = new StreamRegistry();
    const seen: (MediaSource | undefined)[] = [];
    registry.on('removed', () => seen.push(registry.get(KEY)));
    registry.create(KEY).close('bye');
    expect(seen).toEqual([undefined]);
  });
});

describe('StreamRegistry.waitReady', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test('resolves at once when the source is already ready', async () => {
    const registry = new StreamRegistry();
    const source = registry.create(KEY);
    makeReady(source);
    await expect(registry.waitReady(KEY, { timeoutMs: 1000 })).resolves.toBe(source);
    expectNothingLeft(registry);
  });

  test('resolves when a source created later becomes ready', async () => {
    const registry = new StreamRegistry();
    const controller = new AbortController();
    const waiting = registry.waitReady(KEY, { timeoutMs: 1000, signal: controller.signal });
    vi.advanceTimersByTime(500);
    const source = registry.create(KEY);
    expect(registry.waiterCount).toBe(1);
    makeReady(source);
    await expect(waiting).resolves.toBe(source);
    expectNothingLeft(registry, controller.signal);
  });

  test('resolves when a present source becomes ready; other keys do not wake it', async () => {
    const registry = new StreamRegistry();
    const source = registry.create(KEY);
    const waiting = registry.waitReady(KEY, { timeoutMs: 1000 });
    makeReady(registry.create(OTHER));
    expect(registry.waiterCount).toBe(1);
    makeReady(source);
    await expect(waiting).resolves.toBe(source);
    expectNothingLeft(registry);
  });

  test('keeps waiting across a source that closed before it was ready', async () => {
    const registry = new StreamRegistry();
    const waiting = registry.waitReady(KEY, { timeoutMs: 1000 });
    registry.create(KEY).close('pull failed');
    const retry = registry.create(KEY);
    makeReady(retry);
    await expect(waiting).resolves.toBe(retry);
    expectNothingLeft(registry);
  });

  test('many waiters on one key resolve together without adding event listeners', async () => {
    const registry = new StreamRegistry();
    const waiting = Array.from({ length: 50 }, () => registry.waitReady(KEY, { timeoutMs: 1000 }));
    expect(registry.waiterCount).toBe(50);
    expect(registry.listenerCount('registered')).toBe(0);
    const source = registry.create(KEY);
    makeReady(source);
    for (const result of await Promise.all(waiting)) expect(result).toBe(source);
    expectNothingLeft(registry);
  });

  test('rejects with TIMEOUT', async () => {
    const registry = new StreamRegistry();
    const controller = new AbortController();
    registry.create(KEY);
    const assertion = expect(registry.waitReady(KEY, { timeoutMs: 1000, signal: controller.signal })).rejects.toThrow(
      expect.objectContaining({ code: 'TIMEOUT' }),
    );
    vi.advanceTimersByTime(999);
    expect(registry.waiterCount).toBe(1);
    vi.advanceTimersByTime(1);
    await assertion;
    expectNothingLeft(registry, controller.signal);
  });

  test('rejects with ABORTED, keeping the reason as cause', async () => {
    const registry = new StreamRegistry();
    const controller = new AbortController();
    const assertion = expect(registry.waitReady(KEY, { timeoutMs: 1000, signal: controller.signal })).rejects.toThrow(
      expect.objectContaining({ code: 'ABORTED', cause: 'client went away' }),
    );
    controller.abort('client went away');
    await assertion;
    expectNothingLeft(registry, controller.signal);
  });

  test('rejects with ABORTED at once for an aborted signal, even if the source is ready', async () => {
    const registry = new StreamRegistry();
    makeReady(registry.create(KEY));
    const signal = AbortSignal.abort();
    await expect(registry.waitReady(KEY, { timeoutMs: 1000, signal })).rejects.toThrow(
      expect.objectContaining({ code: 'ABORTED' }),
    );
    expectNothingLeft(registry, signal);
  });

  const badTimeouts = [-1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31];
  test.each(badTimeouts)('rejects timeoutMs %s with INVALID_ARGUMENT', async (timeoutMs) => {
    const registry = new StreamRegistry();
    await expect(registry.waitReady(KEY, { timeoutMs })).rejects.toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expectNothingLeft(registry);
  });
});
