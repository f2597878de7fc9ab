import { describe, expect, test, vi } from 'vitest';
import { CoreError, Fanout, type FanoutOptions, type FanoutSubscriber } from '../src/index.js';

interface Item {
  readonly seq: number;
  readonly sync: boolean;
  readonly size: number;
}

function fanoutOf(overrides: Partial<FanoutOptions<Item>> = {}): Fanout<Item> {
  return new Fanout<Item>({
    isSyncPoint: (item) => item.sync,
    sizeOf: (item) => item.size,
    maxPendingBytes: 1000,
    gopCacheMaxBytes: 1_000_000,
    gopCacheMaxItems: 1000,
    ...overrides,
  });
}

/** 'K' is a sync point, 'P' is not; sequence numbers continue from `firstSeq`. */
function items(pattern: string, firstSeq = 0, size = 10): Item[] {
  return Array.from(pattern, (letter, i) => ({ seq: firstSeq + i, sync: letter === 'K', size }));
}

/** A subscriber that records what it gets and reports `pending` as its unflushed bytes. */
class Recorder implements FanoutSubscriber<Item> {
  readonly received: Item[] = [];
  pending = 0;
  constructor(private readonly onDeliver?: (item: Item) => void) {}
  deliver(item: Item): void {
    this.received.push(item);
    this.onDeliver?.(item);
  }
  pendingBytes(): number {
    return this.pending;
  }
  get seqs(): number[] {
    return this.received.map((item) => item.seq);
  }
}

function pushAll(fanout: Fanout<Item>, list: Item[]): void {
  for (const item of list) fanout.push(item);
}

describe('Fanout delivery', () => {
  test('every subscriber receives the very same objects, in order', () => {
    const fanout = fanoutOf();
    const recorders = Array.from({ length: 5 }, () => new Recorder());
    for (const recorder of recorders) fanout.subscribe(recorder);
    const pushed = items('KPPKP');
    pushAll(fanout, pushed);
    for (const recorder of recorders) {
      expect(recorder.received).toHaveLength(pushed.length);
      recorder.received.forEach((item, i) => expect(item).toBe(pushed[i]));
    }
    expect(fanout.subscriberCount).toBe(5);
    expect(fanout.droppedTotal).toBe(0);
  });

  const joins: { name: string; before: string; replayCache?: boolean; after: string; expected: number[] }[] = [
    { name: 'nothing cached: waits for the first sync point', before: '', after: 'PPKP', expected: [2, 3] },
    { name: 'no sync point yet: nothing replayed', before: 'PP', after: 'PKP', expected: [3, 4] },
    { name: 'replays the group, then live', before: 'KPP', after: 'PK', expected: [0, 1, 2, 3, 4] },
    { name: 'replays from the latest sync point only', before: 'PPKPKP', after: 'P', expected: [4, 5, 6] },
    { name: 'join right after a sync point', before: 'KPPK', after: 'P', expected: [3, 4] },
    { name: 'replayCache false: waits for the next sync point', before: 'KPP', replayCache: false, after: 'PKP', expected: [4, 5] },
  ];
  test.each(joins)('late subscriber: $name', ({ before, replayCache, after, expected }) => {
    const fanout = fanoutOf();
    const early = new Recorder();
    fanout.subscribe(early);
    pushAll(fanout, items(before));
    const late = new Recorder();
    fanout.subscribe(late, replayCache === undefined ? undefined : { replayCache });
    pushAll(fanout, items(after, before.length));
    expect(late.seqs).toEqual(expected);
    expect(fanout.droppedTotal).toBe(0);
  });

  test('the replay happens inside subscribe, before it returns', () => {
    const fanout = fanoutOf();
    pushAll(fanout, items('KPP'));
    const late = new Recorder();
    fanout.subscribe(late);
    expect(late.seqs).toEqual([0, 1, 2]);
  });

  test('push never waits for a subscriber, however far behind it is', () => {
    const fanout = fanoutOf();
    const stuck = new Recorder();
    stuck.pending = Number.POSITIVE_INFINITY;
    const fast = new Recorder();
    fanout.subscribe(stuck);
    fanout.subscribe(fast);
    const pushed = items('KPPPPPPPPP'.repeat(100));
    for (const item of pushed) expect(fanout.push(item)).toBeUndefined();
    expect(fast.received).toHaveLength(1000);
    expect(stuck.received).toHaveLength(0);
  });
});

describe('Fanout back-pressure', () => {
  // Each step pushes one item after setting the slow subscriber's pending bytes.
  // `got` marks what the slow subscriber receives: '+' delivered, '-' dropped (counted), '.' skipped uncounted.
  const scenarios: { name: string; pattern: string; pending: number[]; got: string }[] = [
    {
      name: 'drops until the next sync point once it is drained',
      pattern: 'KPPPPKPP',
      pending: [0, 0, 5000, 0, 0, 0, 0, 0],
      got: '++---+++',
    },
    {
      name: 'a sync point while still behind does not resume it',
      pattern: 'KPPKPPKP',
      pending: [0, 5000, 5000, 5000, 0, 0, 0, 0],
      got: '+-----++',
    },
    {
      name: 'exactly at the bound is not over it',
      pattern: 'KPPK',
      pending: [1000, 1000, 1001, 1000],
      got: '++-+',
    },
    {
      name: 'behind at its first sync point: drops from there',
      pattern: 'PKPK',
      pending: [5000, 5000, 0, 0],
      got: '.--+',
    },
  ];
  test.each(scenarios)('$name', ({ pattern, pending, got }) => {
    const fanout = fanoutOf({ maxPendingBytes: 1000 });
    const slow = new Recorder();
    const fast = new Recorder();
    const slowSubscription = fanout.subscribe(slow);
    fanout.subscribe(fast);
    const pushed = items(pattern);
    pushed.forEach((item, i) => {
      slow.pending = pending[i];
      fanout.push(item);
    });
    const expectedSeqs = pushed.filter((_, i) => got[i] === '+').map((item) => item.seq);
    const expectedDrops = Array.from(got).filter((mark) => mark === '-').length;
    expect(slow.seqs).toEqual(expectedSeqs);
    expect(slowSubscription.dropped).toBe(expectedDrops);
    expect(fanout.droppedTotal).toBe(expectedDrops);
    // The fast one gets everything from its first sync point on.
    expect(fast.seqs).toEqual(pushed.slice(pushed.findIndex((item) => item.sync)).map((item) => item.seq));
  });

  test('the replay is bounded by the cache, not by maxPendingBytes', () => {
    const fanout = fanoutOf({ maxPendingBytes: 15 });
    pushAll(fanout, items('KPPP'));
    // Pending grows with every delivered item, as a socket's writableLength would.
    const late = new Recorder((item) => (late.pending += item.size));
    fanout.subscribe(late);
    expect(late.seqs).toEqual([0, 1, 2, 3]);
    fanout.push(items('P', 4)[0]);
    expect(late.seqs).toEqual([0, 1, 2, 3]);
    expect(fanout.droppedTotal).toBe(1);
  });

  test('100k pushes with a permanently slow subscriber: nothing grows but the counters', () => {
    const maxItems = 50;
    const fanout = fanoutOf({ gopCacheMaxItems: maxItems });
    const slow = new Recorder();
    let fastCount = 0;
    fanout.subscribe({ deliver: () => void fastCount++, pendingBytes: () => 0 });
    const slowSubscription = fanout.subscribe(slow);
    fanout.push({ seq: 0, sync: true, size: 10 });
    slow.pending = Number.MAX_SAFE_INTEGER;
    const total = 100_000;
    let maxCached = 0;
    for (let seq = 1; seq < total; seq++) {
      fanout.push({ seq, sync: seq % 30 === 0, size: 10 });
      maxCached = Math.max(maxCached, fanout.cachedItems);
      // Churn: subscribers that come and go must not leave entries behind.
      if (seq % 1000 === 0) fanout.subscribe(new Recorder(), { replayCache: false }).release();
    }
    expect(fastCount).toBe(total);
    expect(slow.seqs).toEqual([0]);
    expect(slowSubscription.dropped).toBe(total - 1);
    expect(fanout.droppedTotal).toBe(total - 1);
    expect(maxCached).toBeLessThanOrEqual(30);
    expect(fanout.cachedBytes).toBe(fanout.cachedItems * 10);
    expect(fanout.subscriberCount).toBe(2);
  });
});

describe('Fanout cache bounds', () => {
  const bounds: { name: string; maxItems: number; maxBytes: number; pattern: string; size: number; items: number; overflows: number }[] = [
    { name: 'within bounds', maxItems: 10, maxBytes: 1000, pattern: 'KPPP', size: 10, items: 4, overflows: 0 },
    { name: 'item bound', maxItems: 3, maxBytes: 1000, pattern: 'KPPPPP', size: 10, items: 3, overflows: 1 },
    { name: 'byte bound', maxItems: 100, maxBytes: 25, pattern: 'KPPPPP', size: 10, items: 2, overflows: 1 },
    { name: 'each group is bounded on its own', maxItems: 2, maxBytes: 1000, pattern: 'KPPPKPPP', size: 10, items: 2, overflows: 2 },
    { name: 'a sync point restarts the cache', maxItems: 3, maxBytes: 1000, pattern: 'KPPPPK', size: 10, items: 1, overflows: 1 },
    { name: 'a sync point bigger than the bound caches nothing', maxItems: 10, maxBytes: 5, pattern: 'KPP', size: 10, items: 0, overflows: 1 },
    { name: 'nothing before the first sync point', maxItems: 10, maxBytes: 1000, pattern: 'PPP', size: 10, items: 0, overflows: 0 },
  ];
  test.each(bounds)('$name', ({ maxItems, maxBytes, pattern, size, items: cached, overflows }) => {
    const fanout = fanoutOf({ gopCacheMaxItems: maxItems, gopCacheMaxBytes: maxBytes });
    pushAll(fanout, items(pattern, 0, size));
    expect(fanout.cachedItems).toBe(cached);
    expect(fanout.cachedBytes).toBe(cached * size);
    expect(fanout.cacheOverflows).toBe(overflows);
  });

  test('a subscriber joining a cut-short group gets its prefix, then waits for the next sync point (no gap)', () => {
    const fanout = fanoutOf({ gopCacheMaxItems: 2 });
    pushAll(fanout, items('KPPP'));
    const late = new Recorder();
    fanout.subscribe(late);
    pushAll(fanout, items('PKP', 4));
    expect(late.seqs).toEqual([0, 1, 5, 6]);
    expect(fanout.droppedTotal).toBe(0);
  });

  test('clearCache: no replay until the next sync point', () => {
    const fanout = fanoutOf();
    pushAll(fanout, items('KPP'));
    fanout.clearCache();
    expect(fanout.cachedItems).toBe(0);
    expect(fanout.cachedBytes).toBe(0);
    pushAll(fanout, items('P', 3));
    expect(fanout.cachedItems).toBe(0);
    const late = new Recorder();
    fanout.subscribe(late);
    pushAll(fanout, items('PKP', 4));
    expect(late.seqs).toEqual([5, 6]);
  });
});

describe('Fanout subscriber failures and release', () => {
  test('a subscriber that throws is released and counted; the others continue', () => {
    const onSubscriberError = vi.fn();
    const fanout = fanoutOf({ onSubscriberError });
    const before = new Recorder();
    const failing = new Recorder((item) => {
      if (item.seq === 1) throw new Error('socket gone');
    });
    const after = new Recorder();
    fanout.subscribe(before);
    const failingSubscription = fanout.subscribe(failing);
    fanout.subscribe(after);
    pushAll(fanout, items('KPPP'));
    expect(before.seqs).toEqual([0, 1, 2, 3]);
    expect(after.seqs).toEqual([0, 1, 2, 3]);
    expect(failing.seqs).toEqual([0, 1]);
    expect(fanout.subscriberCount).toBe(2);
    expect(fanout.failedSubscribers).toBe(1);
    expect(onSubscriberError).toHaveBeenCalledTimes(1);
    expect(onSubscriberError).toHaveBeenCalledWith(new Error('socket gone'), failing);
    failingSubscription.release(); // already released: a no-op
    expect(fanout.subscriberCount).toBe(2);
  });

  test('a subscriber whose pendingBytes throws is released too', () => {
    const fanout = fanoutOf();
    const other = new Recorder();
    fanout.subscribe({
      deliver: () => {},
      pendingBytes: () => {
        throw new Error('destroyed');
      },
    });
    fanout.subscribe(other);
    pushAll(fanout, items('KP'));
    expect(other.seqs).toEqual([0, 1]);
    expect(fanout.subscriberCount).toBe(1);
    expect(fanout.failedSubscribers).toBe(1);
  });

  test('a subscriber that throws during its replay is released', () => {
    const fanout = fanoutOf();
    pushAll(fanout, items('KPP'));
    const failing = new Recorder((item) => {
      if (item.seq === 1) throw new Error('boom');
    });
    fanout.subscribe(failing);
    pushAll(fanout, items('P', 3));
    expect(failing.seqs).toEqual([0, 1]);
    expect(fanout.subscriberCount).toBe(0);
    expect(fanout.failedSubscribers).toBe(1);
  });

  test('an onSubscriberError hook that throws does not stop delivery', () => {
    const fanout = fanoutOf({
      onSubscriberError: () => {
        throw new Error('hook bug');
      },
    });
    const other = new Recorder();
    fanout.subscribe(new Recorder(() => { throw new Error('boom'); }));
    fanout.subscribe(other);
    pushAll(fanout, items('KP'));
    expect(other.seqs).toEqual([0, 1]);
  });

  test('a subscriber may release itself from inside deliver', () => {
    const fanout = fanoutOf();
    const first = new Recorder();
    const selfReleasing = new Recorder((item) => {
      if (item.seq === 1) subscription.release();
    });
    const last = new Recorder();
    fanout.subscribe(first);
    const subscription = fanout.subscribe(selfReleasing);
    fanout.subscribe(last);
    pushAll(fanout, items('KPP'));
    expect(selfReleasing.seqs).toEqual([0, 1]);
    expect(first.seqs).toEqual([0, 1, 2]);
    expect(last.seqs).toEqual([0, 1, 2]);
    expect(fanout.subscriberCount).toBe(2);
  });

  test('releasing another subscriber from inside deliver stops it before the current item', () => {
    const fanout = fanoutOf();
    const releaser = new Recorder((item) => {
      if (item.seq === 1) victimSubscription.release();
    });
    const victim = new Recorder();
    fanout.subscribe(releaser);
    const victimSubscription = fanout.subscribe(victim);
    pushAll(fanout, items('KPP'));
    expect(victim.seqs).toEqual([0]);
    expect(releaser.seqs).toEqual([0, 1, 2]);
    expect(fanout.subscriberCount).toBe(1);
  });

  test('subscribing from inside deliver replays the current item once', () => {
    const fanout = fanoutOf();
    const joiner = new Recorder();
    fanout.subscribe(
      new Recorder((item) => {
        if (item.seq === 1) fanout.subscribe(joiner);
      }),
    );
    pushAll(fanout, items('KPP'));
    expect(joiner.seqs).toEqual([0, 1, 2]);
  });

  test('release is idempotent and `using` releases', () => {
    const fanout = fanoutOf();
    const recorder = new Recorder();
    {
      using subscription = fanout.subscribe(recorder);
      expect(fanout.subscriberCount).toBe(1);
      subscription.release();
      subscription.release();
      expect(fanout.subscriberCount).toBe(0);
    }
    {
      using _scoped = fanout.subscribe(recorder);
      expect(fanout.subscriberCount).toBe(1);
    }
    expect(fanout.subscriberCount).toBe(0);
    pushAll(fanout, items('K'));
    expect(recorder.received).toHaveLength(0);
  });

  const badOptions: { name: string; options: Partial<FanoutOptions<Item>> }[] = [
    { name: 'negative maxPendingBytes', options: { maxPendingBytes: -1 } },
    { name: 'NaN gopCacheMaxBytes', options: { gopCacheMaxBytes: Number.NaN } },
    { name: 'infinite gopCacheMaxItems', options: { gopCacheMaxItems: Number.POSITIVE_INFINITY } },
  ];
  test.each(badOptions)('rejects $name', ({ options }) => {
    expect(() => fanoutOf(options)).toThrow(CoreError);
    expect(() => fanoutOf(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
