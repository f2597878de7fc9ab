/**
 * Synthetic parameter sets for the cases real encoders do not produce
 * (pic_order_cnt_type 1, monochrome, separate colour planes, profile space,
 * tiers, sub-layer profiles) and for absurd values. Fields are written raw, without
 * range checks, so tests can write what the parsers must reject.
 */
import { BitWriter, addEmulationPrevention } from '../src/index.js';

export interface H264SpsFields {
  profileIdc: number;
  constraintFlags?: number;
  levelIdc: number;
  seqParameterSetId?: number;
  /** Written only for the high profiles. */
  chromaFormatIdc?: number;
  separateColourPlane?: boolean;
  bitDepthLumaMinus8?: number;
  bitDepthChromaMinus8?: number;
  /** seq_scaling_list_present_flag[i] and its delta_scale values; null = not present. */
  scalingLists?: (number[] | null)[];
  log2MaxFrameNumMinus4?: number;
  picOrderCntType?: number;
  log2MaxPicOrderCntLsbMinus4?: number;
  /** pic_order_cnt_type 1: offset_for_ref_frame[] (the count is written as given in pocCycleCount or its length). */
  offsetForRefFrame?: number[];
  pocCycleCount?: number;
  maxNumRefFrames?: number;
  picWidthInMbsMinus1: number;
  picHeightInMapUnitsMinus1: number;
  frameMbsOnly?: boolean;
  crop?: [number, number, number, number];
  vui?: {
    aspectRatioIdc?: number;
    sar?: [number, number];
    videoSignal?: boolean;
    chromaLoc?: [number, number];
    timing?: [numUnitsInTick: number, timeScale: number];
  };
}

const HIGH = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

export function h264Sps(f: H264SpsFields): Uint8Array {
  const w = new BitWriter();
  w.bits(8, 0x67).bits(8, f.profileIdc).bits(8, f.constraintFlags ?? 0).bits(8, f.levelIdc).ue(f.seqParameterSetId ?? 0);
  if (HIGH.has(f.profileIdc)) {
    const chroma = f.chromaFormatIdc ?? 1;
    w.ue(chroma);
    if (chroma === 3) w.bit(f.separateColourPlane ?? false);
    w.ue(f.bitDepthLumaMinus8 ?? 0).ue(f.bitDepthChromaMinus8 ?? 0).bit(0);
    w.bit(f.scalingLists !== undefined);
    for (const list of f.scalingLists ?? []) {
      w.bit(list !== null);
      for (const delta of list ?? []) w.se(delta);
    }
  }
  w.ue(f.log2MaxFrameNumMinus4 ?? 0);
  const poc = f.picOrderCntType ?? 0;
  w.ue(poc);
  if (poc === 0) w.ue(f.log2MaxPicOrderCntLsbMinus4 ?? 2);
  else if (poc === 1) {
    const offsets = f.offsetForRefFrame ?? [];
    w.bit(0).se(-2).se(1).ue(f.pocCycleCount ?? offsets.length);
    for (const o of offsets) w.se(o);
  }
  w.ue(f.maxNumRefFrames ?? 1).bit(0).ue(f.picWidthInMbsMinus1).ue(f.picHeightInMapUnitsMinus1);
  const frameMbsOnly = f.frameMbsOnly ?? true;
  w.bit(frameMbsOnly);
  if (!frameMbsOnly) w.bit(1);
  w.bit(1); // direct_8x8_inference_flag
  w.bit(f.crop !== undefined);
  if (f.crop) for (const c of f.crop) w.ue(c);
  w.bit(f.vui !== undefined);
  if (f.vui) {
    const v = f.vui;
    w.bit(v.aspectRatioIdc !== undefined);
    if (v.aspectRatioIdc !== undefined) {
      w.bits(8, v.aspectRatioIdc);
      if (v.aspectRatioIdc === 255) w.bits(16, v.sar![0]).bits(16, v.sar![1]);
    }
    w.bit(0); // overscan_info_present_flag
    w.bit(v.videoSignal ?? false);
    if (v.videoSignal) w.bits(3, 5).bit(0).bit(1).bits(8, 1).bits(8, 1).bits(8, 1);
    w.bit(v.chromaLoc !== undefined);
    if (v.chromaLoc) w.ue(v.chromaLoc[0]).ue(v.chromaLoc[1]);
    w.bit(v.timing !== undefined);
    if (v.timing) w.bits(32, v.timing[0]).bits(32, v.timing[1]).bit(1);
    w.bit(0).bit(0).bit(0).bit(0); // nal/vcl hrd, pic_struct, bitstream_restriction
  }
  return finish(w, undefined);
}

export interface H265SpsFields {
  maxSubLayersMinus1?: number;
  temporalIdNesting?: boolean;
  generalProfileSpace?: number;
  generalTierFlag?: number;
  generalProfileIdc: number;
  generalProfileCompatibilityFlags?: number;
  generalConstraintIndicatorFlags?: number[];
  generalLevelIdc: number;
  /** Per sub-layer [profile_present, level_present]. */
  subLayers?: [boolean, boolean][];
  seqParameterSetId?: number;
  chromaFormatIdc?: number;
  separateColourPlane?: boolean;
  width: number;
  height: number;
  conformanceWindow?: [number, number, number, number];
  bitDepthLumaMinus8?: number;
  bitDepthChromaMinus8?: number;
  truncateAtBit?: number;
}

export function h265Sps(f: H265SpsFields): Uint8Array {
  const w = new BitWriter();
  const subLayersMinus1 = f.maxSubLayersMinus1 ?? 0;
  w.bits(16, 0x4201).bits(4, 0).bits(3, subLayersMinus1).bit(f.temporalIdNesting ?? true);
  writePtlGeneral(w, f);
  const sub = f.subLayers ?? [];
  for (let i = 0; i < subLayersMinus1; i++) w.bit(sub[i]?.[0] ?? false).bit(sub[i]?.[1] ?? false);
  if (subLayersMinus1 > 0) for (let i = subLayersMinus1; i < 8; i++) w.bits(2, 0);
  for (let i = 0; i < subLayersMinus1; i++) {
    if (sub[i]?.[0]) writePtlGeneral(w, { ...f, generalLevelIdc: -1 });
    if (sub[i]?.[1]) w.bits(8, 90);
  }
  w.ue(f.seqParameterSetId ?? 0);
  const chroma = f.chromaFormatIdc ?? 1;
  w.ue(chroma);
  if (chroma === 3) w.bit(f.separateColourPlane ?? false);
  w.ue(f.width).ue(f.height).bit(f.conformanceWindow !== undefined);
  if (f.conformanceWindow) for (const c of f.conformanceWindow) w.ue(c);
  w.ue(f.bitDepthLumaMinus8 ?? 0).ue(f.bitDepthChromaMinus8 ?? 0);
  w.ue(4); // log2_max_pic_order_cnt_lsb_minus4: the parser stops before it
  return finish(w, f.truncateAtBit);
}

/** The 88 (or, with a level, 96) general / sub-layer profile bits; generalLevelIdc -1 = no level. */
function writePtlGeneral(w: BitWriter, f: H265SpsFields): void {
  w.bits(2, f.generalProfileSpace ?? 0).bits(1, f.generalTierFlag ?? 0).bits(5, f.generalProfileIdc);
  w.bits(32, f.generalProfileCompatibilityFlags ?? 0x60000000);
  for (const b of f.generalConstraintIndicatorFlags ?? [0x90, 0, 0, 0, 0, 0]) w.bits(8, b);
  if (f.generalLevelIdc >= 0) w.bits(8, f.generalLevelIdc);
}

function finish(w: BitWriter, truncateAtBit: number | undefined): Uint8Array {
  const bytes = w.trailingBits().toBytes();
  if (truncateAtBit === undefined) return addEmulationPrevention(bytes);
  const cut = bytes.slice(0, Math.ceil(truncateAtBit / 8));
  return addEmulationPrevention(cut);
}
