import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, type ProxyState } from '../src/proxy/state.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/proxy/backoff.js';
import { Timeline } from '../src/proxy/timeline.js';

describe('proxy state machine', () => {
  const legal: Array<[ProxyState, ProxyState]> = [
    ['idle', 'connecting'],
    ['connecting', 'playing'],
    ['connecting', 'retrying'],
    ['playing', 'retrying'],
    ['retrying', 'connecting'],
    ['retrying', 'failed'],
    ['retrying', 'stopped'],
    ['connecting', 'stopped'],
    ['idle', 'stopped'],
  ];
  it.each(legal)('%s → %s is allowed', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });
  const illegal: Array<[ProxyState, ProxyState]> = [
    ['idle', 'playing'],
    ['stopped', 'connecting'],
    ['idle', 'retrying'],
    ['failed', 'playing'],
  ];
  it.each(illegal)('%s → %s is refused, naming both states', (from, to) => {
    expect(() => assertTransition(from, to)).toThrow(`illegal proxy transition ${from} → ${to}`);
  });
});

describe('backoff', () => {
  const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };
  it.each([
    [1, 2000],
    [2, 4000],
    [3, 8000],
    [5, 32000],
    [6, 60000],
    [50, 60000],
  ])('failure %i waits %i ms (2 s → 60 s)', (failures, ms) => {
    expect(backoffDelay(noJitter, failures)).toBe(ms);
  });
  it('spreads delays within ± jitter', () => {
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 0)).toBe(1600);
    expect(backoffDelay(DEFAULT_BACKOFF, 1, () => 1)).toBe(2400);
  });
});

describe('timeline', () => {
  it('keeps the first session clock and continues after the gap on the next', () => {
    const t = new Timeline();
    t.beginSession();
    expect(t.offsetFor(90000 * 100, 90000)).toBe(0);
    expect(t.offsetFor(90000 * 110, 90000)).toBe(0); // 110 s
    // The upstream restarts its clock at 0: output continues just after 110 s.
    t.beginSession();
    const offset = t.offsetFor(0, 90000);
    expect(offset).toBe(Math.round(110.04 * 90000));
    // Audio in its own timescale uses the same offset in seconds.
    expect(t.offsetFor(44100, 44100)).toBe(Math.round(110.04 * 44100));
  });
});
