/**
 * Program specific information in a transport stream: the program association
 * table (PAT) and the program map table (PMT), and the CRC_32 that guards them.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.4.3 (PAT), 2.4.4.8 (PMT), 2.4.4.2
 * (pointer_field), annex A (CRC decoder model)
 *
 *   table_id (8) | section_syntax_indicator | '0' | reserved (2) | section_length (12)
 *   transport_stream_id / program_number (16) | reserved (2) | version_number (5) | current_next_indicator
 *   section_number (8) | last_section_number (8)
 *   PAT: { program_number (16) | reserved (3) | network_PID / program_map_PID (13) } ...
 *   PMT: reserved (3) | PCR_PID (13) | reserved (4) | program_info_length (12) | descriptors
 *        { stream_type (8) | reserved (3) | elementary_PID (13) | reserved (4) | ES_info_length (12) | descriptors } ...
 *   CRC_32 (32)
 */
import { ByteReader } from '@sluice/codec';
import { RtpError } from './errors.js';

export const PAT_TABLE_ID = 0x00;
export const PMT_TABLE_ID = 0x02;
/** section_length of a PAT / PMT may not exceed 1021 (its first two bits are '00'): a section fits 1024 bytes. */
export const MAX_SECTION_LENGTH = 1021;
/** table_id, flags and section_length. */
export const SECTION_HEADER_SIZE = 3;

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    t[i] = c >>> 0;
  }
  return t;
})();

/** CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial 0xFFFFFFFF, not reflected): over a whole section, CRC_32 included, it is 0. */
export function crc32Mpeg(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ b) & 0xff]!) >>> 0;
  return crc >>> 0;
}

export interface Pat {
  readonly transportStreamId: number;
  readonly version: number;
  readonly programs: ReadonlyArray<{ readonly programNumber: number; readonly pid: number }>;
}

export interface PmtStream {
  readonly streamType: number;
  readonly pid: number;
  readonly info: Uint8Array;
}

export interface Pmt {
  readonly programNumber: number;
  readonly version: number;
  readonly pcrPid: number;
  readonly streams: readonly PmtStream[];
}

interface Section {
  readonly tableId: number;
  readonly idExtension: number;
  readonly version: number;
  /** The bytes between last_section_number and CRC_32. */
  readonly body: Uint8Array;
}

/** The length of the section starting at `bytes` (header included), or undefined when its header is incomplete. */
export function sectionSize(bytes: Uint8Array): number | undefined {
  if (bytes.byteLength < SECTION_HEADER_SIZE) return undefined;
  return SECTION_HEADER_SIZE + (((bytes[1]! & 0x0f) << 8) | bytes[2]!);
}

function parseSection(bytes: Uint8Array, expectedTableId: number): Section {
  const r = new ByteReader(bytes);
  const tableId = r.u8();
  if (tableId !== expectedTableId) throw new RtpError('BAD_TS', `table_id ${tableId}, expected ${expectedTableId}`);
  const flags = r.u16();
  if ((flags & 0x8000) === 0) throw new RtpError('BAD_TS', 'section_syntax_indicator 0 in a PAT/PMT');
  const sectionLength = flags & 0x0fff;
  if (sectionLength > MAX_SECTION_LENGTH) throw new RtpError('BAD_TS', `section_length ${sectionLength}, at most ${MAX_SECTION_LENGTH}`);
  if (sectionLength < 9) throw new RtpError('BAD_TS', `section_length ${sectionLength} too short for the header and CRC_32`);
  const whole = bytes.subarray(0, SECTION_HEADER_SIZE + sectionLength);
  r.ensure(sectionLength, 'PSI section');
  if (crc32Mpeg(whole) !== 0) throw new RtpError('BAD_TS', 'CRC_32 mismatch');
  const idExtension = r.u16();
  const version = (r.u8() >> 1) & 0x1f;
  r.skip(2); // section_number, last_section_number
  const body = r.bytesView(sectionLength - 5 - 4, 'section body');
  return { tableId, idExtension, version, body };
}

/**
 * Parses a PAT section (from table_id). Throws RtpError BAD_TS for a wrong
 * table_id, a bad length or CRC_32, TruncatedError when `bytes` is short.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.4.3
 */
export function parsePat(bytes: Uint8Array): Pat {
  const s = parseSection(bytes, PAT_TABLE_ID);
  const r = new ByteReader(s.body);
  const programs: Array<{ programNumber: number; pid: number }> = [];
  while (r.remaining >= 4) {
    const programNumber = r.u16();
    const pid = r.u16() & 0x1fff;
    programs.push({ programNumber, pid });
  }
  return { transportStreamId: s.idExtension, version: s.version, programs };
}

/**
 * Parses a PMT section (from table_id).
 *
 * Specification: ISO/IEC 13818-1 section 2.4.4.8
 */
export function parsePmt(bytes: Uint8Array): Pmt {
  const s = parseSection(bytes, PMT_TABLE_ID);
  const r = new ByteReader(s.body);
  const pcrPid = r.u16() & 0x1fff;
  const programInfoLength = r.u16() & 0x0fff;
  r.bytesView(programInfoLength, 'program_info descriptors');
  const streams: PmtStream[] = [];
  while (r.remaining > 0) {
    const streamType = r.u8();
    const pid = r.u16() & 0x1fff;
    const esInfoLength = r.u16() & 0x0fff;
    streams.push({ streamType, pid, info: r.bytesView(esInfoLength, 'ES_info descriptors') });
  }
  return { programNumber: s.idExtension, version: s.version, pcrPid, streams };
}
