/**
 * The PES packet header, as MPEG-PS and MPEG-TS carry it.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.3.6 (PES packet) and 2.4.3.7
 * (semantics); ISO/IEC 11172-1 section 2.4.3.3 (the MPEG-1 packet header some
 * program streams still use).
 *
 *   packet_start_code_prefix (24) = 0x000001 | stream_id (8) | PES_packet_length (16)
 *   '10' | PES_scrambling_control (2) | PES_priority | data_alignment_indicator | copyright | original_or_copy
 *   PTS_DTS_flags (2) | ESCR_flag | ES_rate_flag | DSM_trick_mode_flag | additional_copy_info_flag | PES_CRC_flag | PES_extension_flag
 *   PES_header_data_length (8)
 *   [PTS (40 bits)] [DTS (40 bits)] [... optional fields, stuffing_byte 0xFF ...]
 *   PES_packet_data_byte ...
 *
 * MPEG-1 (no '10' marker): stuffing_byte 0xFF (up to 16) | ['01' STD_buffer_scale STD_buffer_size (16)]
 *   | '0010' PTS (40) | '0011' PTS (40) DTS (40) | '00001111'
 */
import { ByteReader } from '@sluice/codec';
import { RtpError } from './errors.js';
import { readTimestamp, timestampPrefix } from './mpeg-timestamp.js';

export const StreamId = {
  ProgramStreamMap: 0xbc,
  PrivateStream1: 0xbd,
  PaddingStream: 0xbe,
  PrivateStream2: 0xbf,
  AudioFirst: 0xc0,
  AudioLast: 0xdf,
  VideoFirst: 0xe0,
  VideoLast: 0xef,
  Ecm: 0xf0,
  Emm: 0xf1,
  Dsmcc: 0xf2,
  H2221TypeE: 0xf8,
  ProgramStreamDirectory: 0xff,
} as const;

/** The fixed part: start code prefix, stream_id, PES_packet_length. */
export const PES_PREFIX_SIZE = 6;
/** The largest MPEG-2 PES header: the prefix, 3 flag bytes and PES_header_data_length (8 bits) of optional fields. */
export const MAX_PES_HEADER_SIZE = PES_PREFIX_SIZE + 3 + 0xff;
/** MPEG-1 allows at most 16 stuffing bytes (ISO/IEC 11172-1 2.4.3.3). */
const MPEG1_MAX_STUFFING = 16;

export interface PesHeader {
  readonly streamId: number;
  /** PES_packet_length: bytes following the field; 0 = unbounded (allowed for video). */
  readonly packetLength: number;
  /** 33-bit values as on the wire (not unwrapped). */
  readonly pts?: number;
  readonly dts?: number;
  /** Offset of the first PES_packet_data_byte from the start code. */
  readonly payloadOffset: number;
  readonly mpeg1: boolean;
}

/** stream_ids whose PES packets have no optional header (13818-1 table 2-22 and 2.4.3.7). */
export function hasOptionalHeader(streamId: number): boolean {
  return !(
    streamId === StreamId.ProgramStreamMap ||
    streamId === StreamId.PaddingStream ||
    streamId === StreamId.PrivateStream2 ||
    streamId === StreamId.Ecm ||
    streamId === StreamId.Emm ||
    streamId === StreamId.ProgramStreamDirectory ||
    streamId === StreamId.Dsmcc ||
    streamId === StreamId.H2221TypeE
  );
}

/**
 * Parses a PES header from its start code. `bytes` needs to hold the header only,
 * not the payload. Throws TruncatedError when it ends inside the header (read more
 * and retry, up to MAX_PES_HEADER_SIZE) and RtpError BAD_PES for a header that
 * cannot be valid.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.3.6; ISO/IEC 11172-1 section 2.4.3.3
 */
export function parsePesHeader(bytes: Uint8Array): PesHeader {
  const r = new ByteReader(bytes);
  if (r.u24() !== 0x000001) throw new RtpError('BAD_PES', 'no packet_start_code_prefix');
  const streamId = r.u8();
  if (streamId < StreamId.ProgramStreamMap) throw new RtpError('BAD_PES', `stream_id 0x${streamId.toString(16)} is not a PES stream`);
  const packetLength = r.u16();
  if (!hasOptionalHeader(streamId)) return { streamId, packetLength, payloadOffset: PES_PREFIX_SIZE, mpeg1: false };
  const first = r.peekU8();
  const header = first >> 6 === 2 ? mpeg2Header(r, streamId, packetLength) : mpeg1Header(r, streamId, packetLength);
  if (packetLength !== 0 && header.payloadOffset > PES_PREFIX_SIZE + packetLength) {
    throw new RtpError('BAD_PES', `PES header of ${header.payloadOffset} bytes overruns PES_packet_length ${packetLength}`);
  }
  return header;
}

/** The header object, pts / dts present only when set (built directly: object spreads cost per PES). */
function pesHeader(
  streamId: number, packetLength: number, pts: number | undefined, dts: number | undefined, payloadOffset: number, mpeg1: boolean,
): PesHeader {
  const h: { -readonly [K in keyof PesHeader]: PesHeader[K] } = { streamId, packetLength, payloadOffset, mpeg1 };
  if (pts !== undefined) h.pts = pts;
  if (dts !== undefined) h.dts = dts;
  return h;
}

function mpeg2Header(r: ByteReader, streamId: number, packetLength: number): PesHeader {
  r.u8();
  const flags = r.u8();
  const headerDataLength = r.u8();
  const payloadOffset = r.pos + headerDataLength;
  r.ensure(headerDataLength, 'PES header data');
  const ptsDtsFlags = flags >> 6;
  if (ptsDtsFlags === 1) throw new RtpError('BAD_PES', 'PTS_DTS_flags 01 is forbidden');
  let pts: number | undefined;
  let dts: number | undefined;
  if (ptsDtsFlags >= 2) {
    if (headerDataLength < (ptsDtsFlags === 3 ? 10 : 5)) throw new RtpError('BAD_PES', `PES_header_data_length ${headerDataLength} too short for PTS_DTS_flags ${ptsDtsFlags}`);
    pts = readTimestamp(r);
    if (ptsDtsFlags === 3) dts = readTimestamp(r);
  }
  return pesHeader(streamId, packetLength, pts, dts, payloadOffset, false);
}

function mpeg1Header(r: ByteReader, streamId: number, packetLength: number): PesHeader {
  let stuffing = 0;
  while (r.peekU8() === 0xff) {
    if (++stuffing > MPEG1_MAX_STUFFING) throw new RtpError('BAD_PES', `more than ${MPEG1_MAX_STUFFING} MPEG-1 stuffing bytes`);
    r.skip(1);
  }
  if (r.peekU8() >> 6 === 1) r.skip(2); // '01' STD_buffer_scale STD_buffer_size
  const b = r.peekU8();
  let pts: number | undefined;
  let dts: number | undefined;
  const prefix = timestampPrefix(b);
  if (prefix === 0x2) {
    pts = readTimestamp(r);
  } else if (prefix === 0x3) {
    pts = readTimestamp(r);
    dts = readTimestamp(r);
  } else if (b === 0x0f) {
    r.skip(1);
  } else {
    throw new RtpError('BAD_PES', `MPEG-1 packet header byte 0x${b.toString(16)} is neither a timestamp nor 0x0F`);
  }
  return pesHeader(streamId, packetLength, pts, dts, r.pos, true);
}
