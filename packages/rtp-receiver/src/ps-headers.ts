/**
 * MPEG-2 program stream structures other than PES: the pack header, the system
 * header and the program stream map.
 *
 * Specification: ISO/IEC 13818-1 section 2.5.3.3 (pack header), 2.5.3.5 (system
 * header), 2.5.4.1 (program stream map); ISO/IEC 11172-1 section 2.4.3.2 (the
 * MPEG-1 pack header, still sent by some encoders).
 */
import { BitReader, ByteReader } from '@sluice/codec';
import { RtpError } from './errors.js';

export const PACK_START_CODE = 0xba;
export const SYSTEM_HEADER_START_CODE = 0xbb;
export const PROGRAM_STREAM_MAP_ID = 0xbc;
export const PROGRAM_END_CODE = 0xb9;

/** MPEG-2 pack header without stuffing. */
export const PACK_HEADER_SIZE = 14;
/** MPEG-1 pack header. */
export const MPEG1_PACK_HEADER_SIZE = 12;
/**
 * program_stream_map_length may be at most 0x3FA (13818-1 2.5.4.2): the whole map
 * fits 1024 bytes. A larger value is garbage; the stream is then read without a map.
 */
export const MAX_PSM_LENGTH = 0x3fa;

export interface PackHeader {
  readonly mpeg1: boolean;
  /** system_clock_reference_base, 33 bits, 90 kHz. */
  readonly scrBase: number;
  /** system_clock_reference_extension, 9 bits, 27 MHz (0 for MPEG-1). */
  readonly scrExtension: number;
  /** program_mux_rate in units of 50 bytes/s. */
  readonly muxRate: number;
  /** Bytes from the start code to the end of pack_stuffing. */
  readonly length: number;
}

/**
 * Parses a pack header from its start code. Throws TruncatedError when `bytes` ends
 * inside it, RtpError BAD_PS when it is neither MPEG-2 ('01') nor MPEG-1 ('0010').
 *
 * MPEG-2 (13818-1 2.5.3.3):
 *   pack_start_code (32) = 0x000001BA
 *   '01' | SCR_base[32..30] (3) | marker | SCR_base[29..15] (15) | marker |
 *   SCR_base[14..0] (15) | marker | SCR_extension (9) | marker
 *   program_mux_rate (22) | marker | marker
 *   reserved (5) | pack_stuffing_length (3) | stuffing_byte ...
 *
 * MPEG-1 (11172-1 2.4.3.2):
 *   pack_start_code (32) | '0010' | SCR[32..30] | marker | SCR[29..15] | marker |
 *   SCR[14..0] | marker | marker | mux_rate (22) | marker
 */
export function parsePackHeader(bytes: Uint8Array): PackHeader {
  const r = new ByteReader(bytes);
  if (r.u32() !== 0x000001ba) throw new RtpError('BAD_PS', 'no pack_start_code');
  const kind = r.peekU8() >> 4;
  if (kind >> 2 === 1) {
    r.ensure(PACK_HEADER_SIZE - 4, 'pack header');
    const b = new BitReader(bytes.subarray(4, PACK_HEADER_SIZE));
    b.skipBits(2);
    const scrBase = scr(b);
    const scrExtension = b.bits(9);
    b.skipBits(1);
    const muxRate = b.bits(22);
    b.skipBits(2 + 5);
    const stuffing = b.bits(3);
    r.skip(PACK_HEADER_SIZE - 4);
    r.skip(stuffing);
    return { mpeg1: false, scrBase, scrExtension, muxRate, length: PACK_HEADER_SIZE + stuffing };
  }
  if (kind === 0x2) {
    r.ensure(MPEG1_PACK_HEADER_SIZE - 4, 'MPEG-1 pack header');
    const b = new BitReader(bytes.subarray(4, MPEG1_PACK_HEADER_SIZE));
    b.skipBits(4);
    const scrBase = scr(b);
    b.skipBits(1);
    const muxRate = b.bits(22);
    return { mpeg1: true, scrBase, scrExtension: 0, muxRate, length: MPEG1_PACK_HEADER_SIZE };
  }
  throw new RtpError('BAD_PS', `pack header begins with '${(r.peekU8() >> 4).toString(2).padStart(4, '0')}', neither MPEG-2 '01' nor MPEG-1 '0010'`);
}

/** SCR[32..30] marker SCR[29..15] marker SCR[14..0] marker, marker bits not checked. */
function scr(b: BitReader): number {
  const high = b.bits(3);
  b.skipBits(1);
  const mid = b.bits(15);
  b.skipBits(1);
  const low = b.bits(15);
  b.skipBits(1);
  return high * 2 ** 30 + mid * 2 ** 15 + low;
}

export interface SystemHeader {
  readonly rateBound: number;
  readonly audioBound: number;
  readonly videoBound: number;
  readonly streams: ReadonlyArray<{ readonly streamId: number; readonly bufferBoundScale: number; readonly bufferSizeBound: number }>;
  /** Bytes from the start code to the end of the header. */
  readonly length: number;
}

/**
 * Parses a system header from its start code.
 *
 *   system_header_start_code (32) = 0x000001BB | header_length (16)
 *   marker | rate_bound (22) | marker
 *   audio_bound (6) | fixed_flag | CSPS_flag
 *   system_audio_lock_flag | system_video_lock_flag | marker | video_bound (5)
 *   packet_rate_restriction_flag | reserved_bits (7)
 *   { stream_id (8) | '11' | P-STD_buffer_bound_scale | P-STD_buffer_size_bound (13) } while nextbits() == '1'
 *
 * Specification: ISO/IEC 13818-1 section 2.5.3.5
 */
export function parseSystemHeader(bytes: Uint8Array): SystemHeader {
  const r = new ByteReader(bytes);
  if (r.u32() !== 0x000001bb) throw new RtpError('BAD_PS', 'no system_header_start_code');
  const headerLength = r.u16();
  if (headerLength < 6) throw new RtpError('BAD_PS', `system header_length ${headerLength}, at least 6`);
  const body = r.bytesView(headerLength, 'system header');
  const b = new BitReader(body);
  b.skipBits(1);
  const rateBound = b.bits(22);
  b.skipBits(1);
  const audioBound = b.bits(6);
  b.skipBits(2 + 2 + 1);
  const videoBound = b.bits(5);
  b.skipBits(8);
  const streams: Array<{ streamId: number; bufferBoundScale: number; bufferSizeBound: number }> = [];
  // header_length bounds the loop: at most (65535 - 6) / 3 entries.
  while (b.bitsLeft >= 24 && b.bits(1) === 1) {
    const streamId = 0x80 + b.bits(7);
    b.skipBits(2);
    const bufferBoundScale = b.bits(1);
    const bufferSizeBound = b.bits(13);
    streams.push({ streamId, bufferBoundScale, bufferSizeBound });
  }
  return { rateBound, audioBound, videoBound, streams, length: 6 + headerLength };
}

export interface PsmEntry {
  readonly streamType: number;
  readonly elementaryStreamId: number;
  /** The descriptors (a view). */
  readonly info: Uint8Array;
}

export interface ProgramStreamMap {
  readonly currentNextIndicator: boolean;
  readonly version: number;
  readonly streams: readonly PsmEntry[];
  /** Bytes from the start code to the end of CRC_32. */
  readonly length: number;
}

/**
 * Parses a program stream map from its start code. The CRC_32 is not checked:
 * cameras often write a wrong one, and the map is small and re-sent often.
 *
 *   packet_start_code_prefix (24) | map_stream_id (8) = 0xBC | program_stream_map_length (16)
 *   current_next_indicator | single_extension_stream_flag | reserved | program_stream_map_version (5)
 *   reserved (7) | marker_bit
 *   program_stream_info_length (16) | descriptor() ...
 *   elementary_stream_map_length (16)
 *   { stream_type (8) | elementary_stream_id (8) | elementary_stream_info_length (16) | descriptor() ... }
 *   CRC_32 (32)
 *
 * Specification: ISO/IEC 13818-1 section 2.5.4.1, 2.5.4.2
 */
export function parseProgramStreamMap(bytes: Uint8Array): ProgramStreamMap {
  const r = new ByteReader(bytes);
  if (r.u32() !== 0x000001bc) throw new RtpError('BAD_PS', 'no program stream map start code');
  const mapLength = r.u16();
  if (mapLength > MAX_PSM_LENGTH) throw new RtpError('BAD_PS', `program_stream_map_length ${mapLength}, at most ${MAX_PSM_LENGTH}`);
  const m = new ByteReader(r.bytesView(mapLength, 'program stream map'));
  const b0 = m.u8();
  m.u8();
  const infoLength = m.u16();
  m.bytesView(infoLength, 'program_stream_info descriptors');
  const esMapLength = m.u16();
  const es = new ByteReader(m.bytesView(esMapLength, 'elementary stream map'));
  const streams: PsmEntry[] = [];
  while (es.remaining > 0) {
    const streamType = es.u8();
    const elementaryStreamId = es.u8();
    const esInfoLength = es.u16();
    streams.push({ streamType, elementaryStreamId, info: es.bytesView(esInfoLength, 'elementary_stream_info descriptors') });
  }
  // CRC_32 should follow; a map cut right after the loop is accepted (nothing depends on the CRC).
  return { currentNextIndicator: (b0 & 0x80) !== 0, version: b0 & 0x1f, streams, length: 6 + mapLength };
}
