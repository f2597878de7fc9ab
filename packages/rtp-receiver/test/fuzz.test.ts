/**
 * Seeded fuzzing: random bytes, every truncation of valid inputs and random
 * mutations of them. A parser may return or throw RtpError / TruncatedError, nothing
 * else; the stream layers (deframer, demuxers) may not throw at all, must not hang,
 * and must keep their buffers bounded.
 */
import { TruncatedError } from '@sluice/codec';
import { describe, expect, test } from 'vitest';
import {
  MAX_ACCESS_UNIT_BYTES, PsDemuxer, RFC4571_MAX_BUFFERED, Rfc4571Deframer, RtpError, RtpPayloadDemuxer, TsDemuxer, frameRfc4571,
  parsePackHeader, parsePat, parsePesHeader, parsePmt, parseProgramStreamMap, parseRtpPacket, parseSystemHeader, parseTsPacket,
} from '../src/index.js';
import { packHeader, pes, programStreamMap, systemHeader } from '../../../test/helpers/ps-rtp.js';
import { adts, g711, h264Key, h264P, h265Key } from './cases/es.js';
import { packHeaderCases, pesCases, psmCases, systemHeaderCases } from './cases/ps.js';
import { rtpCases, badRtpCases } from './cases/rtp-packet.js';
import { concat, randomSplit, rtp, seededRandom } from './helpers.js';
import { patSection, pmtSection, tsHead, tsPes } from './ts-builder.js';

const rand = seededRandom(20240601);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

function mutate(seed: Uint8Array): Uint8Array {
  const b = seed.slice();
  const kind = Math.floor(rand() * 3);
  if (kind === 0 || b.byteLength === 0) {
    for (let k = 1 + Math.floor(rand() * 8); k > 0 && b.byteLength > 0; k--) b[Math.floor(rand() * b.byteLength)] = Math.floor(rand() * 256);
    return b;
  }
  const at = Math.floor(rand() * b.byteLength);
  if (kind === 1) return concat([b.subarray(0, at), randomBytes(1 + Math.floor(rand() * 40)), b.subarray(at)]);
  return concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(rand() * 40))]);
}

/** Inputs for a target: random bytes (with its prefix), every truncation of each seed (stepped for long ones), mutations. */
function* inputs(seeds: Uint8Array[], prefix: number[], n: number): Generator<Uint8Array> {
  for (let i = 0; i < n; i++) yield concat([Uint8Array.from(prefix), randomBytes(Math.floor(rand() * 300))]);
  for (const s of seeds) {
    const step = Math.max(1, Math.floor(s.byteLength / 200));
    for (let len = 0; len <= s.byteLength; len += step) yield s.subarray(0, len);
    for (let i = 0; i < n / 4; i++) yield mutate(s);
  }
}

const typedOnly = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RtpError || err instanceof TruncatedError)) throw err;
  }
};

const ts = (packets: Uint8Array[]) => concat(packets);
const ccs = () => new Map<number, { n: number }>();
const tsProgram = (() => {
  const c = ccs();
  return ts([...tsHead(0x1b, 0x0f, c), ...tsPes(0x100, 0xe0, h264Key(), 0, c), ...tsPes(0x101, 0xc0, adts(), 0, c), ...tsPes(0x100, 0xe0, h264P(), 3600, c)]);
})();
const psProgram = concat([
  packHeader(0), systemHeader(true), programStreamMap(0x1b, 0x0f), pes(0xe0, h264Key(), 0, false), pes(0xc0, adts(), 0, false),
  packHeader(3600), pes(0xe0, h264P(), 3600, true), packHeader(7200), pes(0xe0, h265Key(), 7200, false), pes(0xc0, g711(), 7200, false),
]);

describe('fuzz: parsers throw only typed errors', () => {
  const targets: Array<{ name: string; parse: (b: Uint8Array) => unknown; seeds: Uint8Array[]; prefix: number[] }> = [
    { name: 'parseRtpPacket', parse: parseRtpPacket, seeds: [...rtpCases, ...badRtpCases].map((c) => c.bytes).concat([rtp(1, 300)]), prefix: [0x80] },
    { name: 'parsePesHeader', parse: parsePesHeader, seeds: pesCases.map((c) => c.bytes), prefix: [0, 0, 1, 0xe0] },
    { name: 'parsePackHeader', parse: parsePackHeader, seeds: packHeaderCases.map((c) => c.bytes), prefix: [0, 0, 1, 0xba] },
    { name: 'parseSystemHeader', parse: parseSystemHeader, seeds: systemHeaderCases.map((c) => c.bytes), prefix: [0, 0, 1, 0xbb] },
    { name: 'parseProgramStreamMap', parse: parseProgramStreamMap, seeds: psmCases.map((c) => c.bytes), prefix: [0, 0, 1, 0xbc, 0, 40] },
    { name: 'parseTsPacket', parse: parseTsPacket, seeds: [tsProgram.subarray(0, 188), tsProgram.subarray(188 * 3, 188 * 4)], prefix: [0x47] },
    { name: 'parsePat', parse: parsePat, seeds: [patSection([[0, 0x10], [1, 0x1000]])], prefix: [0x00, 0xb0] },
    { name: 'parsePmt', parse: parsePmt, seeds: [pmtSection(1, 0x100, [[0x1b, 0x100], [0x0f, 0x101, Uint8Array.of(5, 2, 1, 2)]])], prefix: [0x02, 0xb0] },
  ];
  test.each(targets)('$name', ({ parse, seeds, prefix }) => {
    let n = 0;
    for (const input of inputs(seeds, prefix, 2000)) {
      typedOnly(() => parse(input));
      n++;
    }
    expect(n).toBeGreaterThan(2000);
  });
});

describe('fuzz: stream layers never throw and stay bounded', () => {
  test('Rfc4571Deframer', () => {
    const seed = concat([1, 2, 3, 4, 5].map((i) => frameRfc4571(rtp(i, 100 * i))));
    for (const input of inputs([seed], [0, 20, 0x80], 800)) {
      const d = new Rfc4571Deframer();
      for (const chunk of randomSplit(input, rand, 64)) d.push(chunk);
      expect(d.stats.buffered).toBeLessThanOrEqual(RFC4571_MAX_BUFFERED);
    }
  });

  test('PsDemuxer', () => {
    for (const input of inputs([psProgram], [0, 0, 1, 0xba], 800)) {
      const d = new PsDemuxer();
      for (const chunk of randomSplit(input, rand, 1400)) {
        d.push(chunk);
        if (rand() < 0.1) d.endOfAccessUnit();
        if (rand() < 0.02) d.discontinuity();
      }
      d.flush();
      expect(d.stats.bufferedBytes).toBeLessThanOrEqual(MAX_ACCESS_UNIT_BYTES + 2 * 65536);
    }
  });

  test('TsDemuxer', () => {
    for (const input of inputs([tsProgram], [0x47, 0x40, 0x00, 0x10], 800)) {
      const d = new TsDemuxer();
      for (const chunk of randomSplit(input, rand, 1316)) d.push(chunk);
      d.flush();
      expect(d.stats.bufferedBytes).toBeLessThanOrEqual(MAX_ACCESS_UNIT_BYTES + 2 * 65536);
    }
  });

  test('RtpPayloadDemuxer over mutated RTP packets', () => {
    const packets = randomSplit(psProgram, rand, 1400).map((p, i) => concat([rtp(i, 0), p]));
    for (let round = 0; round < 400; round++) {
      const d = new RtpPayloadDemuxer();
      for (const p of packets) {
        const bytes = rand() < 0.2 ? mutate(p) : p;
        try {
          d.push(parseRtpPacket(bytes));
        } catch (err) {
          if (!(err instanceof RtpError)) throw err;
        }
      }
      d.flush();
    }
  });
});
