import { describe, expect, test } from 'vitest';
import { SequenceUnwrapper, TimestampUnwrapper, wrapDelta } from '../src/index.js';

const run = (u: { unwrap(v: number): number }, values: number[]) => values.map((v) => u.unwrap(v));

describe('SequenceUnwrapper (RFC 3550 A.1)', () => {
  test.each([
    { name: 'in order', input: [10, 11, 12], decoded: [10, 11, 12] },
    { name: 'wrap 65535 → 0', input: [65534, 65535, 0, 1], decoded: [65534, 65535, 65536, 65537] },
    { name: 'reordered across the wrap', input: [65535, 1, 0, 2], decoded: [65535, 65537, 65536, 65538] },
    { name: 'late packet from before the wrap', input: [65530, 3, 65533, 4], decoded: [65530, 65539, 65533, 65540] },
    { name: 'two wraps', input: [60000, 10000, 40000, 5000, 30000], decoded: [60000, 75536, 105536, 136072, 161072] },
    { name: 'a packet older than the first maps below zero', input: [2, 65535], decoded: [2, -1] },
    { name: 'duplicate keeps the number', input: [7, 8, 8, 9], decoded: [7, 8, 8, 9] },
  ])('$name', ({ input, decoded }) => {
    expect(run(new SequenceUnwrapper(), input)).toEqual(decoded);
  });

  test('highest and reset', () => {
    const u = new SequenceUnwrapper();
    expect(u.highest).toBeUndefined();
    run(u, [65535, 0, 65534]);
    expect(u.highest).toBe(65536);
    u.reset();
    expect(u.unwrap(100)).toBe(100);
  });
});

describe('TimestampUnwrapper', () => {
  const T = 2 ** 32;
  test.each([
    { name: 'forward wrap', input: [T - 3000, T - 1, 0, 3000], decoded: [T - 3000, T - 1, T, T + 3000] },
    { name: 'backward step right after the wrap (B-frame / audio)', input: [T - 100, 200, T - 50, 300], decoded: [T - 100, T + 200, T - 50, T + 300] },
    { name: 'steps back before the first value', input: [100, T - 100, 50], decoded: [100, -100, 50] },
    { name: 'follows long runs over several wraps', input: [0, 2 ** 31 - 1, T - 2, 5, 2 ** 31], decoded: [0, 2 ** 31 - 1, T - 2, T + 5, T + 2 ** 31] },
  ])('32-bit $name', ({ input, decoded }) => {
    expect(run(new TimestampUnwrapper(), input)).toEqual(decoded);
  });

  test('33-bit PTS wrap', () => {
    const M = 2 ** 33;
    expect(run(new TimestampUnwrapper(33), [M - 3600, M - 1, 0, 3600, M - 1800])).toEqual([M - 3600, M - 1, M, M + 3600, M - 1800]);
  });

  test('wrapDelta stays in [-m/2, m/2)', () => {
    expect(wrapDelta(65535, 0, 65536)).toBe(1);
    expect(wrapDelta(0, 65535, 65536)).toBe(-1);
    expect(wrapDelta(0, 32768, 65536)).toBe(-32768);
    expect(wrapDelta(0, 32767, 65536)).toBe(32767);
  });
});
