import { describe, expect, test } from 'vitest';
import { ByteReader, TruncatedError } from '../src/index.js';
import { hex } from './helpers.js';

describe('ByteReader', () => {
  test('big- and little-endian integers, including values with the top bit set', () => {
    const r = new ByteReader(hex('ff 80 01 ff ff ff ff 80 00 00 00 01 02 03 04 ff ff fe 12 34 56 56 00 00 80'));
    expect(r.u8()).toBe(0xff);
    expect(r.u16()).toBe(0x8001);
    expect(r.u32()).toBe(0xffffffff);
    expect(r.u32()).toBe(0x80000000);
    expect(r.u32le()).toBe(0x04030201);
    expect(r.i24()).toBe(-2);
    expect(r.u24()).toBe(0x123456);
    expect(r.u32le()).toBe(0x80000056);
    expect(r.remaining).toBe(0);
  });

  test('f64 and reads from a view at an offset of a larger buffer', () => {
    const whole = new Uint8Array(16);
    new DataView(whole.buffer).setFloat64(3, 1234.5);
    whole[11] = 0xab;
    whole[12] = 0xcd;
    const r = new ByteReader(whole.subarray(3, 13));
    expect(r.f64()).toBe(1234.5);
    expect(r.u16()).toBe(0xabcd);
  });

  test('a read past the end throws TruncatedError and does not move', () => {
    const r = new ByteReader(hex('01 02 03'));
    expect(() => r.u32()).toThrow(TruncatedError);
    expect(r.pos).toBe(0);
    expect(r.u16()).toBe(0x0102);
    expect(() => r.u16()).toThrow(TruncatedError);
    expect(() => r.u32le()).toThrow(TruncatedError);
    expect(() => r.f64()).toThrow(TruncatedError);
  });
});
