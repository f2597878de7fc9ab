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
import { h265Sps } from './sps-writer.js';

type SpsExpect = Partial<Omit<H265Sps, 'generalConstraintIndicatorFlags'>> & { generalConstraintIndicatorFlags?: number[] };

/** Real libx265 streams (see fixtures/generate.sh) and what they hold. */
export const h265Fixtures: { name: string; file: string; decoded: SpsExpect; codecString: string }[] = [
  {
    name: 'Main, level 3.1',
    file: 'h265-main-640x360-l31-libx265.h265',
    decoded: { generalProfileIdc: 1, generalLevelIdc: 93, generalProfileCompatibilityFlags: 0x60000000, width: 640, height: 360 },
    codecString: 'hvc1.1.6.L93.90',
  },
  {
    name: 'Main, 642x362 in a 648x368 picture (conformance window)',
    file: 'h265-main-642x362-conformance-window-libx265.h265',
    decoded: { generalProfileIdc: 1, width: 642, height: 362, codedWidth: 648, codedHeight: 368 },
    codecString: 'hvc1.1.6.L63.90',
  },
  {
    name: 'Main 1080p, level 4',
    file: 'h265-main-1920x1080-libx265.h265',
    decoded: { generalProfileIdc: 1, generalLevelIdc: 120, width: 1920, height: 1080 },
    codecString: 'hvc1.1.6.L120.90',
  },
  {
    name: 'Main 10',
    file: 'h265-main10-640x360-libx265.h265',
    decoded: { generalProfileIdc: 2, bitDepthLuma: 10, bitDepthChroma: 10, width: 640, height: 360 },
    codecString: 'hvc1.2.4.L63.90',
  },
  {
    name: 'RExt 4:4:4, odd size (conformance window in luma units)',
    file: 'h265-main444-641x361-conformance-window-libx265.h265',
    decoded: { generalProfileIdc: 4, chromaFormatIdc: 3, width: 641, height: 361, generalConstraintIndicatorFlags: [0x9e, 0x08, 0, 0, 0, 0] },
    codecString: 'hvc1.4.10.L63.9E.8',
  },
  {
    name: 'two temporal sub-layers (profile_tier_level with sub-layer flags)',
    file: 'h265-main-320x240-temporal-layers-libx265.h265',
    decoded: { generalProfileIdc: 1, generalLevelIdc: 60, maxSubLayers: 2, temporalIdNesting: false, width: 320, height: 240 },
    codecString: 'hvc1.1.6.L60.90',
  },
];

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

const base = { generalProfileIdc: 1, generalLevelIdc: 93, width: 640, height: 360 };

/** Synthetic SPS for what x265 does not write: bytes → decoded fields. */
export const h265SpsCases: { name: string; bytes: Uint8Array; decoded: SpsExpect }[] = [
  {
    name: 'profile space 1, high tier',
    bytes: h265Sps({ ...base, generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 120 }),
    decoded: { generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 120 },
  },
  {
    name: 'four sub-layers with mixed profile / level present flags',
    bytes: h265Sps({ ...base, maxSubLayersMinus1: 3, subLayers: [[true, true], [false, true], [true, false]] }),
    decoded: { maxSubLayers: 4, width: 640, height: 360, generalLevelIdc: 93 },
  },
  {
    name: 'seven sub-layers, all present',
    bytes: h265Sps({ ...base, maxSubLayersMinus1: 6, subLayers: Array.from({ length: 6 }, () => [true, true] as [boolean, boolean]) }),
    decoded: { maxSubLayers: 7, width: 640, height: 360 },
  },
  {
    name: '4:2:2 conformance window: units of 2 x 1',
    bytes: h265Sps({ ...base, chromaFormatIdc: 2, width: 1928, height: 1088, conformanceWindow: [1, 3, 2, 6] }),
    decoded: { chromaFormatIdc: 2, width: 1920, height: 1080 },
  },
  {
    name: '4:2:0 conformance window: units of 2 x 2',
    bytes: h265Sps({ ...base, width: 1920, height: 1088, conformanceWindow: [0, 0, 0, 4] }),
    decoded: { width: 1920, height: 1080 },
  },
  {
    name: 'monochrome 12-bit: units of 1 x 1',
    bytes: h265Sps({ ...base, chromaFormatIdc: 0, bitDepthLumaMinus8: 4, bitDepthChromaMinus8: 4, width: 648, height: 368, conformanceWindow: [3, 4, 5, 3] }),
    decoded: { chromaFormatIdc: 0, bitDepthLuma: 12, width: 641, height: 360 },
  },
  {
    name: '4:4:4 separate_colour_plane: units of 1 x 1',
    bytes: h265Sps({ ...base, chromaFormatIdc: 3, separateColourPlane: true, width: 648, height: 368, conformanceWindow: [0, 7, 0, 7] }),
    decoded: { chromaFormatIdc: 3, width: 641, height: 361 },
  },
];

describe('H.265 SPS syntax', () => {
  test.each(h265SpsCases)('$name', ({ bytes, decoded }) => {
    expectSps(parseH265Sps(bytes), decoded);
  });
});

export const h265SpsErrors: { name: string; bytes: Uint8Array; error: unknown }[] = [
  { name: 'empty', bytes: hex(''), error: TruncatedError },
  { name: 'one header byte', bytes: hex('42'), error: TruncatedError },
  { name: 'header only', bytes: hex('4201'), error: TruncatedError },
  { name: 'a VPS', bytes: hex('40010c01ffff016000000300900000030000030078959809'), error: codecError('WRONG_NAL_TYPE') },
  { name: 'cut inside profile_tier_level', bytes: hex('420101016000000300900000'), error: TruncatedError },
  {
    name: 'cut inside the sub-layer profiles',
    bytes: h265Sps({ ...base, maxSubLayersMinus1: 6, subLayers: Array.from({ length: 6 }, () => [true, true] as [boolean, boolean]) }).subarray(0, 40),
    error: TruncatedError,
  },
  { name: 'sps_max_sub_layers_minus1 7', bytes: h265Sps({ ...base, maxSubLayersMinus1: 7 }), error: codecError('INVALID_VALUE') },
  { name: 'sps_seq_parameter_set_id 16', bytes: h265Sps({ ...base, seqParameterSetId: 16 }), error: codecError('INVALID_VALUE') },
  { name: 'chroma_format_idc 4', bytes: h265Sps({ ...base, chromaFormatIdc: 4 }), error: codecError('INVALID_VALUE') },
  { name: 'pic_width_in_luma_samples 0', bytes: h265Sps({ ...base, width: 0 }), error: codecError('INVALID_VALUE') },
  { name: 'pic_height_in_luma_samples 100000', bytes: h265Sps({ ...base, height: 100_000 }), error: codecError('INVALID_VALUE') },
  { name: 'conformance window larger than the picture', bytes: h265Sps({ ...base, conformanceWindow: [0, 0, 90, 90] }), error: codecError('INVALID_VALUE') },
  { name: 'bit_depth_luma_minus8 9', bytes: h265Sps({ ...base, bitDepthLumaMinus8: 9 }), error: codecError('INVALID_VALUE') },
  {
    name: 'an Exp-Golomb code of 40 bits',
    bytes: hex('420101016000000300900000030000030078 00 00 00 00 00 ff'),
    error: codecError('EXP_GOLOMB_OVERFLOW'),
  },
];

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
