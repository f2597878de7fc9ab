/**
 * H.264 / AVC: NAL unit types, the sequence parameter set, codec strings.
 *
 * Specification: ITU-T H.264 (08/2021), sections 7.3.1 (NAL unit header),
 * 7.3.2.1.1 (seq_parameter_set_data), 7.4.2.1.1 (its semantics), E.1.1 (VUI).
 */
import { BitReader } from './bit-reader.js';
import { TruncatedError } from './byte-reader.js';
import { CodecError, checkRange } from './errors.js';
import { removeEmulationPrevention } from './nal.js';

/** nal_unit_type values (H.264 Table 7-1), plus the RTP packet types of RFC 6184 section 5.2. */
export const H264NalType = {
  NonIdr: 1,
  PartitionA: 2,
  PartitionB: 3,
  PartitionC: 4,
  Idr: 5,
  Sei: 6,
  Sps: 7,
  Pps: 8,
  Aud: 9,
  EndOfSequence: 10,
  EndOfStream: 11,
  Filler: 12,
  SpsExtension: 13,
  Prefix: 14,
  SubsetSps: 15,
  Dps: 16,
  AuxiliarySlice: 19,
  SliceExtension: 20,
  SliceExtensionDepth: 21,
  /** RFC 6184 aggregation and fragmentation units (RTP only). */
  StapA: 24,
  StapB: 25,
  Mtap16: 26,
  Mtap24: 27,
  FuA: 28,
  FuB: 29,
} as const;

/** nal_unit_type of an H.264 NAL unit (low 5 bits of the header byte). */
export function h264NalType(nal: Uint8Array): number {
  if (nal.byteLength < 1) throw new TruncatedError(1, 0, 'H.264 NAL header');
  return nal[0]! & 0x1f;
}

export interface H264Sps {
  profileIdc: number;
  /** constraint_set0_flag..constraint_set5_flag and reserved_zero_2bits: the whole second SPS byte. */
  constraintFlags: number;
  levelIdc: number;
  seqParameterSetId: number;
  /** 0 monochrome, 1 4:2:0, 2 4:2:2, 3 4:4:4 (1 unless a high profile says otherwise). */
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** Display size: the coded size minus the frame cropping rectangle. */
  width: number;
  height: number;
  /** Frames per second from VUI timing_info (time_scale / (2 * num_units_in_tick)), if present. */
  frameRate?: number;
  /** Coded size in luma samples, before cropping. */
  codedWidth: number;
  codedHeight: number;
  /** frame_mbs_only_flag: false when the stream may hold field pictures (interlaced). */
  frameMbsOnly: boolean;
  picOrderCntType: number;
  log2MaxFrameNum: number;
  maxNumRefFrames: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling lists (7.3.2.1.1). */
const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/**
 * Largest PicWidthInMbs / FrameHeightInMbs any level allows: Sqrt(MaxFS * 8) with
 * MaxFS = 139264 for level 6.2 (A.3.1 item f). Caps absurd ue(v) sizes.
 */
const MAX_MBS_PER_DIMENSION = 1056;

/** num_ref_frames_in_pic_order_cnt_cycle is 0..255 (7.4.2.1.1); bounds the offset loop. */
const MAX_REF_FRAMES_IN_POC_CYCLE = 255;

/**
 * Parses an SPS NAL unit (header byte included, emulation prevention allowed).
 * A VUI that is truncated or malformed leaves `frameRate` undefined instead of
 * failing: the fields before it are what decoding setup needs, and cameras in the
 * wild send broken VUIs.
 *
 * Specification: ITU-T H.264 section 7.3.2.1.1
 */
export function parseH264Sps(nal: Uint8Array): H264Sps {
  const type = h264NalType(nal);
  if (type !== H264NalType.Sps) throw new CodecError('WRONG_NAL_TYPE', `expected H.264 SPS (7), got NAL type ${type}`);
  const r = new BitReader(removeEmulationPrevention(nal).subarray(1));

  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  const seqParameterSetId = checkRange(r.ue(), 0, 31, 'seq_parameter_set_id');

  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = checkRange(r.ue(), 0, 3, 'chroma_format_idc');
    if (chromaFormatIdc === 3) separateColourPlane = r.bool();
    bitDepthLuma = 8 + checkRange(r.ue(), 0, 6, 'bit_depth_luma_minus8');
    bitDepthChroma = 8 + checkRange(r.ue(), 0, 6, 'bit_depth_chroma_minus8');
    r.skipBits(1); // qpprime_y_zero_transform_bypass_flag
    const seqScalingMatrixPresent = r.bool();
    if (seqScalingMatrixPresent) {
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.bool()) skipScalingList(r, i < 6 ? 16 : 64); // seq_scaling_list_present_flag[i]
      }
    }
  }

  const log2MaxFrameNum = 4 + checkRange(r.ue(), 0, 12, 'log2_max_frame_num_minus4');
  const picOrderCntType = checkRange(r.ue(), 0, 2, 'pic_order_cnt_type');
  if (picOrderCntType === 0) {
    checkRange(r.ue(), 0, 12, 'log2_max_pic_order_cnt_lsb_minus4');
  } else if (picOrderCntType === 1) {
    r.skipBits(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = checkRange(r.ue(), 0, MAX_REF_FRAMES_IN_POC_CYCLE, 'num_ref_frames_in_pic_order_cnt_cycle');
    for (let i = 0; i < cycle; i++) r.se(); // offset_for_ref_frame[i]
  }
  const maxNumRefFrames = checkRange(r.ue(), 0, 16, 'max_num_ref_frames');
  r.skipBits(1); // gaps_in_frame_num_value_allowed_flag
  const picWidthInMbs = 1 + checkRange(r.ue(), 0, MAX_MBS_PER_DIMENSION - 1, 'pic_width_in_mbs_minus1');
  const picHeightInMapUnits = 1 + checkRange(r.ue(), 0, MAX_MBS_PER_DIMENSION - 1, 'pic_height_in_map_units_minus1');
  const frameMbsOnly = r.bool();
  if (!frameMbsOnly) r.skipBits(1); // mb_adaptive_frame_field_flag
  r.skipBits(1); // direct_8x8_inference_flag

  const codedWidth = picWidthInMbs * 16;
  const codedHeight = (frameMbsOnly ? 1 : 2) * picHeightInMapUnits * 16;
  let width = codedWidth;
  let height = codedHeight;
  if (r.bool()) {
    // frame_cropping_flag: offsets are in crop units (7.4.2.1.1, equations 7-19 to 7-22).
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
    const left = r.ue();
    const right = r.ue();
    const top = r.ue();
    const bottom = r.ue();
    width = codedWidth - cropUnitX * (left + right);
    height = codedHeight - cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) {
      throw new CodecError(
        'INVALID_VALUE',
        `frame cropping (${left}, ${right}, ${top}, ${bottom}) leaves nothing of ${codedWidth}x${codedHeight}`,
      );
    }
  }

  const sps: H264Sps = {
    profileIdc,
    constraintFlags,
    levelIdc,
    seqParameterSetId,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    width,
    height,
    codedWidth,
    codedHeight,
    frameMbsOnly,
    picOrderCntType,
    log2MaxFrameNum,
    maxNumRefFrames,
  };
  if (r.bool()) {
    // vui_parameters_present_flag
    try {
      const frameRate = parseVuiFrameRate(r);
      if (frameRate !== undefined) sps.frameRate = frameRate;
    } catch (err) {
      if (!(err instanceof TruncatedError || err instanceof CodecError)) throw err;
    }
  }
  return sps;
}

/**
 * scaling_list(): only skipped, but delta_scale must be read to find the end.
 *
 * Specification: ITU-T H.264 section 7.3.2.1.1.1
 */
function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const deltaScale = checkRange(r.se(), -128, 127, 'delta_scale');
      nextScale = (lastScale + deltaScale + 256) % 256;
    }
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/**
 * The VUI up to timing_info; returns the frame rate when timing_info_present_flag is set.
 *
 * Specification: ITU-T H.264 section E.1.1
 */
function parseVuiFrameRate(r: BitReader): number | undefined {
  if (r.bool()) {
    // aspect_ratio_info_present_flag
    const aspectRatioIdc = r.bits(8);
    if (aspectRatioIdc === 255) r.skipBits(32); // Extended_SAR: sar_width, sar_height
  }
  if (r.bool()) r.skipBits(1); // overscan_info_present_flag: overscan_appropriate_flag
  if (r.bool()) {
    // video_signal_type_present_flag: video_format, video_full_range_flag
    r.skipBits(4);
    if (r.bool()) r.skipBits(24); // colour_description_present_flag: primaries, transfer, matrix
  }
  if (r.bool()) {
    // chroma_loc_info_present_flag
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (!r.bool()) return undefined; // timing_info_present_flag
  const numUnitsInTick = r.bits(32);
  const timeScale = r.bits(32);
  if (numUnitsInTick === 0 || timeScale === 0) return undefined;
  return timeScale / (2 * numUnitsInTick);
}

/**
 * RFC 6381 codec string of an SPS: `avc1.PPCCLL`, profile_idc, the constraint byte
 * and level_idc in lower-case hex (ISO/IEC 14496-15 Annex E). `avc3` for streams
 * that carry parameter sets in-band.
 */
export function h264CodecString(sps: Uint8Array, sampleEntry: 'avc1' | 'avc3' = 'avc1'): string {
  const type = h264NalType(sps);
  if (type !== H264NalType.Sps) throw new CodecError('WRONG_NAL_TYPE', `expected H.264 SPS (7), got NAL type ${type}`);
  const rbsp = removeEmulationPrevention(sps);
  if (rbsp.byteLength < 4) throw new TruncatedError(4, rbsp.byteLength, 'H.264 SPS');
  return sampleEntry + '.' + hex2(rbsp[1]!) + hex2(rbsp[2]!) + hex2(rbsp[3]!);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, '0');
}

/** True when the access unit holds an IDR slice (a random access point). */
export function isH264Keyframe(nals: readonly Uint8Array[]): boolean {
  for (const nal of nals) {
    if (nal.byteLength > 0 && (nal[0]! & 0x1f) === H264NalType.Idr) return true;
  }
  return false;
}
