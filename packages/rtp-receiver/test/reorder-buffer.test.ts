import { describe, expect, test } from 'vitest';
import { ReorderBuffer, type RtpPacket } from '../src/index.js';

const pkt = (seq: number): RtpPacket => ({
  version: 2, padding: false, marker: false, payloadType: 96, sequenceNumber: seq & 0xffff,
  timestamp: 0, ssrc: 1, csrcs: [], payload: new Uint8Array(0),
});

/** Each step: [sequence number, arrival ms] or ['drain', ms]; returns the sequence numbers delivered by each step. */
function play(buf: ReorderBuffer, steps: Array<[number | 'drain', number]>): number[][] {
  return steps.map(([s, t]) => (s === 'drain' ? buf.drain(t) : buf.push(pkt(s), t)).map((p) => p.sequenceNumber));
}

interface ReorderCase {
  name: string;
  options?: { maxDelayMs?: number; maxPackets?: number };
  steps: Array<[number | 'drain', number]>;
  delivered: number[][];
  stats: Partial<ReturnType<() => ReorderBuffer['stats']>>;
}

const cases: ReorderCase[] = [
  {
    name: 'in order',
    steps: [[1, 0], [2, 1], [3, 2]],
    delivered: [[1], [2], [3]],
    stats: { received: 3, delivered: 3, lost: 0, reordered: 0 },
  },
  {
    name: 'swapped pairs',
    steps: [[1, 0], [3, 1], [2, 2], [5, 3], [4, 4]],
    delivered: [[1], [], [2, 3], [], [4, 5]],
    stats: { delivered: 5, lost: 0, reordered: 2 },
  },
  {
    name: 'wrap 65535 → 0 with a swap across it',
    steps: [[65534, 0], [0, 1], [65535, 2], [1, 3]],
    delivered: [[65534], [], [65535, 0], [1]],
    stats: { delivered: 4, lost: 0, reordered: 1 },
  },
  {
    name: 'loss given up after maxDelayMs on push',
    options: { maxDelayMs: 50 },
    steps: [[1, 0], [3, 10], [4, 20], [5, 60]],
    delivered: [[1], [], [], [3, 4, 5]],
    stats: { delivered: 4, lost: 1 },
  },
  {
    name: 'loss given up by drain',
    options: { maxDelayMs: 50 },
    steps: [[1, 0], [4, 10], ['drain', 59], ['drain', 60]],
    delivered: [[1], [], [], [4]],
    stats: { delivered: 2, lost: 2 },
  },
  {
    name: 'two gaps given up one after the other by age of the oldest held packet',
    options: { maxDelayMs: 50 },
    steps: [[1, 0], [3, 10], [6, 40], ['drain', 60], ['drain', 89], ['drain', 90]],
    delivered: [[1], [], [], [3], [], [6]],
    stats: { delivered: 3, lost: 3 },
  },
  {
    name: 'buffer full gives the gap up at once',
    options: { maxDelayMs: 1000, maxPackets: 2 },
    steps: [[1, 0], [3, 1], [4, 2], [5, 3]],
    delivered: [[1], [], [], [3, 4, 5]],
    stats: { lost: 1 },
  },
  {
    name: 'duplicates: delivered and held',
    steps: [[1, 0], [1, 1], [3, 2], [3, 3], [2, 4]],
    delivered: [[1], [], [], [], [2, 3]],
    stats: { delivered: 3, duplicates: 2 },
  },
  {
    name: 'late packet after its gap was given up',
    options: { maxDelayMs: 50 },
    steps: [[1, 0], [3, 10], [4, 70], [2, 80]],
    delivered: [[1], [], [3, 4], []],
    stats: { delivered: 3, lost: 1, late: 1 },
  },
  {
    name: 'maxDelayMs 0 (TCP): gaps are skipped immediately',
    options: { maxDelayMs: 0 },
    steps: [[1, 0], [3, 0], [2, 0], [7, 0]],
    delivered: [[1], [3], [], [7]],
    stats: { lost: 4, late: 1 },
  },
  {
    name: 'sender restart: a big jump followed by its successor starts over',
    steps: [[100, 0], [101, 1], [40000, 2], [40001, 3], [40002, 4]],
    delivered: [[100], [101], [], [40000, 40001], [40002]],
    stats: { restarts: 1, lost: 0, late: 0 },
  },
  {
    name: 'a stray far packet is dropped when the stream goes on',
    steps: [[100, 0], [20000, 1], [101, 2], [102, 3]],
    delivered: [[100], [], [101], [102]],
    stats: { restarts: 0, late: 1, delivered: 3 },
  },
  {
    name: 'sender restart backwards',
    steps: [[5000, 0], [5001, 1], [10, 2], [11, 3]],
    delivered: [[5000], [5001], [], [10, 11]],
    stats: { restarts: 1 },
  },
];

describe('ReorderBuffer', () => {
  test.each(cases)('$name', ({ options, steps, delivered, stats }) => {
    const buf = new ReorderBuffer(options);
    expect(play(buf, steps)).toEqual(delivered);
    expect(buf.stats).toMatchObject(stats);
  });

  test('long random reordering within the window loses nothing and delivers in order', () => {
    const buf = new ReorderBuffer({ maxDelayMs: 1000, maxPackets: 64 });
    const seqs = Array.from({ length: 5000 }, (_, i) => (60000 + i) % 65536);
    // Deterministic local shuffles of 8-packet windows (after the first packet, which sets the start).
    for (let i = 1; i + 8 <= seqs.length; i += 8) seqs.splice(i, 8, ...seqs.slice(i, i + 8).reverse());
    const out: number[] = [];
    seqs.forEach((s, i) => out.push(...buf.push(pkt(s), i).map((p) => p.sequenceNumber)));
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => (60000 + i) % 65536));
    expect(buf.stats).toMatchObject({ lost: 0, delivered: 5000, duplicates: 0, late: 0 });
    expect(buf.size).toBe(0);
  });

  test('held packets never exceed maxPackets', () => {
    const buf = new ReorderBuffer({ maxDelayMs: 1e9, maxPackets: 16 });
    buf.push(pkt(0), 0);
    let max = 0;
    for (let i = 2; i < 2000; i += 2) {
      buf.push(pkt(i), i);
      max = Math.max(max, buf.size);
    }
    expect(max).toBeLessThanOrEqual(16);
  });

  test('deadlineMs and reset', () => {
    const buf = new ReorderBuffer({ maxDelayMs: 40 });
    buf.push(pkt(1), 0);
    expect(buf.deadlineMs).toBeUndefined();
    buf.push(pkt(3), 5);
    expect(buf.deadlineMs).toBe(45);
    buf.reset();
    expect(buf.size).toBe(0);
    expect(buf.push(pkt(900), 6).map((p) => p.sequenceNumber)).toEqual([900]);
  });

  test('rejects bad options', () => {
    expect(() => new ReorderBuffer({ maxDelayMs: -1 })).toThrow(/^BAD_OPTION/);
    expect(() => new ReorderBuffer({ maxPackets: 1e6 })).toThrow(/^BAD_OPTION/);
  });
});
