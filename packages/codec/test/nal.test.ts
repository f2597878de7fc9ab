import { describe, expect, test } from 'vitest';
import {
  TruncatedError,
  addEmulationPrevention,
  removeEmulationPrevention,
  splitAnnexB,
  splitLengthPrefixed,
  toLengthPrefixed,
} from '../src/index.js';
import { annexBCases, emulationCases, lengthPrefixedCases } from './cases/nal.js';
import { codecError, hex, rng, toHex } from './helpers.js';

describe('splitAnnexB', () => {
  test.each(annexBCases)('$name', ({ bytes, decoded }) => {
    expect(splitAnnexB(bytes).map(toHex)).toEqual(decoded);
  });

  test('returns views into the input, not copies', () => {
    const bytes = hex('00 00 00 01 67 42 00 00 01 68 ce');
    const [sps, pps] = splitAnnexB(bytes);
    expect(sps!.buffer).toBe(bytes.buffer);
    expect(sps!.byteOffset).toBe(4);
    expect(pps!.byteOffset).toBe(9);
  });

  test('data that does not start with a start code throws NO_START_CODE', () => {
    expect(() => splitAnnexB(hex('67 42 c0 1e'))).toThrow(codecError('NO_START_CODE'));
    expect(() => splitAnnexB(hex('00 00 00 08 67 42 c0 1e 00 00 01 68'))).toThrow(codecError('NO_START_CODE'));
  });
});

describe('splitLengthPrefixed / toLengthPrefixed', () => {
  test.each(lengthPrefixedCases)('$name', ({ bytes, lengthSize, decoded }) => {
    expect(splitLengthPrefixed(bytes, lengthSize).map(toHex)).toEqual(decoded);
  });

  test('toLengthPrefixed writes 4-byte lengths and round-trips', () => {
    const nals = [hex('6742c01e'), hex('68ce38'), hex('65')];
    const joined = toLengthPrefixed(nals);
    expect(toHex(joined)).toBe('000000046742c01e0000000368ce380000000165');
    expect(splitLengthPrefixed(joined).map(toHex)).toEqual(nals.map(toHex));
    expect(toLengthPrefixed([]).byteLength).toBe(0);
  });

  test('a length past the end throws TruncatedError', () => {
    expect(() => splitLengthPrefixed(hex('00000005 6742'))).toThrow(TruncatedError);
    expect(() => splitLengthPrefixed(hex('0002 6742 00'), 2)).toThrow(TruncatedError);
    expect(() => splitLengthPrefixed(hex('ffffffff 00'))).toThrow(TruncatedError);
  });

  test('an unsupported length size throws INVALID_VALUE', () => {
    expect(() => splitLengthPrefixed(hex('000002'), 3 as 4)).toThrow(codecError('INVALID_VALUE'));
  });
});

describe('emulation prevention', () => {
  test.each(emulationCases)('remove: $name', ({ bytes, decoded }) => {
    expect(toHex(removeEmulationPrevention(bytes))).toBe(toHex(decoded));
  });

  test.each(emulationCases)('add is the inverse: $name', ({ bytes, decoded }) => {
    expect(toHex(addEmulationPrevention(decoded))).toBe(toHex(bytes));
  });

  test('returns the input itself when there is nothing to remove', () => {
    const nal = hex('67 42 c0 1e');
    expect(removeEmulationPrevention(nal)).toBe(nal);
  });

  test('remove(add(x)) === x and add(x) never holds 00 00 0[0-2] (seeded)', () => {
    const next = rng(1);
    for (let n = 0; n < 500; n++) {
      // Zero-heavy bytes so that the interesting patterns occur often.
      const rbsp = Uint8Array.from({ length: Math.floor(next() * 40) }, () => (next() < 0.5 ? 0 : Math.floor(next() * 5)));
      const nal = addEmulationPrevention(rbsp);
      expect(toHex(removeEmulationPrevention(nal))).toBe(toHex(rbsp));
      expect(toHex(nal)).not.toMatch(/^(..)*0000(00|01|02)/);
    }
  });
});
