/**
 * HEVCDecoderConfigurationRecord: the body of an MP4 `hvcC` box and of the
 * enhanced-RTMP HEVC sequence header.
 *
 * Specification: ISO/IEC 14496-15 section 8.3.3.1
 *
 *   configurationVersion (8) = 1
 *   general_profile_space (2) general_tier_flag (1) general_profile_idc (5)
 *   general_profile_compatibility_flags (32)
 *   general_constraint_indicator_flags (48)
 *   general_level_idc (8)
 *   '1111' min_spatial_segmentation_idc (12)
 *   '111111' parallelismType (2)
 *   '111111' chroma_format_idc (2)
 *   '11111' bit_depth_luma_minus8 (3)
 *   '11111' bit_depth_chroma_minus8 (3)
 *   avgFrameRate (16)
 *   constantFrameRate (2) numTemporalLayers (3) temporalIdNested (1) lengthSizeMinusOne (2)
 *   numOfArrays (8)
 *   { array_completeness (1) reserved (1) NAL_unit_type (6) numNalus (16)
 *     { nalUnitLength (16) nalUnit } ... } ...
 */
import { lengthSizeOf, putNal } from './avc-decoder-config.js';
import { ByteReader } from './byte-reader.js';
import { CodecError } from './errors.js';
import { H265NalType, h265NalType, parseH265Sps } from './h265.js';

export interface HevcDecoderConfig {
  lengthSize: 1 | 2 | 4;
  /** Views into the record, not copies. */
  vps: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** NAL units of other arrays (prefix / suffix SEI), in record order. */
  other: Uint8Array[];
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags: number;
  /** 6 bytes, a view into the record. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  minSpatialSegmentationIdc: number;
  parallelismType: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  avgFrameRate: number;
  constantFrameRate: number;
  numTemporalLayers: number;
  temporalIdNested: boolean;
}

/** Size of the fixed part, numOfArrays included. */
const HVCC_HEADER_SIZE = 23;

/** Specification: ISO/IEC 14496-15 section 8.3.3.1.2 */
export function parseHevcDecoderConfig(hvcC: Uint8Array): HevcDecoderConfig {
  const r = new ByteReader(hvcC);
  const version = r.u8();
  if (version !== 1) throw new CodecError('BAD_VERSION', `hvcC configurationVersion ${version}, expected 1`);
  r.ensure(HVCC_HEADER_SIZE - 1, 'hvcC header');
  const b1 = r.u8();
  const generalProfileCompatibilityFlags = r.u32();
  const generalConstraintIndicatorFlags = r.bytesView(6);
  const generalLevelIdc = r.u8();
  const minSpatialSegmentationIdc = r.u16() & 0x0fff;
  const parallelismType = r.u8() & 0x03;
  const chromaFormatIdc = r.u8() & 0x03;
  const bitDepthLuma = (r.u8() & 0x07) + 8;
  const bitDepthChroma = (r.u8() & 0x07) + 8;
  const avgFrameRate = r.u16();
  const b21 = r.u8();
  const config: HevcDecoderConfig = {
    lengthSize: lengthSizeOf((b21 & 0x03) + 1, 'hvcC'),
    vps: [],
    sps: [],
    pps: [],
    other: [],
    generalProfileSpace: b1 >> 6,
    generalTierFlag: (b1 >> 5) & 1,
    generalProfileIdc: b1 & 0x1f,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
    minSpatialSegmentationIdc,
    parallelismType,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    avgFrameRate,
    constantFrameRate: b21 >> 6,
    numTemporalLayers: (b21 >> 3) & 0x07,
    temporalIdNested: ((b21 >> 2) & 1) === 1,
  };
  // Each count is bounded by the input: every NAL unit costs at least its 2-byte length.
  const numOfArrays = r.u8();
  for (let j = 0; j < numOfArrays; j++) {
    const type = r.u8() & 0x3f;
    const numNalus = r.u16();
    const list =
      type === H265NalType.VPS ? config.vps : type === H265NalType.SPS ? config.sps : type === H265NalType.PPS ? config.pps : config.other;
    for (let i = 0; i < numNalus; i++) list.push(r.bytesView(r.u16(), 'hvcC NAL unit'));
  }
  return config;
}

/**
 * Builds an HEVCDecoderConfigurationRecord with 4-byte NAL lengths and complete
 * VPS, SPS and PPS arrays (as `hvc1` requires). The general profile, tier, level,
 * chroma format, bit depths and temporal layering come from the first SPS;
 * min_spatial_segmentation_idc, parallelismType and the frame rate fields are 0
 * (unknown), which the record allows.
 */
export function buildHevcDecoderConfig(
  vps: readonly Uint8Array[],
  sps: readonly Uint8Array[],
  pps: readonly Uint8Array[],
): Uint8Array {
  const arrays: [number, readonly Uint8Array[], string][] = [
    [H265NalType.VPS, vps, 'VPS'],
    [H265NalType.SPS, sps, 'SPS'],
    [H265NalType.PPS, pps, 'PPS'],
  ];
  let size = HVCC_HEADER_SIZE;
  for (const [type, nals, what] of arrays) {
    if (nals.length === 0) throw new CodecError('MISSING_PARAMETER_SET', `hvcC needs at least one ${what}`);
    if (nals.length > 0xffff) throw new CodecError('INVALID_VALUE', `${nals.length} ${what}, an hvcC array holds at most 65535`);
    size += 3;
    for (const nal of nals) {
      if (nal.byteLength > 0xffff) throw new CodecError('INVALID_VALUE', `${what} of ${nal.byteLength} bytes, at most 65535`);
      const t = h265NalType(nal);
      if (t !== type) throw new CodecError('WRONG_NAL_TYPE', `expected H.265 ${what} (${type}), got NAL type ${t}`);
      size += 2 + nal.byteLength;
    }
  }
  const s = parseH265Sps(sps[0]!);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = 1; // configurationVersion
  out[1] = (s.generalProfileSpace << 6) | (s.generalTierFlag << 5) | s.generalProfileIdc;
  view.setUint32(2, s.generalProfileCompatibilityFlags);
  out.set(s.generalConstraintIndicatorFlags, 6);
  out[12] = s.generalLevelIdc;
  view.setUint16(13, 0xf000); // reserved '1111', min_spatial_segmentation_idc 0
  out[15] = 0xfc; // reserved '111111', parallelismType 0 (unknown)
  out[16] = 0xfc | s.chromaFormatIdc;
  out[17] = 0xf8 | (s.bitDepthLuma - 8);
  out[18] = 0xf8 | (s.bitDepthChroma - 8);
  view.setUint16(19, 0); // avgFrameRate: unspecified
  // constantFrameRate 0 | numTemporalLayers | temporalIdNested | lengthSizeMinusOne 3
  out[21] = (s.maxSubLayers << 3) | ((s.temporalIdNesting ? 1 : 0) << 2) | 3;
  out[22] = arrays.length; // numOfArrays
  let p = HVCC_HEADER_SIZE;
  for (const [type, nals] of arrays) {
    out[p++] = 0x80 | type; // array_completeness 1
    out[p++] = nals.length >> 8;
    out[p++] = nals.length & 0xff;
    for (const nal of nals) p = putNal(out, p, nal);
  }
  return out;
}
