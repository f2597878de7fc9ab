/** H.264 case tables: libx264 fixtures, SPS syntax, malformed SPS. */
import { TruncatedError, type H264Sps } from '../../src/index.js';
import { codecError, hex } from '../helpers.js';
import { h264Sps } from '../sps-writer.js';

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

export const withTiming = h264Sps({ profileIdc: 77, levelIdc: 30, picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29, vui: { timing: [1, 50] } });

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

export const h264Base = { profileIdc: 100, levelIdc: 30, picWidthInMbsMinus1: 39, picHeightInMapUnitsMinus1: 29 };

/** Malformed SPS → the error it must throw. */
export const h264SpsErrors: { name: string; bytes: Uint8Array; error: unknown }[] = [
  { name: 'empty', bytes: hex(''), error: TruncatedError },
  { name: 'header only', bytes: hex('67'), error: TruncatedError },
  { name: 'a PPS', bytes: hex('68ebe04d2c8b'), error: codecError('WRONG_NAL_TYPE') },
  { name: 'cut after level_idc', bytes: hex('6764001f'), error: TruncatedError },
  { name: 'cut inside max_num_ref_frames', bytes: hex('6764001facd9'), error: TruncatedError },
  { name: 'seq_parameter_set_id 32', bytes: h264Sps({ ...h264Base, seqParameterSetId: 32 }), error: codecError('INVALID_VALUE') },
  { name: 'chroma_format_idc 4', bytes: h264Sps({ ...h264Base, chromaFormatIdc: 4 }), error: codecError('INVALID_VALUE') },
  { name: 'bit_depth_luma_minus8 7', bytes: h264Sps({ ...h264Base, bitDepthLumaMinus8: 7 }), error: codecError('INVALID_VALUE') },
  { name: 'delta_scale 128', bytes: h264Sps({ ...h264Base, scalingLists: [[128]] }), error: codecError('INVALID_VALUE') },
  { name: 'log2_max_frame_num_minus4 13', bytes: h264Sps({ ...h264Base, log2MaxFrameNumMinus4: 13 }), error: codecError('INVALID_VALUE') },
  { name: 'pic_order_cnt_type 3', bytes: h264Sps({ ...h264Base, picOrderCntType: 3 }), error: codecError('INVALID_VALUE') },
  {
    name: 'num_ref_frames_in_pic_order_cnt_cycle 4 billion',
    bytes: h264Sps({ ...h264Base, picOrderCntType: 1, pocCycleCount: 4_000_000_000 }),
    error: codecError('INVALID_VALUE'),
  },
  { name: 'max_num_ref_frames 17', bytes: h264Sps({ ...h264Base, maxNumRefFrames: 17 }), error: codecError('INVALID_VALUE') },
  { name: 'width of 1 million macroblocks', bytes: h264Sps({ ...h264Base, picWidthInMbsMinus1: 1_000_000 }), error: codecError('INVALID_VALUE') },
  { name: 'cropping larger than the picture', bytes: h264Sps({ ...h264Base, crop: [200, 200, 0, 0] }), error: codecError('INVALID_VALUE') },
  { name: 'an Exp-Golomb code of 40 bits', bytes: hex('6764001f 00 00 00 00 00 ff'), error: codecError('EXP_GOLOMB_OVERFLOW') },
];
