import { describe, expect, it } from 'vitest';
import { TimestampUnwrapper, splitAggregate } from '../src/index.js';
import { hex } from './helpers/bytes.js';

describe('splitAggregate', () => {
  // Specification: RTMP 1.0, section 7.1.6.
  it('splits sub-messages and renormalizes their timestamps to the aggregate', () => {
    const payload = hex(
      '09 000003 0003e8 00 000001 170100 0000000e' + // video, ts 1000, back pointer 11 + 3
        '08 000002 0003fc 00 000001 af01 0000000d' + // audio, ts 1020
        '09 000001 000410 01 000001 27', // video, ts 0x01000410 (extension byte), no last back pointer
    );
    const parts = splitAggregate({ csid: 6, type: 22, streamId: 1, timestamp: 5000, payload });
    expect(parts).toEqual([
      { csid: 6, type: 9, streamId: 1, timestamp: 5000, payload: hex('170100') },
      { csid: 6, type: 8, streamId: 1, timestamp: 5020, payload: hex('af01') },
      { csid: 6, type: 9, streamId: 1, timestamp: 5000 + 0x01000410 - 1000, payload: hex('27') },
    ]);
  });

  it('rejects a sub-message longer than the aggregate', () => {
    expect(() => splitAggregate({ csid: 6, type: 22, streamId: 1, timestamp: 0, payload: hex('09 000010 000000 00 000001 17') })).toThrow(
      /aggregate message: truncated/,
    );
  });
});

describe('TimestampUnwrapper', () => {
  it('continues past 2^32 and back for a late message', () => {
    const u = new TimestampUnwrapper();
    expect([0xfffffff0, 0xfffffffa, 0x10, 0xfffffffe, 0x40].map((t) => u.unwrap(t))).toEqual([
      0xfffffff0, 0xfffffffa, 0x1_0000_0010, 0xfffffffe, 0x1_0000_0040,
    ]);
  });

  it('passes ordinary timestamps through', () => {
    const u = new TimestampUnwrapper();
    expect([0, 40, 80, 40, 1_000_000].map((t) => u.unwrap(t))).toEqual([0, 40, 80, 40, 1_000_000]);
  });
});
