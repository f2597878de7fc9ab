/**
 * Seeded fuzzing of every parser: random bytes, every truncation of valid inputs
 * and random byte mutations of them. A parser may return or throw TruncatedError /
 * CodecError, nothing else (no RangeError, TypeError, hang or out-of-range read).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  CodecError,
  H264NalType,
  H265NalType,
  TruncatedError,
  audioTrackFromAsc,
  buildAvcDecoderConfig,
  buildHevcDecoderConfig,
  h264CodecString,
  h264NalType,
  h265CodecString,
  h265NalType,
  parseAdts,
  parseAudioSpecificConfig,
  parseAvcDecoderConfig,
  parseH264Sps,
  parseH265Sps,
  parseHevcDecoderConfig,
  removeEmulationPrevention,
  splitAnnexB,
  splitLengthPrefixed,
  toLengthPrefixed,
  videoTrackFromAvcC,
  videoTrackFromHvcC,
} from '../src/index.js';
import { ascCases } from './cases/aac.js';
import { h264SpsCases } from './cases/h264.js';
import { h265SpsCases } from './cases/h265.js';
import { FIXTURES, fixture, rng } from './helpers.js';

const files = readdirSync(FIXTURES);
const annexB = files.filter((f) => /\.h26[45]$/.test(f)).map(fixture);
const h264Files = files.filter((f) => f.endsWith('.h264')).map((f) => splitAnnexB(fixture(f)));
const h265Files = files.filter((f) => f.endsWith('.h265')).map((f) => splitAnnexB(fixture(f)));
const of264 = (nals: Uint8Array[], t: number) => nals.filter((n) => h264NalType(n) === t);
const of265 = (nals: Uint8Array[], t: number) => nals.filter((n) => h265NalType(n) === t);

const h264Sps = [...h264Files.map((n) => of264(n, H264NalType.Sps)[0]!), ...h264SpsCases.map((c) => c.bytes)];
const h265Sps = [...h265Files.map((n) => of265(n, H265NalType.SPS)[0]!), ...h265SpsCases.map((c) => c.bytes)];
const avcC = h264Files.map((n) => buildAvcDecoderConfig(of264(n, H264NalType.Sps), of264(n, H264NalType.Pps)));
const hvcC = h265Files.map((n) => buildHevcDecoderConfig(of265(n, H265NalType.VPS), of265(n, H265NalType.SPS), of265(n, H265NalType.PPS)));

interface Target {
  name: string;
  run: (input: Uint8Array) => unknown;
  seeds: Uint8Array[];
  /** Bytes forced at the start of random inputs, to get past the first check. */
  prefix?: number[];
  neverThrows?: boolean;
}

const targets: Target[] = [
  { name: 'splitAnnexB', run: splitAnnexB, seeds: annexB, prefix: [0, 0, 1] },
  { name: 'splitLengthPrefixed', run: (b) => splitLengthPrefixed(b), seeds: h264Files.map(toLengthPrefixed) },
  { name: 'splitLengthPrefixed(2)', run: (b) => splitLengthPrefixed(b, 2), seeds: [Uint8Array.of(0, 2, 0x67, 0x42, 0, 1, 0x68)] },
  { name: 'removeEmulationPrevention', run: removeEmulationPrevention, seeds: h264Sps, neverThrows: true },
  { name: 'parseH264Sps', run: parseH264Sps, seeds: h264Sps, prefix: [0x67] },
  { name: 'h264CodecString', run: (b) => h264CodecString(b), seeds: h264Sps, prefix: [0x67] },
  { name: 'parseAvcDecoderConfig', run: parseAvcDecoderConfig, seeds: avcC, prefix: [1] },
  { name: 'videoTrackFromAvcC', run: (b) => videoTrackFromAvcC(1, b, 90000), seeds: avcC, prefix: [1] },
  { name: 'buildAvcDecoderConfig', run: (b) => buildAvcDecoderConfig([b], [Uint8Array.of(0x68, 0xeb)]), seeds: h264Sps, prefix: [0x67] },
  { name: 'parseH265Sps', run: parseH265Sps, seeds: h265Sps, prefix: [0x42, 0x01] },
  { name: 'h265CodecString', run: (b) => h265CodecString(b), seeds: h265Sps, prefix: [0x42, 0x01] },
  { name: 'parseHevcDecoderConfig', run: parseHevcDecoderConfig, seeds: hvcC, prefix: [1] },
  { name: 'videoTrackFromHvcC', run: (b) => videoTrackFromHvcC(1, b, 90000), seeds: hvcC, prefix: [1] },
  {
    name: 'buildHevcDecoderConfig',
    run: (b) => buildHevcDecoderConfig([Uint8Array.of(0x40, 0x01)], [b], [Uint8Array.of(0x44, 0x01)]),
    seeds: h265Sps,
    prefix: [0x42, 0x01],
  },
  { name: 'parseAudioSpecificConfig', run: parseAudioSpecificConfig, seeds: ascCases.map((c) => c.bytes) },
  { name: 'audioTrackFromAsc', run: (b) => audioTrackFromAsc(1, b), seeds: ascCases.map((c) => c.bytes) },
  { name: 'parseAdts', run: parseAdts, seeds: files.filter((f) => f.endsWith('.adts')).map(fixture), prefix: [0xff, 0xf1] },
];

type Outcome = 'ok' | 'TruncatedError' | 'CodecError' | string;

/** Runs one input; the outcome is 'ok' or the error's class name. */
function outcome(run: (input: Uint8Array) => unknown, input: Uint8Array): Outcome {
  try {
    run(input);
    return 'ok';
  } catch (err) {
    if (err instanceof TruncatedError) return 'TruncatedError';
    if (err instanceof CodecError) return 'CodecError';
    return `unexpected ${String(err)}\n${(err as Error).stack ?? ''}`;
  }
}

function* inputs(target: Target, next: () => number): Generator<Uint8Array> {
  for (let i = 0; i < 400; i++) {
    const bytes = Uint8Array.from({ length: Math.floor(next() * 48) }, () => Math.floor(next() * 256));
    if (target.prefix && i % 2 === 0) bytes.set(target.prefix.slice(0, bytes.byteLength));
    yield bytes;
  }
  for (const seed of target.seeds) {
    // Every truncation of short inputs, about 200 of long ones.
    const step = Math.max(1, Math.floor(seed.byteLength / 200));
    for (let len = 0; len < seed.byteLength; len += step) yield seed.subarray(0, len);
    for (let i = 0; i < 40; i++) {
      const copy = seed.slice();
      const flips = 1 + Math.floor(next() * 3);
      for (let f = 0; f < flips && copy.byteLength > 0; f++) copy[Math.floor(next() * copy.byteLength)] = Math.floor(next() * 256);
      yield copy;
    }
  }
}

describe('fuzz (seeded)', () => {
  test.each(targets.map((t, i) => ({ ...t, seed: 1000 + i })))('$name only throws typed errors', (target) => {
    const counts = new Map<Outcome, number>();
    for (const input of inputs(target, rng(target.seed))) {
      const result = outcome(target.run, input);
      expect(['ok', 'TruncatedError', 'CodecError']).toContain(result);
      counts.set(result, (counts.get(result) ?? 0) + 1);
    }
    // The fuzzer reaches both ends: inputs that parse and inputs that are refused.
    expect(counts.get('ok') ?? 0).toBeGreaterThan(0);
    if (!target.neverThrows) expect((counts.get('TruncatedError') ?? 0) + (counts.get('CodecError') ?? 0)).toBeGreaterThan(0);
  });
});
