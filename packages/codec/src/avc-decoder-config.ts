/**
 * AVCDecoderConfigurationRecord: the body of an MP4 `avcC` box and of the RTMP/FLV
 * AVC sequence header.
 *
 * Specification: ISO/IEC 14496-15 section 5.3.3.1
 *
 *   configurationVersion (8) = 1 | AVCProfileIndication (8) | profile_compatibility (8)
 *   AVCLevelIndication (8) | reserved '111111' (6) lengthSizeMinusOne (2)
 *   reserved '111' (3) numOfSequenceParameterSets (5) | { length (16) SPS NAL } ...
 *   numOfPictureParameterSets (8) | { length (16) PPS NAL } ...
 *   [high profiles: '111111' chroma_format (2) | '11111' bit_depth_luma_minus8 (3)
 *    | '11111' bit_depth_chroma_minus8 (3) | numOfSequenceParameterSetExt (8) | { length (16) NAL } ...]
 */
import { ByteReader } from './byte-reader.js';
import { CodecError } from './errors.js';
import { H264NalType, h264NalType, parseH264Sps } from './h264.js';

export interface AvcDecoderConfig {
  profileIdc: number;
  profileCompatibility: number;
  levelIdc: number;
  lengthSize: 1 | 2 | 4;
  /** Views into the record, not copies. */
  sps: Uint8Array[];
  pps: Uint8Array[];
  /** The high-profile trailer, when the record has one (many muxers omit it). */
  chromaFormat?: number;
  bitDepthLuma?: number;
  bitDepthChroma?: number;
  spsExt?: Uint8Array[];
}

/**
 * profile_idc values whose record carries the chroma / bit-depth trailer: the list
 * in 14496-15 (100, 110, 122, 144) plus 244, which replaced 144 in H.264.
 */
const TRAILER_PROFILES = new Set([100, 110, 122, 144, 244]);

/** Specification: ISO/IEC 14496-15 section 5.3.3.1.2 */
export function parseAvcDecoderConfig(avcC: Uint8Array): AvcDecoderConfig {
  const r = new ByteReader(avcC);
  const version = r.u8();
  if (version !== 1) throw new CodecError('BAD_VERSION', `avcC configurationVersion ${version}, expected 1`);
  const profileIdc = r.u8();
  const profileCompatibility = r.u8();
  const levelIdc = r.u8();
  const lengthSize = lengthSizeOf((r.u8() & 0x03) + 1, 'avcC');
  const numSps = r.u8() & 0x1f;
  const sps: Uint8Array[] = [];
  for (let i = 0; i < numSps; i++) sps.push(r.bytesView(r.u16(), 'avcC SPS'));
  const numPps = r.u8();
  const pps: Uint8Array[] = [];
  for (let i = 0; i < numPps; i++) pps.push(r.bytesView(r.u16(), 'avcC PPS'));
  const config: AvcDecoderConfig = { profileIdc, profileCompatibility, levelIdc, lengthSize, sps, pps };
  // The trailer is optional in practice: parse it only when it is all there.
  if (TRAILER_PROFILES.has(profileIdc) && r.remaining >= 4) {
    const chromaFormat = r.u8() & 0x03;
    const bitDepthLuma = (r.u8() & 0x07) + 8;
    const bitDepthChroma = (r.u8() & 0x07) + 8;
    const numExt = r.u8();
    const spsExt: Uint8Array[] = [];
    for (let i = 0; i < numExt; i++) spsExt.push(r.bytesView(r.u16(), 'avcC SPS extension'));
    Object.assign(config, { chromaFormat, bitDepthLuma, bitDepthChroma, spsExt });
  }
  return config;
}

/** @internal Shared with the hvcC parser. */
export function lengthSizeOf(n: number, what: string): 1 | 2 | 4 {
  if (n === 1 || n === 2 || n === 4) return n;
  throw new CodecError('INVALID_VALUE', `${what} lengthSizeMinusOne ${n - 1}: NAL length size must be 1, 2 or 4`);
}

/**
 * Builds an AVCDecoderConfigurationRecord with 4-byte NAL lengths. Profile and
 * level come from the first SPS; the high-profile trailer is written for the
 * profiles that require it.
 */
export function buildAvcDecoderConfig(sps: readonly Uint8Array[], pps: readonly Uint8Array[]): Uint8Array {
  if (sps.length === 0) throw new CodecError('MISSING_PARAMETER_SET', 'avcC needs at least one SPS');
  if (pps.length === 0) throw new CodecError('MISSING_PARAMETER_SET', 'avcC needs at least one PPS');
  if (sps.length > 31) throw new CodecError('INVALID_VALUE', `${sps.length} SPS, an avcC holds at most 31`);
  if (pps.length > 255) throw new CodecError('INVALID_VALUE', `${pps.length} PPS, an avcC holds at most 255`);
  checkNals(sps, H264NalType.Sps, 'SPS');
  checkNals(pps, H264NalType.Pps, 'PPS');
  const first = parseH264Sps(sps[0]!);
  const trailer = TRAILER_PROFILES.has(first.profileIdc);

  let size = 7;
  for (const nal of sps) size += 2 + nal.byteLength;
  for (const nal of pps) size += 2 + nal.byteLength;
  if (trailer) size += 4;
  const out = new Uint8Array(size);
  let p = 0;
  out[p++] = 1; // configurationVersion
  out[p++] = first.profileIdc;
  out[p++] = first.constraintFlags;
  out[p++] = first.levelIdc;
  out[p++] = 0xfc | 3; // lengthSizeMinusOne = 3
  out[p++] = 0xe0 | sps.length;
  for (const nal of sps) p = putNal(out, p, nal);
  out[p++] = pps.length;
  for (const nal of pps) p = putNal(out, p, nal);
  if (trailer) {
    out[p++] = 0xfc | first.chromaFormatIdc;
    out[p++] = 0xf8 | (first.bitDepthLuma - 8);
    out[p++] = 0xf8 | (first.bitDepthChroma - 8);
    out[p++] = 0; // numOfSequenceParameterSetExt
  }
  return out;
}

function checkNals(nals: readonly Uint8Array[], type: number, what: string): void {
  for (const nal of nals) {
    if (nal.byteLength > 0xffff) throw new CodecError('INVALID_VALUE', `${what} of ${nal.byteLength} bytes, at most 65535`);
    const t = h264NalType(nal);
    if (t !== type) throw new CodecError('WRONG_NAL_TYPE', `expected H.264 ${what} (${type}), got NAL type ${t}`);
  }
}

/** @internal Writes a 16-bit length and the NAL unit; returns the new offset. */
export function putNal(out: Uint8Array, p: number, nal: Uint8Array): number {
  out[p] = nal.byteLength >> 8;
  out[p + 1] = nal.byteLength & 0xff;
  out.set(nal, p + 2);
  return p + 2 + nal.byteLength;
}
