/**
 * The MPEG-2 transport stream packet header and adaptation field.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.3.2 (transport stream packet layer)
 * and 2.4.3.4 (adaptation field)
 *
 *   sync_byte (8) = 0x47
 *   transport_error_indicator | payload_unit_start_indicator | transport_priority | PID (13)
 *   transport_scrambling_control (2) | adaptation_field_control (2) | continuity_counter (4)
 *   [adaptation_field] [payload]                                        (188 bytes in all)
 *
 *   adaptation_field_length (8)
 *   discontinuity_indicator | random_access_indicator | elementary_stream_priority_indicator |
 *   PCR_flag | OPCR_flag | splicing_point_flag | transport_private_data_flag | adaptation_field_extension_flag
 *   [program_clock_reference_base (33) | reserved (6) | program_clock_reference_extension (9)] ...
 */
import { ByteReader } from '@sluice/codec';
import { RtpError } from './errors.js';

export const TS_PACKET_SIZE = 188;
export const TS_SYNC_BYTE = 0x47;
export const NULL_PID = 0x1fff;
export const PAT_PID = 0x0000;
/** The header before the adaptation field. */
const TS_HEADER_SIZE = 4;

export interface TsPacket {
  readonly transportErrorIndicator: boolean;
  readonly payloadUnitStartIndicator: boolean;
  readonly pid: number;
  readonly scramblingControl: number;
  /** 1 payload only, 2 adaptation field only, 3 both. */
  readonly adaptationFieldControl: number;
  readonly continuityCounter: number;
  readonly discontinuityIndicator: boolean;
  readonly randomAccessIndicator: boolean;
  /** PCR base (33 bits, 90 kHz) when present. */
  readonly pcrBase?: number;
  /** The payload after the adaptation field (a view; empty when none). */
  readonly payload: Uint8Array;
}

/**
 * Parses one 188-byte TS packet. Throws RtpError BAD_TS for a missing sync byte,
 * adaptation_field_control '00' (reserved) or an adaptation field longer than the
 * packet; TruncatedError for fewer than 188 bytes.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.3.2, 2.4.3.4
 */
export function parseTsPacket(bytes: Uint8Array): TsPacket {
  const r = new ByteReader(bytes.subarray(0, TS_PACKET_SIZE));
  r.ensure(TS_PACKET_SIZE, 'TS packet');
  if (r.u8() !== TS_SYNC_BYTE) throw new RtpError('BAD_TS', 'no sync_byte 0x47');
  const b1 = r.u16();
  const b3 = r.u8();
  const adaptationFieldControl = (b3 >> 4) & 0x03;
  if (adaptationFieldControl === 0) throw new RtpError('BAD_TS', "adaptation_field_control '00' is reserved");
  let discontinuityIndicator = false;
  let randomAccessIndicator = false;
  let pcrBase: number | undefined;
  if (adaptationFieldControl & 0x02) {
    const length = r.u8();
    // The field fills the rest of the packet at most (183 bytes after its length byte).
    if (length > TS_PACKET_SIZE - TS_HEADER_SIZE - 1) throw new RtpError('BAD_TS', `adaptation_field_length ${length} past the packet end`);
    const af = new ByteReader(r.bytesView(length, 'adaptation field'));
    if (length > 0) {
      const flags = af.u8();
      discontinuityIndicator = (flags & 0x80) !== 0;
      randomAccessIndicator = (flags & 0x40) !== 0;
      if (flags & 0x10) {
        const high = af.u32();
        const low = af.u8();
        pcrBase = high * 2 + (low >> 7);
      }
    }
  }
  const payload = adaptationFieldControl & 0x01 ? r.rest() : new Uint8Array(0);
  return {
    transportErrorIndicator: (b1 & 0x8000) !== 0,
    payloadUnitStartIndicator: (b1 & 0x4000) !== 0,
    pid: b1 & 0x1fff,
    scramblingControl: b3 >> 6,
    adaptationFieldControl,
    continuityCounter: b3 & 0x0f,
    discontinuityIndicator,
    randomAccessIndicator,
    ...(pcrBase === undefined ? {} : { pcrBase }),
    payload,
  };
}
