/** H.265 case tables: libx265 fixtures, SPS syntax, malformed SPS. */
import { TruncatedError, type H265Sps } from '../../src/index.js';
import { codecError, hex } from '../helpers.js';
import { h265Sps } from '../sps-writer.js';

export type SpsExpect = Partial<Omit<H265Sps, 'generalConstraintIndicatorFlags'>> & { generalConstraintIndicatorFlags?: number[] };

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

export const h265Base = { generalProfileIdc: 1, generalLevelIdc: 93, width: 640, height: 360 };

/** Synthetic SPS for what x265 does not write: bytes → decoded fields. */
export const h265SpsCases: { name: string; bytes: Uint8Array; decoded: SpsExpect }[] = [
  {
    name: 'profile space 1, high tier',
    bytes: h265Sps({ ...h265Base, generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 120 }),
    decoded: { generalProfileSpace: 1, generalTierFlag: 1, generalLevelIdc: 120 },
  },
  {
    name: 'four sub-layers with mixed profile / level present flags',
    bytes: h265Sps({ ...h265Base, maxSubLayersMinus1: 3, subLayers: [[true, true], [false, true], [true, false]] }),
    decoded: { maxSubLayers: 4, width: 640, height: 360, generalLevelIdc: 93 },
  },
  {
    name: 'seven sub-layers, all present',
    bytes: h265Sps({ ...h265Base, maxSubLayersMinus1: 6, subLayers: Array.from({ length: 6 }, () => [true, true] as [boolean, boolean]) }),
    decoded: { maxSubLayers: 7, width: 640, height: 360 },
  },
  {
    name: '4:2:2 conformance window: units of 2 x 1',
    bytes: h265Sps({ ...h265Base, chromaFormatIdc: 2, width: 1928, height: 1088, conformanceWindow: [1, 3, 2, 6] }),
    decoded: { chromaFormatIdc: 2, width: 1920, height: 1080 },
  },
  {
    name: '4:2:0 conformance window: units of 2 x 2',
    bytes: h265Sps({ ...h265Base, width: 1920, height: 1088, conformanceWindow: [0, 0, 0, 4] }),
    decoded: { width: 1920, height: 1080 },
  },
  {
    name: 'monochrome 12-bit: units of 1 x 1',
    bytes: h265Sps({ ...h265Base, chromaFormatIdc: 0, bitDepthLumaMinus8: 4, bitDepthChromaMinus8: 4, width: 648, height: 368, conformanceWindow: [3, 4, 5, 3] }),
    decoded: { chromaFormatIdc: 0, bitDepthLuma: 12, width: 641, height: 360 },
  },
  {
    name: '4:4:4 separate_colour_plane: units of 1 x 1',
    bytes: h265Sps({ ...h265Base, chromaFormatIdc: 3, separateColourPlane: true, width: 648, height: 368, conformanceWindow: [0, 7, 0, 7] }),
    decoded: { chromaFormatIdc: 3, width: 641, height: 361 },
  },
];

export const h265SpsErrors: { name: string; bytes: Uint8Array; error: unknown }[] = [
  { name: 'empty', bytes: hex(''), error: TruncatedError },
  { name: 'one header byte', bytes: hex('42'), error: TruncatedError },
  { name: 'header only', bytes: hex('4201'), error: TruncatedError },
  { name: 'a VPS', bytes: hex('40010c01ffff016000000300900000030000030078959809'), error: codecError('WRONG_NAL_TYPE') },
  { name: 'cut inside profile_tier_level', bytes: hex('420101016000000300900000'), error: TruncatedError },
  {
    name: 'cut inside the sub-layer profiles',
    bytes: h265Sps({ ...h265Base, maxSubLayersMinus1: 6, subLayers: Array.from({ length: 6 }, () => [true, true] as [boolean, boolean]) }).subarray(0, 40),
    error: TruncatedError,
  },
  { name: 'sps_max_sub_layers_minus1 7', bytes: h265Sps({ ...h265Base, maxSubLayersMinus1: 7 }), error: codecError('INVALID_VALUE') },
  { name: 'sps_seq_parameter_set_id 16', bytes: h265Sps({ ...h265Base, seqParameterSetId: 16 }), error: codecError('INVALID_VALUE') },
  { name: 'chroma_format_idc 4', bytes: h265Sps({ ...h265Base, chromaFormatIdc: 4 }), error: codecError('INVALID_VALUE') },
  { name: 'pic_width_in_luma_samples 0', bytes: h265Sps({ ...h265Base, width: 0 }), error: codecError('INVALID_VALUE') },
  { name: 'pic_height_in_luma_samples 100000', bytes: h265Sps({ ...h265Base, height: 100_000 }), error: codecError('INVALID_VALUE') },
  { name: 'conformance window larger than the picture', bytes: h265Sps({ ...h265Base, conformanceWindow: [0, 0, 90, 90] }), error: codecError('INVALID_VALUE') },
  { name: 'bit_depth_luma_minus8 9', bytes: h265Sps({ ...h265Base, bitDepthLumaMinus8: 9 }), error: codecError('INVALID_VALUE') },
  {
    name: 'an Exp-Golomb code of 40 bits',
    bytes: hex('420101016000000300900000030000030078 00 00 00 00 00 ff'),
    error: codecError('EXP_GOLOMB_OVERFLOW'),
  },
];
