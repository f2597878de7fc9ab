import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_FORMATS, BufferSource, Input } from 'mediabunny';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  H264NalType,
  TruncatedError,
  buildAvcDecoderConfig,
  h264CodecString,
  h264NalType,
  isH264Keyframe,
  parseAvcDecoderConfig,
  parseH264Sps,
  splitAnnexB,
  type H264Sps,
} from '../src/index.js';
import { FIXTURES, codecError, ffprobeStream, findBoxBody, fixture, hex, remuxToMp4, toHex } from './helpers.js';
import { h264Sps } from './sps-writer.js';

/** Real libx264 streams (see fixtures/generate.sh) and what they hold. */
export const h264Fixtures: { name: string; file: string; decoded: Partial<H264Sps>; codecString: string }[] = [
  {
    name: 'Constrained Baseline, pic_order_cnt_type 2',
    file: 'h264-baseline-320x240-libx264.h264',
    decoded: { profileIdc: 66, constraintFlags: 0xc0, levelIdc: 13, width: 320, height: 240, picOrderCntType: 2, frameRate: 25 },
    codecString: 'avc1.42c00d',
  },
  {
    name: 'Main, 360 lines cropped from 368',
    file: 'h264-main-640x360-crop-libx264.h264',
    decoded: { profileIdc: 77, constraintFlags: 0x40, levelIdc: 30, width: 640, height: 360, codedHeight: 368 },
    codecString: 'avc1.4d401e',
  },
  {
    name: 'High@3.1',
    file: 'h264-high-l31-640x360-libx264.h264',
    decoded: { profileIdc: 100, levelIdc: 31, width: 640, height: 360, chromaFormatIdc: 1, picOrderCntType: 0 },
    codecString: 'avc1.64001f',
  },
  {
    name: 'High, 642x362 cropped right and bottom',
    file: 'h264-high-642x362-crop-libx264.h264',
    decoded: { profileIdc: 100, levelIdc: 30, width: 642, height: 362, codedWidth: 656, codedHeight: 368 },
    codecString: 'avc1.64001e',
  },
  {
    name: 'High 1080i (frame_mbs_only 0: crop unit doubled)',
    file: 'h264-high-1920x1080-interlaced-libx264.h264',
    decoded: { profileIdc: 100, levelIdc: 40, width: 1920, height: 1080, codedHeight: 1088, frameMbsOnly: false },
    codecString: 'avc1.640028',
  },
  {
    name: 'High with JVT scaling lists',
    file: 'h264-high-480x270-cqm-jvt-libx264.h264',
    decoded: { profileIdc: 100, levelIdc: 21, width: 480, height: 270, frameRate: 25 },
    codecString: 'avc1.640015',
  },
  {
    name: 'High 10',
    file: 'h264-high10-640x360-libx264.h264',
    decoded: { profileIdc: 110, levelIdc: 30, bitDepthLuma: 10, bitDepthChroma: 10, width: 640, height: 360 },
    codecString: 'avc1.6e001e',
  },
  {
    name: 'High 4:2:2',
    file: 'h264-high422-640x360-libx264.h264',
    decoded: { profileIdc: 122, chromaFormatIdc: 2, width: 640, height: 360 },
    codecString: 'avc1.7a001e',
  },
  {
    name: 'High 4:4:4 Predictive, odd size (crop unit 1)',
    file: 'h264-high444-641x361-crop-libx264.h264',
    decoded: { profileIdc: 244, chromaFormatIdc: 3, width: 641, height: 361, codedWidth: 656, codedHeight: 368 },
    codecString: 'avc1.f4001e',
  },
];

const FFPROBE_PROFILE: Record<string, number> = {
  'Constrained Baseline': 66,
  Main: 77,
  High: 100,
  'High 10': 110,
  'High 4:2:2': 122,
  'High 4:4:4 Predictive': 244,
};
const FFPROBE_PIX_FMT: Record<string, [chroma: number, depth: number]> = {
  yuv420p: [1, 8],
  yuv420p10le: [1, 10],
  yuv422p: [2, 8],
  yuv444p: [3, 8],
};

function parameterSets(file: string): { nals: Uint8Array[]; sps: Uint8Array; pps: Uint8Array } {
  const nals = splitAnnexB(fixture(file));
  return {
    nals,
    sps: nals.find((n) => h264NalType(n) === H264NalType.Sps)!,
    pps: nals.find((n) => h264NalType(n) === H264NalType.Pps)!,
  };
}

describe('H.264 SPS from libx264', () => {
  test.each(h264Fixtures)('$name', ({ file, decoded, codecString }) => {
    const { sps } = parameterSets(file);
    expect(parseH264Sps(sps)).toMatchObject(decoded);
    expect(h264CodecString(sps)).toBe(codecString);
  });

  test.each(h264Fixtures)('agrees with ffprobe: $file', ({ file }) => {
    const probe = ffprobeStream(join(FIXTURES, file));
    const sps = parseH264Sps(parameterSets(file).sps);
    expect([sps.width, sps.height, sps.levelIdc]).toEqual([probe.width, probe.height, probe.level]);
    expect(sps.profileIdc).toBe(FFPROBE_PROFILE[probe.profile as string]);
    expect([sps.chromaFormatIdc, sps.bitDepthLuma]).toEqual(FFPROBE_PIX_FMT[probe.pix_fmt as string]);
    expect(`${sps.frameRate}/1`).toBe(probe.r_frame_rate);
    expect(sps.frameMbsOnly).toBe(probe.field_order === 'progressive');
  });
});

const withTiming = h264Sps({ profileIdc: 77, levelIdc: 30, picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29, vui: { timing: [1, 50] } });

/** Literal and synthetic SPS: bytes → decoded fields. */
export const h264SpsCases: { name: string; bytes: Uint8Array; decoded: Partial<H264Sps> & { frameRate?: number | undefined } }[] = [
  {
    name: 'libx264 High 10 SPS with emulation prevention bytes',
    bytes: hex('676e001ea6cd940a02ff97011000000300100000030320f162d960'),
    decoded: { profileIdc: 110, levelIdc: 30, bitDepthLuma: 10, width: 640, height: 360, frameRate: 25 },
  },
  {
    name: 'libx264 Constrained Baseline SPS',
    bytes: hex('6742c00dd90141fb011000000300100000030320f142a480'),
    decoded: { profileIdc: 66, constraintFlags: 0xc0, levelIdc: 13, width: 320, height: 240, frameRate: 25 },
  },
  {
    name: 'pic_order_cnt_type 1 with a 3-frame cycle',
    bytes: h264Sps({ profileIdc: 77, levelIdc: 30, picOrderCntType: 1, offsetForRefFrame: [2, -3, 40], picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29 }),
    decoded: { picOrderCntType: 1, width: 640, height: 480 },
  },
  {
    name: 'monochrome High: crop unit 1 x 1',
    bytes: h264Sps({ profileIdc: 100, levelIdc: 30, chromaFormatIdc: 0, picWidthInMbsMinus1: 9, picHeightInMapUnitsMinus1: 9, crop: [1, 2, 3, 4] }),
    decoded: { chromaFormatIdc: 0, width: 160 - 3, height: 160 - 7 },
  },
  {
    name: 'monochrome interlaced: crop unit 1 x 2',
    bytes: h264Sps({ profileIdc: 100, levelIdc: 30, chromaFormatIdc: 0, frameMbsOnly: false, picWidthInMbsMinus1: 9, picHeightInMapUnitsMinus1: 4, crop: [0, 0, 1, 1] }),
    decoded: { width: 160, height: 160 - 4, frameMbsOnly: false },
  },
  {
    name: '4:2:2 interlaced: crop unit 2 x 2',
    bytes: h264Sps({ profileIdc: 122, levelIdc: 30, chromaFormatIdc: 2, frameMbsOnly: false, picWidthInMbsMinus1: 44, picHeightInMapUnitsMinus1: 17, crop: [0, 1, 0, 2] }),
    decoded: { chromaFormatIdc: 2, width: 720 - 2, height: 576 - 4 },
  },
  {
    name: '4:4:4 separate_colour_plane: crop unit 1 x 1',
    bytes: h264Sps({ profileIdc: 244, levelIdc: 30, chromaFormatIdc: 3, separateColourPlane: true, picWidthInMbsMinus1: 9, picHeightInMapUnitsMinus1: 9, crop: [0, 3, 0, 5] }),
    decoded: { chromaFormatIdc: 3, width: 157, height: 155 },
  },
  {
    name: 'scaling lists: 8 lists, early nextScale 0, a 64-entry list',
    bytes: h264Sps({
      profileIdc: 100,
      levelIdc: 40,
      scalingLists: [[-8], null, [1, 2, 3, -6, ...Array<number>(12).fill(0)], null, null, null, Array<number>(64).fill(1), [-8]],
      picWidthInMbsMinus1: 119,
      picHeightInMapUnitsMinus1: 67,
      crop: [0, 0, 0, 4],
    }),
    decoded: { width: 1920, height: 1080 },
  },
  {
    name: '4:4:4 scaling lists: 12 lists',
    bytes: h264Sps({
      profileIdc: 244,
      levelIdc: 40,
      chromaFormatIdc: 3,
      bitDepthLumaMinus8: 6,
      bitDepthChromaMinus8: 6,
      scalingLists: Array.from({ length: 12 }, (_, i) => (i % 2 ? [-8] : null)),
      picWidthInMbsMinus1: 19,
      picHeightInMapUnitsMinus1: 14,
    }),
    decoded: { chromaFormatIdc: 3, bitDepthLuma: 14, bitDepthChroma: 14, width: 320, height: 240 },
  },
  {
    name: 'full VUI: Extended_SAR, video signal, chroma location, 30000/1001 timing',
    bytes: h264Sps({
      profileIdc: 100,
      levelIdc: 40,
      picWidthInMbsMinus1: 79,
      picHeightInMapUnitsMinus1: 44,
      vui: { aspectRatioIdc: 255, sar: [4, 3], videoSignal: true, chromaLoc: [1, 1], timing: [1001, 60000] },
    }),
    decoded: { width: 1280, height: 720, frameRate: 30000 / 1001 },
  },
  { name: 'VUI with timing_info 1 / 50: 25 fps', bytes: withTiming, decoded: { width: 640, height: 480, frameRate: 25 } },
  {
    name: 'VUI without timing_info: no frame rate',
    bytes: h264Sps({ profileIdc: 77, levelIdc: 30, picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29, vui: { aspectRatioIdc: 1 } }),
    decoded: { width: 640, height: 480, frameRate: undefined },
  },
  {
    name: 'VUI cut inside timing_info: the SPS still parses, no frame rate',
    // The last 5 bytes hold most of time_scale, fixed_frame_rate_flag and the trailing bits.
    bytes: withTiming.subarray(0, withTiming.byteLength - 5),
    decoded: { width: 640, height: 480, frameRate: undefined },
  },
  {
    name: 'VUI with num_units_in_tick 0: no frame rate',
    bytes: h264Sps({ profileIdc: 66, levelIdc: 30, picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29, vui: { timing: [0, 50] } }),
    decoded: { frameRate: undefined },
  },
];

describe('H.264 SPS syntax', () => {
  test.each(h264SpsCases)('$name', ({ bytes, decoded }) => {
    const { frameRate, ...rest } = decoded;
    const sps = parseH264Sps(bytes);
    expect(sps).toMatchObject(rest);
    expect(sps.frameRate).toBe(frameRate);
  });
});

const base = { profileIdc: 100, levelIdc: 30, picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29 };

/** Malformed SPS → the error it must throw. */
export const h264SpsErrors: { name: string; bytes: Uint8Array; error: unknown }[] = [
  { name: 'empty', bytes: hex(''), error: TruncatedError },
  { name: 'header only', bytes: hex('67'), error: TruncatedError },
  { name: 'a PPS', bytes: hex('68ebe04d2c8b'), error: codecError('WRONG_NAL_TYPE') },
  { name: 'cut after level_idc', bytes: hex('6764001f'), error: TruncatedError },
  { name: 'cut inside max_num_ref_frames', bytes: hex('6764001facd9'), error: TruncatedError },
  { name: 'seq_parameter_set_id 32', bytes: h264Sps({ ...base, seqParameterSetId: 32 }), error: codecError('INVALID_VALUE') },
  { name: 'chroma_format_idc 4', bytes: h264Sps({ ...base, chromaFormatIdc: 4 }), error: codecError('INVALID_VALUE') },
  { name: 'bit_depth_luma_minus8 7', bytes: h264Sps({ ...base, bitDepthLumaMinus8: 7 }), error: codecError('INVALID_VALUE') },
  { name: 'delta_scale 128', bytes: h264Sps({ ...base, scalingLists: [[128]] }), error: codecError('INVALID_VALUE') },
  { name: 'log2_max_frame_num_minus4 13', bytes: h264Sps({ ...base, log2MaxFrameNumMinus4: 13 }), error: codecError('INVALID_VALUE') },
  { name: 'pic_order_cnt_type 3', bytes: h264Sps({ ...base, picOrderCntType: 3 }), error: codecError('INVALID_VALUE') },
  {
    name: 'num_ref_frames_in_pic_order_cnt_cycle 4 billion',
    bytes: h264Sps({ ...base, picOrderCntType: 1, pocCycleCount: 4_000_000_000 }),
    error: codecError('INVALID_VALUE'),
  },
  { name: 'max_num_ref_frames 17', bytes: h264Sps({ ...base, maxNumRefFrames: 17 }), error: codecError('INVALID_VALUE') },
  { name: 'width of 1 million macroblocks', bytes: h264Sps({ ...base, picWidthInMbsMinus1: 1_000_000 }), error: codecError('INVALID_VALUE') },
  { name: 'cropping larger than the picture', bytes: h264Sps({ ...base, crop: [200, 200, 0, 0] }), error: codecError('INVALID_VALUE') },
  { name: 'an Exp-Golomb code of 40 bits', bytes: hex('6764001f 00 00 00 00 00 ff'), error: codecError('EXP_GOLOMB_OVERFLOW') },
];

describe('H.264 SPS errors', () => {
  test.each(h264SpsErrors)('$name', ({ bytes, error }) => {
    expect(() => parseH264Sps(bytes)).toThrow(error as Error);
  });

  test('codec string of a non-SPS or a short SPS throws', () => {
    expect(() => h264CodecString(hex('68ebe04d2c8b'))).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => h264CodecString(hex('6764'))).toThrow(TruncatedError);
  });
});

describe('h264CodecString', () => {
  test.each([
    { name: 'High@3.1', sps: h264Sps({ ...base, levelIdc: 31 }), codec: 'avc1.64001f' },
    { name: 'Constrained Baseline@3.0', sps: h264Sps({ ...base, profileIdc: 66, constraintFlags: 0xc0 }), codec: 'avc1.42c01e' },
    { name: 'Main@4.0', sps: h264Sps({ ...base, profileIdc: 77, constraintFlags: 0x40, levelIdc: 40 }), codec: 'avc1.4d4028' },
    { name: 'High@5.1', sps: h264Sps({ ...base, levelIdc: 51 }), codec: 'avc1.640033' },
  ])('$name → $codec', ({ sps, codec }) => {
    expect(h264CodecString(sps)).toBe(codec);
  });

  test('avc3 sample entry', () => {
    expect(h264CodecString(h264Sps({ ...base, levelIdc: 31 }), 'avc3')).toBe('avc3.64001f');
  });
});

describe('isH264Keyframe', () => {
  test.each(h264Fixtures)('$file: the first access unit is an IDR, the last one is not', ({ file }) => {
    const { nals } = parameterSets(file);
    const idr = nals.findIndex((n) => h264NalType(n) === H264NalType.Idr);
    expect(isH264Keyframe(nals.slice(0, idr + 1))).toBe(true);
    expect(isH264Keyframe(nals.slice(idr + 1))).toBe(false);
  });

  test('NAL type table', () => {
    expect(isH264Keyframe([])).toBe(false);
    expect(isH264Keyframe([hex(''), hex('65 88')])).toBe(true);
    expect(isH264Keyframe([hex('09 f0'), hex('41 9a')])).toBe(false);
    expect(isH264Keyframe([hex('67'), hex('68'), hex('06')])).toBe(false);
  });
});

describe('avcC (AVCDecoderConfigurationRecord)', () => {
  let dir: string;
  const ffmpegAvcC = new Map<string, Uint8Array>();
  const mediabunnyCodec = new Map<string, string | null>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-codec-h264-'));
    for (const { file } of h264Fixtures) {
      const mp4 = remuxToMp4(join(FIXTURES, file), join(dir, `${file}.mp4`));
      ffmpegAvcC.set(file, findBoxBody(mp4, 'avcC'));
      const input = new Input({ formats: ALL_FORMATS, source: new BufferSource(mp4) });
      mediabunnyCodec.set(file, (await (await input.getPrimaryVideoTrack())!.getCodecParameterString()) ?? null);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(h264Fixtures)('built from the parameter sets equals what ffmpeg writes: $file', ({ file }) => {
    const { sps, pps } = parameterSets(file);
    expect(toHex(buildAvcDecoderConfig([sps], [pps]))).toBe(toHex(ffmpegAvcC.get(file)!));
  });

  test.each(h264Fixtures)('codec string agrees with mediabunny: $file', ({ file, codecString }) => {
    expect(mediabunnyCodec.get(file)).toBe(codecString);
  });

  test.each(h264Fixtures)('build → parse round trip: $file', ({ file }) => {
    const { sps, pps } = parameterSets(file);
    const parsed = parseAvcDecoderConfig(buildAvcDecoderConfig([sps], [pps]));
    const s = parseH264Sps(sps);
    expect(parsed).toMatchObject({ profileIdc: s.profileIdc, profileCompatibility: s.constraintFlags, levelIdc: s.levelIdc, lengthSize: 4 });
    expect(parsed.sps.map(toHex)).toEqual([toHex(sps)]);
    expect(parsed.pps.map(toHex)).toEqual([toHex(pps)]);
    if ([100, 110, 122, 244].includes(s.profileIdc)) {
      expect(parsed).toMatchObject({ chromaFormat: s.chromaFormatIdc, bitDepthLuma: s.bitDepthLuma, bitDepthChroma: s.bitDepthChroma, spsExt: [] });
    } else {
      expect(parsed.chromaFormat).toBeUndefined();
    }
  });

  /** avcC bytes → decoded record. */
  const avcCCases: { name: string; bytes: Uint8Array; decoded: Record<string, unknown> }[] = [
    {
      name: 'ffmpeg High 10 avcC with the trailer',
      bytes: hex('016e001effe1001b676e001ea6cd940a02ff97011000000300100000030320f162d96001000668ebe04d2c8bfdfafa00'),
      decoded: { profileIdc: 110, profileCompatibility: 0, levelIdc: 30, lengthSize: 4, chromaFormat: 1, bitDepthLuma: 10, bitDepthChroma: 10 },
    },
    {
      name: 'High without the trailer (older muxers), 2-byte lengths, two PPS',
      bytes: hex('0164001ffde100046764001f02000268eb000268ee'),
      decoded: { profileIdc: 100, levelIdc: 31, lengthSize: 2, sps: [hex('6764001f')], pps: [hex('68eb'), hex('68ee')] },
    },
    {
      name: 'Baseline, 1-byte lengths, no parameter sets',
      bytes: hex('0142c01efce000'),
      decoded: { profileIdc: 66, profileCompatibility: 0xc0, lengthSize: 1, sps: [], pps: [] },
    },
  ];

  test.each(avcCCases)('parse: $name', ({ bytes, decoded }) => {
    expect(parseAvcDecoderConfig(bytes)).toMatchObject(decoded);
  });

  test.each([
    { name: 'empty', bytes: hex(''), error: TruncatedError },
    { name: 'configurationVersion 0', bytes: hex('0064001fffe100'), error: codecError('BAD_VERSION') },
    { name: 'lengthSizeMinusOne 2', bytes: hex('0164001ffee000'), error: codecError('INVALID_VALUE') },
    { name: 'SPS length past the end', bytes: hex('0164001fffe100ff6764'), error: TruncatedError },
    { name: '31 SPS announced, one present', bytes: hex('0164001ffffF00026764'), error: TruncatedError },
    { name: 'PPS count past the end', bytes: hex('0164001fffe1000267640a'), error: TruncatedError },
    { name: 'trailer with an SPS extension past the end', bytes: hex('0164001fffe100026764000fdf8f8f801000a'), error: TruncatedError },
  ])('parse throws: $name', ({ bytes, error }) => {
    expect(() => parseAvcDecoderConfig(bytes)).toThrow(error as Error);
  });

  test('build rejects missing or mistyped parameter sets', () => {
    const { sps, pps } = parameterSets(h264Fixtures[0]!.file);
    expect(() => buildAvcDecoderConfig([], [pps])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildAvcDecoderConfig([sps], [])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildAvcDecoderConfig([pps], [pps])).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => buildAvcDecoderConfig([sps], [sps])).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => buildAvcDecoderConfig([sps], [new Uint8Array(70000).fill(0x68)])).toThrow(codecError('INVALID_VALUE'));
  });
});
