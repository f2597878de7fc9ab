import { describe, expect, test } from 'vitest';
import { findStartCode, scanStartCode, searchableBytes } from '../src/index.js';
import { annexBCases } from './cases/nal.js';
import { FIXTURES, fixture, hex, rng } from './helpers.js';
import { readdirSync } from 'node:fs';

/** Every start code in `data`, searching on from just after each one, with `find`. */
function allStartCodes(data: Uint8Array, find: (d: Uint8Array, from: number) => number): number[] {
  const at: number[] = [];
  for (let i = find(data, 0); i >= 0; i = find(data, i + 3)) at.push(i);
  return at;
}

describe('findStartCode', () => {
  test('finds 00 00 01 at or after `from`', () => {
    const bytes = searchableBytes(hex('00 00 01 65 00 00 00 01 41 00 00'));
    expect(findStartCode(bytes, 0)).toBe(0);
    expect(findStartCode(bytes, 1)).toBe(5);
    expect(findStartCode(bytes, 6)).toBe(-1);
    expect(findStartCode(bytes, 100)).toBe(-1);
    expect(findStartCode(searchableBytes(hex('00 00')), 0)).toBe(-1);
  });

  test('searchableBytes wraps the same memory (no copy) and keeps a Buffer as is', () => {
    const whole = hex('01 02 00 00 01 09');
    const view = whole.subarray(2);
    const wrapped = searchableBytes(view);
    expect(Buffer.isBuffer(wrapped)).toBe(true);
    expect(wrapped.buffer).toBe(whole.buffer);
    expect(wrapped.byteOffset).toBe(2);
    expect(findStartCode(wrapped, 0)).toBe(0);
    const buf = Buffer.from(view);
    expect(searchableBytes(buf)).toBe(buf);
  });

  // The native search (a Buffer) and the JS loop (a plain Uint8Array) must agree everywhere.
  const agree = (data: Uint8Array) => {
    const native = allStartCodes(searchableBytes(data), findStartCode);
    expect(allStartCodes(data, findStartCode)).toEqual(native);
    expect(allStartCodes(data, scanStartCode)).toEqual(native);
  };

  test.each(annexBCases)('native and JS agree: $name', ({ bytes }) => agree(bytes));

  test('native and JS agree on every fixture stream', () => {
    for (const f of readdirSync(FIXTURES).filter((x) => /\.h26[45]$/.test(x))) agree(fixture(f));
  });

  test('native and JS agree on zero-heavy random bytes, from every offset (seeded)', () => {
    const next = rng(7);
    for (let n = 0; n < 300; n++) {
      const data = Uint8Array.from({ length: Math.floor(next() * 64) }, () => (next() < 0.6 ? 0 : next() < 0.5 ? 1 : Math.floor(next() * 256)));
      const native = searchableBytes(data);
      for (let from = 0; from <= data.byteLength + 1; from++) expect(scanStartCode(data, from)).toBe(findStartCode(native, from));
    }
  });
});
