/**
 * H.265 / HEVC: NAL unit types, the sequence parameter set (up to the bit depths),
 * codec strings.
 *
 * Specification: ITU-T H.265 (08/2021), sections 7.3.1.2 (nal_unit_header),
 * 7.3.2.2.1 (seq_parameter_set_rbsp), 7.3.3 (profile_tier_level).
 */
import { BitReader } from './bit-reader.js';
import { TruncatedError } from './byte-reader.js';
import { CodecError, checkRange } from './errors.js';
import { removeEmulationPrevention } from './nal.js';

/** nal_unit_type values (H.265 Table 7-1), plus the RTP packet types of RFC 7798 section 4.4. */
export const H265NalType = {
  TRAIL_N: 0,
  TRAIL_R: 1,
  TSA_N: 2,
  TSA_R: 3,
  STSA_N: 4,
  STSA_R: 5,
  RADL_N: 6,
  RADL_R: 7,
  RASL_N: 8,
  RASL_R: 9,
  BLA_W_LP: 16,
  BLA_W_RADL: 17,
  BLA_N_LP: 18,
  IDR_W_RADL: 19,
  IDR_N_LP: 20,
  CRA: 21,
  VPS: 32,
  SPS: 33,
  PPS: 34,
  AUD: 35,
  EOS: 36,
  EOB: 37,
  FD: 38,
  PREFIX_SEI: 39,
  SUFFIX_SEI: 40,
  /** RFC 7798 aggregation packet, fragmentation unit, PACI (RTP only). */
  AP: 48,
  FU: 49,
  PACI: 50,
} as const;

/** nal_unit_type of an H.265 NAL unit (bits 1..6 of the first header byte). */
export function h265NalType(nal: Uint8Array): number {
  if (nal.byteLength < 2) throw new TruncatedError(2, nal.byteLength, 'H.265 NAL header');
  return (nal[0]! >> 1) & 0x3f;
}

export interface H265Sps {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  /** general_profile_compatibility_flag[0..31], flag 0 in the most significant bit. */
  generalProfileCompatibilityFlags: number;
  /** The 48 bits from general_progressive_source_flag on, as 6 bytes. */
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Display size: pic_width/height_in_luma_samples minus the conformance window. */
  width: number;
  height: number;
  videoParameterSetId: number;
  seqParameterSetId: number;
  /** sps_max_sub_layers_minus1 + 1. */
  maxSubLayers: number;
  temporalIdNesting: boolean;
  /** pic_width_in_luma_samples, pic_height_in_luma_samples. */
  codedWidth: number;
  codedHeight: number;
}

/**
 * Largest picture dimension any level allows: Sqrt(MaxLumaPs * 8) with
 * MaxLumaPs = 35 651 584 for level 6.2 (A.4.1). Caps absurd ue(v) sizes.
 */
const MAX_LUMA_DIMENSION = 16888;

export interface ProfileTierLevel {
  generalProfileSpace: number;
  generalTierFlag: number;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags: number;
  generalConstraintIndicatorFlags: Uint8Array;
  generalLevelIdc: number;
}

/**
 * profile_tier_level(1, maxNumSubLayersMinus1): the general part is kept, the
 * sub-layer parts are skipped.
 *
 * Specification: ITU-T H.265 section 7.3.3
 */
export function parseProfileTierLevel(r: BitReader, maxNumSubLayersMinus1: number): ProfileTierLevel {
  const generalProfileSpace = r.bits(2);
  const generalTierFlag = r.bits(1);
  const generalProfileIdc = r.bits(5);
  const generalProfileCompatibilityFlags = r.bits(32);
  const generalConstraintIndicatorFlags = new Uint8Array(6);
  for (let i = 0; i < 6; i++) generalConstraintIndicatorFlags[i] = r.bits(8);
  const generalLevelIdc = r.bits(8);
  const subLayerProfilePresent: boolean[] = [];
  const subLayerLevelPresent: boolean[] = [];
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    subLayerProfilePresent.push(r.bool());
    subLayerLevelPresent.push(r.bool());
  }
  if (maxNumSubLayersMinus1 > 0) r.skipBits(2 * (8 - maxNumSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxNumSubLayersMinus1; i++) {
    // sub_layer profile space, tier, idc, 32 compatibility flags, 48 constraint bits
    if (subLayerProfilePresent[i]) r.skipBits(88);
    if (subLayerLevelPresent[i]) r.skipBits(8); // sub_layer_level_idc
  }
  return {
    generalProfileSpace,
    generalTierFlag,
    generalProfileIdc,
    generalProfileCompatibilityFlags,
    generalConstraintIndicatorFlags,
    generalLevelIdc,
  };
}

/**
 * Parses an SPS NAL unit (2-byte header included, emulation prevention allowed)
 * up to bit_depth_chroma_minus8: everything a decoder configuration and a track
 * description need.
 *
 * Specification: ITU-T H.265 section 7.3.2.2.1
 */
export function parseH265Sps(nal: Uint8Array): H265Sps {
  const type = h265NalType(nal);
  if (type !== H265NalType.SPS) throw new CodecError('WRONG_NAL_TYPE', `expected H.265 SPS (33), got NAL type ${type}`);
  const r = new BitReader(removeEmulationPrevention(nal).subarray(2));

  const videoParameterSetId = r.bits(4);
  const maxSubLayersMinus1 = checkRange(r.bits(3), 0, 6, 'sps_max_sub_layers_minus1');
  const temporalIdNesting = r.bool();
  const ptl = parseProfileTierLevel(r, maxSubLayersMinus1);
  const seqParameterSetId = checkRange(r.ue(), 0, 15, 'sps_seq_parameter_set_id');
  const chromaFormatIdc = checkRange(r.ue(), 0, 3, 'chroma_format_idc');
  let separateColourPlane = false;
  if (chromaFormatIdc === 3) separateColourPlane = r.bool();
  const codedWidth = checkRange(r.ue(), 1, MAX_LUMA_DIMENSION, 'pic_width_in_luma_samples');
  const codedHeight = checkRange(r.ue(), 1, MAX_LUMA_DIMENSION, 'pic_height_in_luma_samples');
  let width = codedWidth;
  let height = codedHeight;
  if (r.bool()) {
    // conformance_window_flag: offsets in chroma sample units (7.4.3.2.1, Table 6-1).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    width = codedWidth - subWidthC * (left + right);
    height = codedHeight - subHeightC * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new CodecError(
        'INVALID_VALUE',
        `conformance window (${left}, ${right}, ${top}, ${bottom}) leaves nothing of ${codedWidth}x${codedHeight}`,
      );
    }
  }
  const bitDepthLuma = 8 + checkRange(r.ue(), 0, 8, 'bit_depth_luma_minus8');
  const bitDepthChroma = 8 + checkRange(r.ue(), 0, 8, 'bit_depth_chroma_minus8');
  return {
    ...ptl,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    videoParameterSetId,
    seqParameterSetId,
    maxSubLayers: maxSubLayersMinus1 + 1,
    temporalIdNesting,
    codedWidth,
    codedHeight,
  };
}

/**
 * RFC 6381 codec string of an SPS, ISO/IEC 14496-15 Annex E.3:
 *   hvc1.[A|B|C]<general_profile_idc>.<compatibility flags, bit-reversed, hex>
 *        .<L|H><general_level_idc>[.<constraint byte, hex>...]
 * e.g. `hvc1.1.6.L93.B0` for Main, level 3.1. Trailing zero constraint bytes are
 * dropped. `hev1` for streams that carry parameter sets in-band.
 */
export function h265CodecString(sps: Uint8Array, sampleEntry: 'hvc1' | 'hev1' = 'hvc1'): string {
  return hevcCodecStringOf(parseH265Sps(sps), sampleEntry);
}

/** @internal The codec string from profile_tier_level fields (shared with the hvcC path). */
export function hevcCodecStringOf(ptl: ProfileTierLevel, sampleEntry: 'hvc1' | 'hev1'): string {
  let reversed = 0;
  let flags = ptl.generalProfileCompatibilityFlags;
  for (let i = 0; i < 32; i++) {
    reversed = reversed * 2 + (flags % 2);
    flags = Math.floor(flags / 2);
  }
  const constraints = Array.from(ptl.generalConstraintIndicatorFlags);
  while (constraints.length > 0 && constraints[constraints.length - 1] === 0) constraints.pop();
  return [
    sampleEntry,
    ['', 'A', 'B', 'C'][ptl.generalProfileSpace]! + String(ptl.generalProfileIdc),
    reversed.toString(16).toUpperCase(),
    (ptl.generalTierFlag ? 'H' : 'L') + String(ptl.generalLevelIdc),
    ...constraints.map((b) => b.toString(16).toUpperCase()),
  ].join('.');
}

/** True when the access unit holds an IRAP picture (BLA, IDR or CRA: types 16..23). */
export function isH265Keyframe(nals: readonly Uint8Array[]): boolean {
  for (const nal of nals) {
    if (nal.byteLength === 0) continue;
    const type = (nal[0]! >> 1) & 0x3f;
    if (type >= 16 && type <= 23) return true;
  }
  return false;
}
