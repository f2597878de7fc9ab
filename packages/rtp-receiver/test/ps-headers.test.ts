import { TruncatedError } from '@sluice/codec';
import { describe, expect, test } from 'vitest';
import { RtpError, parsePackHeader, parsePesHeader, parseProgramStreamMap, parseSystemHeader } from '../src/index.js';
import {
  badPackHeaderCases, badPesCases, badPsmCases, badSystemHeaderCases, packHeaderCases, pesCases, psmCases, systemHeaderCases,
} from './cases/ps.js';

/** RtpError or TruncatedError: the two typed errors a parser may throw. */
const typed = (fn: () => unknown) => {
  expect(fn).toThrow();
  try {
    fn();
  } catch (err) {
    expect(err instanceof RtpError || err instanceof TruncatedError, String(err)).toBe(true);
  }
};

describe('pack header (ISO/IEC 13818-1 2.5.3.3, 11172-1 2.4.3.2)', () => {
  test.each(packHeaderCases)('$name', ({ bytes, decoded }) => expect(parsePackHeader(bytes)).toEqual(decoded));
  test.each(badPackHeaderCases)('rejects $name', ({ bytes }) => typed(() => parsePackHeader(bytes)));
  test("neither MPEG-2 nor MPEG-1 is a BAD_PS", () => {
    expect(() => parsePackHeader(badPackHeaderCases[0]!.bytes)).toThrow(/^BAD_PS/);
  });
});

describe('system header (2.5.3.5)', () => {
  test.each(systemHeaderCases)('$name', ({ bytes, decoded }) => expect(parseSystemHeader(bytes)).toEqual(decoded));
  test.each(badSystemHeaderCases)('rejects $name', ({ bytes }) => typed(() => parseSystemHeader(bytes)));
});

describe('program stream map (2.5.4.1)', () => {
  test.each(psmCases)('$name', ({ bytes, decoded }) => expect(parseProgramStreamMap(bytes)).toEqual(decoded));
  test.each(badPsmCases)('rejects $name', ({ bytes }) => typed(() => parseProgramStreamMap(bytes)));
  test('a map over 0x3FA bytes is BAD_PS', () => {
    expect(() => parseProgramStreamMap(badPsmCases[0]!.bytes)).toThrow(/^BAD_PS: program_stream_map_length/);
  });
});

describe('PES header (2.4.3.6, 11172-1 2.4.3.3)', () => {
  test.each(pesCases)('$name', ({ bytes, decoded }) => expect(parsePesHeader(bytes)).toEqual(decoded));
  test.each(badPesCases)('rejects $name', ({ bytes }) => typed(() => parsePesHeader(bytes)));
  test('PTS_DTS_flags 01 is BAD_PES', () => {
    expect(() => parsePesHeader(badPesCases[0]!.bytes)).toThrow(/^BAD_PES: PTS_DTS_flags/);
  });
  test('every truncation of a valid header throws TruncatedError or parses', () => {
    for (const { bytes } of pesCases) {
      for (let n = 0; n < bytes.byteLength; n++) {
        try {
          parsePesHeader(bytes.subarray(0, n));
        } catch (err) {
          expect(err instanceof TruncatedError || err instanceof RtpError).toBe(true);
        }
      }
    }
  });
});
