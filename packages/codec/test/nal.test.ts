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

  test('a view at an offset of a larger buffer, and a Node Buffer, split the same', () => {
    const whole = hex('ff ff ff 00 00 00 01 67 42 00 00 01 68 ce ff ff');
    const view = whole.subarray(3, 14);
    const nals = splitAnnexB(view);
    expect(nals.map(toHex)).toEqual(['6742', '68ce']);
    expect(nals[0]!.buffer).toBe(whole.buffer);
    expect(nals[0]!.byteOffset).toBe(7);
    expect(nals[1]!.byteOffset).toBe(12);
    expect(splitAnnexB(Buffer.from(view)).map(toHex)).toEqual(['6742', '68ce']);
  });

  test('agrees with a byte-by-byte reference on zero-heavy random bytes (seeded)', () => {
    // The plain definition: NAL units are what lies between 00 00 01 prefixes, less trailing zeros, empty ones dropped.
    const reference = (d: Uint8Array): string[] | 'NO_START_CODE' => {
      const starts: number[] = [];
      for (let i = 0; i + 2 < d.byteLength; i++) {
        if (d[i] === 0 && d[i + 1] === 0 && d[i + 2] === 1) {
          starts.push(i);
          i += 2;
        }
      }
      const head = starts.length > 0 ? starts[0]! : d.byteLength;
      if (d.subarray(0, head).some((b) => b !== 0)) return 'NO_START_CODE';
      return starts
        .map((s, k) => {
          let end = k + 1 < starts.length ? starts[k + 1]! : d.byteLength;
          while (end > s + 3 && d[end - 1] === 0) end--;
          return toHex(d.subarray(s + 3, end));
        })
        .filter((x) => x !== '');
    };
    const next = rng(3);
    for (let n = 0; n < 2000; n++) {
      const d = Uint8Array.from({ length: Math.floor(next() * 48) }, () => (next() < 0.6 ? 0 : next() < 0.5 ? 1 : Math.floor(next() * 256)));
      const want = reference(d);
      if (want === 'NO_START_CODE') expect(() => splitAnnexB(d)).toThrow(codecError('NO_START_CODE'));
      else expect(splitAnnexB(d).map(toHex)).toEqual(want);
    }
  });

  test('data that does not start with a start code throws NO_START_CODE', () => {
    expect(() => splitAnnexB(hex('67 42 c0 1e'))).toThrow(codecError('NO_START_CODE'));
    expect(() => splitAnnexB(hex('00 00 00 08 67 42 c0 1e 00 00 01 68'))).toThrow(codecError('NO_START_CODE'));
    expect(() => splitAnnexB(hex('00 01'))).toThrow(codecError('NO_START_CODE'));
    expect(() => splitAnnexB(hex('00 00 02 00 00 01 65'))).toThrow(codecError('NO_START_CODE'));
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
