import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_FORMATS, BufferSource, Input } from 'mediabunny';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  H265NalType,
  TruncatedError,
  buildHevcDecoderConfig,
  h265CodecString,
  h265NalType,
  isH265Keyframe,
  parseH265Sps,
  parseHevcDecoderConfig,
  splitAnnexB,
  type H265Sps,
} from '../src/index.js';
import { FIXTURES, codecError, ffprobeStream, findBoxBody, fixture, hex, remuxToMp4, toHex } from './helpers.js';
import { h265Fixtures, h265Base as base, h265SpsCases, h265SpsErrors, type SpsExpect } from './cases/h265.js';
import { h265Sps } from './sps-writer.js';

const FFPROBE_PROFILE: Record<string, number> = { Main: 1, 'Main 10': 2, Rext: 4 };
const FFPROBE_PIX_FMT: Record<string, [chroma: number, depth: number]> = {
  yuv420p: [1, 8],
  yuv420p10le: [1, 10],
  yuv444p: [3, 8],
};

function parameterSets(file: string): { nals: Uint8Array[]; vps: Uint8Array; sps: Uint8Array; pps: Uint8Array } {
  const nals = splitAnnexB(fixture(file));
  const find = (type: number) => nals.find((n) => h265NalType(n) === type)!;
  return { nals, vps: find(H265NalType.VPS), sps: find(H265NalType.SPS), pps: find(H265NalType.PPS) };
}

function expectSps(sps: H265Sps, decoded: SpsExpect): void {
  const { generalConstraintIndicatorFlags, ...rest } = decoded;
  expect(sps).toMatchObject(rest);
  if (generalConstraintIndicatorFlags) expect(Array.from(sps.generalConstraintIndicatorFlags)).toEqual(generalConstraintIndicatorFlags);
}

describe('H.265 SPS from libx265', () => {
  test.each(h265Fixtures)('$name', ({ file, decoded, codecString }) => {
    const { sps } = parameterSets(file);
    expectSps(parseH265Sps(sps), decoded);
    expect(h265CodecString(sps)).toBe(codecString);
  });

  test.each(h265Fixtures)('agrees with ffprobe: $file', ({ file }) => {
    const probe = ffprobeStream(join(FIXTURES, file));
    const sps = parseH265Sps(parameterSets(file).sps);
    expect([sps.width, sps.height, sps.generalLevelIdc]).toEqual([probe.width, probe.height, probe.level]);
    expect([sps.codedWidth, sps.codedHeight]).toEqual([probe.coded_width, probe.coded_height]);
    expect(sps.generalProfileIdc).toBe(FFPROBE_PROFILE[probe.profile as string]);
    expect([sps.chromaFormatIdc, sps.bitDepthLuma]).toEqual(FFPROBE_PIX_FMT[probe.pix_fmt as string]);
  });
});

describe('H.265 SPS syntax', () => {
  test.each(h265SpsCases)('$name', ({ bytes, decoded }) => {
    expectSps(parseH265Sps(bytes), decoded);
  });
});

describe('H.265 SPS errors', () => {
  test.each(h265SpsErrors)('$name', ({ bytes, error }) => {
    expect(() => parseH265Sps(bytes)).toThrow(error as Error);
  });
});

describe('h265CodecString (ISO/IEC 14496-15 Annex E)', () => {
  test.each([
    { name: 'Main@3.1, progressive non-packed frame-only (the Annex E example)', sps: h265Sps({ ...base, generalConstraintIndicatorFlags: [0xb0, 0, 0, 0, 0, 0] }), codec: 'hvc1.1.6.L93.B0' },
    { name: 'no constraint flags: nothing after the level', sps: h265Sps({ ...base, generalConstraintIndicatorFlags: [0, 0, 0, 0, 0, 0] }), codec: 'hvc1.1.6.L93' },
    { name: 'a zero byte between non-zero bytes stays', sps: h265Sps({ ...base, generalConstraintIndicatorFlags: [0x90, 0, 0x08, 0, 0, 0] }), codec: 'hvc1.1.6.L93.90.0.8' },
    { name: 'last constraint byte set', sps: h265Sps({ ...base, generalConstraintIndicatorFlags: [0xb0, 0, 0, 0, 0, 1] }), codec: 'hvc1.1.6.L93.B0.0.0.0.0.1' },
    {
      name: 'profile space 1 (A), high tier, only compatibility flag 1',
      sps: h265Sps({ ...base, generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 120, generalProfileCompatibilityFlags: 0x40000000 }),
      codec: 'hvc1.A1.2.H120.90',
    },
    { name: 'profile space 3 (C)', sps: h265Sps({ ...base, generalProfileSpace: 3 }), codec: 'hvc1.C1.6.L93.90' },
    { name: 'all compatibility flags', sps: h265Sps({ ...base, generalProfileCompatibilityFlags: 0xffffffff }), codec: 'hvc1.1.FFFFFFFF.L93.90' },
    { name: 'compatibility flag 31 only', sps: h265Sps({ ...base, generalProfileCompatibilityFlags: 1 }), codec: 'hvc1.1.80000000.L93.90' },
    { name: 'no compatibility flags', sps: h265Sps({ ...base, generalProfileCompatibilityFlags: 0 }), codec: 'hvc1.1.0.L93.90' },
  ])('$name → $codec', ({ sps, codec }) => {
    expect(h265CodecString(sps)).toBe(codec);
  });

  test('hev1 sample entry', () => {
    expect(h265CodecString(h265Sps({ ...base, generalConstraintIndicatorFlags: [0xb0, 0, 0, 0, 0, 0] }), 'hev1')).toBe('hev1.1.6.L93.B0');
  });
});

describe('isH265Keyframe', () => {
  const nalOfType = (t: number) => Uint8Array.of(t << 1, 1, 0xaf);
  test.each(Array.from({ length: 64 }, (_, type) => ({ type, irap: type >= 16 && type <= 23 })))('NAL type $type → $irap', ({ type, irap }) => {
    expect(isH265Keyframe([nalOfType(H265NalType.AUD), nalOfType(type)])).toBe(irap);
  });

  test.each(h265Fixtures)('$file: the first access unit is IRAP, the last one is not', ({ file }) => {
    const { nals } = parameterSets(file);
    const irap = nals.findIndex((n) => h265NalType(n) >= 16 && h265NalType(n) <= 23);
    expect(isH265Keyframe(nals.slice(0, irap + 1))).toBe(true);
    expect(isH265Keyframe(nals.slice(irap + 1))).toBe(false);
    expect(isH265Keyframe([])).toBe(false);
  });
});

describe('hvcC (HEVCDecoderConfigurationRecord)', () => {
  let dir: string;
  const ffmpegHvcC = new Map<string, Uint8Array>();
  const mediabunnyCodec = new Map<string, string | null>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-codec-h265-'));
    for (const { file } of h265Fixtures) {
      const mp4 = remuxToMp4(join(FIXTURES, file), join(dir, `${file}.mp4`));
      ffmpegHvcC.set(file, findBoxBody(mp4, 'hvcC'));
      const input = new Input({ formats: ALL_FORMATS, source: new BufferSource(mp4) });
      mediabunnyCodec.set(file, (await (await input.getPrimaryVideoTrack())!.getCodecParameterString()) ?? null);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Fields both records must agree on (ffmpeg derives them from the same VPS/SPS). */
  function comparable(c: ReturnType<typeof parseHevcDecoderConfig>) {
    return {
      ...c,
      generalConstraintIndicatorFlags: toHex(c.generalConstraintIndicatorFlags),
      vps: c.vps.map(toHex),
      sps: c.sps.map(toHex),
      pps: c.pps.map(toHex),
      other: c.other.map(toHex),
    };
  }

  test.each(h265Fixtures)('built from the parameter sets matches what ffmpeg writes: $file', ({ file }) => {
    const { vps, sps, pps } = parameterSets(file);
    const ours = parseHevcDecoderConfig(buildHevcDecoderConfig([vps], [sps], [pps]));
    const theirs = parseHevcDecoderConfig(ffmpegHvcC.get(file)!);
    expect(comparable(ours)).toEqual(comparable(theirs));
  });

  test.each(h265Fixtures)('codec string agrees with mediabunny: $file', ({ file }) => {
    expect(mediabunnyCodec.get(file)).toBe(h265CodecString(parameterSets(file).sps, 'hev1'));
  });

  test('the built record marks every array complete (hvc1)', () => {
    const { vps, sps, pps } = parameterSets(h265Fixtures[0]!.file);
    const hvcC = buildHevcDecoderConfig([vps], [sps], [pps]);
    expect(hvcC[22]).toBe(3);
    expect(hvcC[23]).toBe(0x80 | H265NalType.VPS);
  });

  /** hvcC bytes → decoded record. */
  const hvcCCases: { name: string; bytes: Uint8Array; decoded: Record<string, unknown> }[] = [
    {
      name: 'ffmpeg Main@3.1 record',
      bytes: hex(
        '0101600000009000000000005df000fcfdf8f800000f03200001001840010c01ffff01600000030090000003000003005d959809' +
          '210001002a42010101600000030090000003000003005da00502016965959a4932bc05a0200000030020000003032122000100074401c172b42240',
      ),
      decoded: {
        generalProfileIdc: 1,
        generalLevelIdc: 93,
        generalProfileCompatibilityFlags: 0x60000000,
        chromaFormatIdc: 1,
        bitDepthLuma: 8,
        numTemporalLayers: 1,
        temporalIdNested: true,
        lengthSize: 4,
        minSpatialSegmentationIdc: 0,
      },
    },
    {
      name: 'a prefix SEI array, 2-byte lengths, high tier',
      bytes: hex('01 21 60000000 b00000000000 78 f001 fd fc f8 f8 0019 1d 01 a7 0001 0003 4e0105'),
      decoded: {
        generalTierFlag: 1,
        generalLevelIdc: 120,
        minSpatialSegmentationIdc: 1,
        parallelismType: 1,
        chromaFormatIdc: 0,
        avgFrameRate: 25,
        constantFrameRate: 0,
        numTemporalLayers: 3,
        temporalIdNested: true,
        lengthSize: 2,
        vps: [],
        other: [hex('4e0105')],
      },
    },
  ];

  test.each(hvcCCases)('parse: $name', ({ bytes, decoded }) => {
    expect(parseHevcDecoderConfig(bytes)).toMatchObject(decoded);
  });

  const header = '0101600000009000000000005df000fcfdf8f800000f';
  test.each([
    { name: 'empty', bytes: hex(''), error: TruncatedError },
    { name: 'configurationVersion 0', bytes: hex('00' + header.slice(2) + '00'), error: codecError('BAD_VERSION') },
    { name: 'header cut at 20 bytes', bytes: hex(header.slice(0, 40)), error: TruncatedError },
    { name: 'no numOfArrays', bytes: hex(header), error: TruncatedError },
    { name: 'lengthSizeMinusOne 2', bytes: hex(header.slice(0, -2) + '0e00'), error: codecError('INVALID_VALUE') },
    { name: 'array count past the end', bytes: hex(header + '03 20 0001 0002 4001'), error: TruncatedError },
    { name: 'NAL count past the end', bytes: hex(header + '01 20 ffff 0002 4001'), error: TruncatedError },
    { name: 'NAL length past the end', bytes: hex(header + '01 20 0001 0100 4001'), error: TruncatedError },
  ])('parse throws: $name', ({ bytes, error }) => {
    expect(() => parseHevcDecoderConfig(bytes)).toThrow(error as Error);
  });

  test('build rejects missing or mistyped parameter sets', () => {
    const { vps, sps, pps } = parameterSets(h265Fixtures[0]!.file);
    expect(() => buildHevcDecoderConfig([], [sps], [pps])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildHevcDecoderConfig([vps], [], [pps])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildHevcDecoderConfig([vps], [sps], [])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildHevcDecoderConfig([sps], [sps], [pps])).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => buildHevcDecoderConfig([vps], [vps], [pps])).toThrow(codecError('WRONG_NAL_TYPE'));
  });
});
