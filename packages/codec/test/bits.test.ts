import { describe, expect, test } from 'vitest';
import { BitReader, BitWriter, TruncatedError } from '../src/index.js';
import { codecError, hex, rng, toHex } from './helpers.js';

/** Exp-Golomb codes (H.264 Table 9-2 and 9-3): value → bit string. */
const expGolombCases: { name: string; bits: string; ue?: number; se?: number }[] = [
  { name: 'codeNum 0', bits: '1', ue: 0, se: 0 },
  { name: 'codeNum 1', bits: '010', ue: 1, se: 1 },
  { name: 'codeNum 2', bits: '011', ue: 2, se: -1 },
  { name: 'codeNum 3', bits: '00100', ue: 3, se: 2 },
  { name: 'codeNum 7', bits: '0001000', ue: 7, se: 4 },
  { name: 'codeNum 8', bits: '0001001', ue: 8, se: -4 },
  { name: 'largest 32-bit code', bits: '0'.repeat(31) + '1'.repeat(32), ue: 2 ** 32 - 2 },
];

function bitsToBytes(bits: string): Uint8Array {
  const padded = bits + '0'.repeat((8 - (bits.length % 8)) % 8);
  return Uint8Array.from(padded.match(/.{8}/g) ?? [], (b) => parseInt(b, 2));
}

describe('BitReader / BitWriter Exp-Golomb', () => {
  test.each(expGolombCases)('$name', ({ bits, ue, se }) => {
    const bytes = bitsToBytes(bits);
    if (ue !== undefined) {
      expect(new BitReader(bytes).ue()).toBe(ue);
      expect(toHex(new BitWriter().ue(ue).toBytes())).toBe(toHex(bytes));
    }
    if (se !== undefined) {
      expect(new BitReader(bytes).se()).toBe(se);
      expect(toHex(new BitWriter().se(se).toBytes())).toBe(toHex(bytes));
    }
  });

  test('a code with 32 leading zeros throws EXP_GOLOMB_OVERFLOW', () => {
    expect(() => new BitReader(hex('00 00 00 00 ff ff ff ff ff')).ue()).toThrow(codecError('EXP_GOLOMB_OVERFLOW'));
  });

  test('a code cut short throws TruncatedError', () => {
    expect(() => new BitReader(hex('00 01')).ue()).toThrow(TruncatedError);
    expect(() => new BitReader(hex('00')).ue()).toThrow(TruncatedError);
  });

  test('fixed-width fields round-trip', () => {
    const w = new BitWriter().bits(3, 5).bits(32, 0xdeadbeef).bit(1).bits(24, 44056).trailingBits();
    const r = new BitReader(w.toBytes());
    expect([r.bits(3), r.bits(32), r.bit(), r.bits(24), r.bit()]).toEqual([5, 0xdeadbeef, 1, 44056, 1]);
    expect(() => new BitWriter().bits(3, 8)).toThrow(RangeError);
  });
});

describe('BitReader.bits', () => {
  test('any width 0..32 at any bit offset reads what the bit string says (seeded)', () => {
    const next = rng(11);
    for (let n = 0; n < 400; n++) {
      const bits = Array.from({ length: 80 }, () => (next() < 0.5 ? '0' : '1')).join('');
      const offset = Math.floor(next() * 40);
      const width = Math.floor(next() * 33);
      const r = new BitReader(bitsToBytes(bits));
      r.skipBits(offset);
      expect(r.bits(width)).toBe(width === 0 ? 0 : parseInt(bits.slice(offset, offset + width), 2));
      expect(r.position).toBe(offset + width);
    }
  });

  test('32 bits of ones stay positive', () => {
    expect(new BitReader(hex('ff ff ff ff')).bits(32)).toBe(0xffffffff);
  });
});
