import { describe, expect, it } from 'vitest';
import { Logger, RateLimitedLog } from '../src/log.js';

describe('logging', () => {
  it('writes one JSON object per line with bound fields', () => {
    const lines: string[] = [];
    const log = new Logger({ write: (l) => lines.push(l), now: () => 0 }).child({ stream: '__defaultVhost__/live/a' });
    log.info('hello', { n: 1 });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'hello',
      stream: '__defaultVhost__/live/a',
      n: 1,
    });
  });

  it('rate-limits repeats and says how many were suppressed', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new Logger({ write: (l) => lines.push(l), now: () => now });
    const limited = new RateLimitedLog(log, 60_000);
    // An offline camera retried every 2 s for 10 minutes.
    for (now = 0; now < 600_000; now += 2000) limited.log('warn', 'retrying');
    expect(lines.length).toBe(10);
    expect(JSON.parse(lines[1]!).suppressed).toBe(29);
  });

  it('has a pretty mode for terminals, and leaves out levels below the configured one', () => {
    const lines: string[] = [];
    const log = new Logger({ format: 'pretty', level: 'warn', write: (l) => lines.push(l), now: () => 0 }).child({ stream: 'v/a/s' });
    log.info('quiet');
    log.warn('upstream lost', { err: new Error('refused'), retryInMs: 2000 });
    expect(lines).toEqual(['1970-01-01T00:00:00.000Z WARN  upstream lost stream=v/a/s err=refused retryInMs=2000']);
  });
});
