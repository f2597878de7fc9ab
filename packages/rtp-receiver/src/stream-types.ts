/**
 * Which codec an elementary stream carries: from the stream_type of a PSM or PMT,
 * or, for a program stream without a map, sniffed from the first bytes.
 *
 * Specification: ISO/IEC 13818-1 table 2-34 (stream_type); GB/T 28181-2016 annex C
 * (0x90 G.711A, 0x91 G.711U in the program stream map).
 */
import { CodecError, H264NalType, H265NalType, TruncatedError, h264NalType, h265NalType, parseAdts } from '@sluice/codec';
import type { EsCodec } from './frame.js';

export const StreamType = {
  Mpeg4Visual: 0x10,
  AacAdts: 0x0f,
  H264: 0x1b,
  H265: 0x24,
  G711A: 0x90,
  G711U: 0x91,
} as const;

/** The codec of a stream_type, undefined for types not relayed (MPEG-4 Visual, SVAC, G.722.1, ...). */
export function codecOfStreamType(streamType: number): EsCodec | undefined {
  switch (streamType) {
    case StreamType.H264:
      return 'h264';
    case StreamType.H265:
      return 'h265';
    case StreamType.AacAdts:
      return 'aac';
    case StreamType.G711A:
      return 'pcma';
    case StreamType.G711U:
      return 'pcmu';
    default:
      return undefined;
  }
}

/**
 * H.264 or H.265 from the NAL units of an access unit, by its parameter sets: an
 * H.265 VPS/SPS/PPS header (forbidden_zero_bit 0, nuh_layer_id 0,
 * nuh_temporal_id_plus1 > 0) or an H.264 SPS. The header bytes of one codec's
 * parameter sets are not parameter sets of the other. Undefined when the unit has
 * none (wait for a keyframe).
 */
export function sniffVideoCodec(nals: readonly Uint8Array[]): 'h264' | 'h265' | undefined {
  for (const nal of nals) {
    if (nal.byteLength >= 2 && (nal[0]! & 0x81) === 0 && (nal[1]! & 0xf8) === 0 && (nal[1]! & 0x07) !== 0) {
      const t = h265NalType(nal);
      if (t === H265NalType.VPS || t === H265NalType.SPS || t === H265NalType.PPS) return 'h265';
    }
  }
  for (const nal of nals) {
    if (nal.byteLength >= 1 && (nal[0]! & 0x80) === 0 && h264NalType(nal) === H264NalType.Sps) return 'h264';
  }
  return undefined;
}

/**
 * AAC when the PES payload starts with an ADTS header (even if the frame continues
 * in the next PES), else G.711 A-law: GB28181 cameras without a map send one of the
 * two, and A-law is the default of the standard.
 */
export function sniffAudioCodec(payload: Uint8Array): 'aac' | 'pcma' | undefined {
  if (payload.byteLength === 0) return undefined;
  try {
    // Only the first header matters: 7 bytes of it.
    parseAdts(payload.subarray(0, 7));
    return 'aac';
  } catch (err) {
    if (err instanceof TruncatedError) return 'aac';
    if (err instanceof CodecError && err.code !== 'BAD_SYNC') return 'aac';
    return 'pcma';
  }
}
