/**
 * The RTP fixed header, CSRC list, header extension and padding.
 *
 * Specification: RFC 3550 section 5.1 (fixed header fields) and 5.3.1 (header extension)
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                           timestamp                           |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |           synchronization source (SSRC) identifier            |
 *   +=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+=+
 *   |            contributing source (CSRC) identifiers             |
 *   |                     (CC entries, 32 bits each)                |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   defined by profile (X=1)    |           length              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 header extension (length words)               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                    payload ...  | padding (P=1), last octet = count |
 */
import { ByteReader, TruncatedError } from '@sluice/codec';
import { RtpError } from './errors.js';

export interface RtpPacket {
  /** Always 2 in a parsed packet. */
  readonly version: number;
  /** P bit as received; `payload` has the padding removed either way. */
  readonly padding: boolean;
  readonly marker: boolean;
  readonly payloadType: number;
  /** 16-bit sequence number as on the wire (see SequenceUnwrapper). */
  readonly sequenceNumber: number;
  /** 32-bit RTP timestamp as on the wire (see TimestampUnwrapper). */
  readonly timestamp: number;
  readonly ssrc: number;
  readonly csrcs: readonly number[];
  /** The header extension (X bit): 16-bit profile-defined value and its data (a view, length a multiple of 4). */
  readonly extension?: { profile: number; data: Uint8Array };
  /** A view into the parsed bytes, padding removed. */
  readonly payload: Uint8Array;
}

/** Shared by every packet without CSRCs (nearly all of them): one array fewer per packet. */
const NO_CSRCS: readonly number[] = Object.freeze([]);

/** The fixed header: V/P/X/CC, M/PT, sequence number, timestamp, SSRC. */
export const RTP_HEADER_SIZE = 12;
export const RTP_VERSION = 2;

/**
 * Parses one RTP packet. Throws RtpError BAD_RTP for a version other than 2, a
 * packet shorter than its header, CSRC list or extension, and padding that is
 * zero or longer than what follows the header. The payload and extension data are
 * views into `bytes` (no copy). Every length here (CC, extension length, padding
 * count) is bounded by the input itself, so no further cap is needed.
 *
 * Specification: RFC 3550 section 5.1, 5.3.1
 */
export function parseRtpPacket(bytes: Uint8Array): RtpPacket {
  try {
    return parse(bytes);
  } catch (err) {
    if (err instanceof TruncatedError) throw new RtpError('BAD_RTP', `truncated RTP packet (${bytes.byteLength} bytes): ${err.message}`, { cause: err });
    throw err;
  }
}

function parse(bytes: Uint8Array): RtpPacket {
  const r = new ByteReader(bytes);
  const b0 = r.u8();
  const version = b0 >> 6;
  if (version !== RTP_VERSION) throw new RtpError('BAD_RTP', `RTP version ${version}, expected 2`);
  const padding = (b0 & 0x20) !== 0;
  const hasExtension = (b0 & 0x10) !== 0;
  const cc = b0 & 0x0f;
  const b1 = r.u8();
  const marker = (b1 & 0x80) !== 0;
  const payloadType = b1 & 0x7f;
  const sequenceNumber = r.u16();
  const timestamp = r.u32();
  const ssrc = r.u32();
  let csrcs: readonly number[] = NO_CSRCS;
  if (cc > 0) {
    const list: number[] = [];
    for (let i = 0; i < cc; i++) list.push(r.u32());
    csrcs = list;
  }
  let extension: { profile: number; data: Uint8Array } | undefined;
  if (hasExtension) {
    const profile = r.u16();
    const words = r.u16();
    extension = { profile, data: r.bytesView(words * 4, 'RTP header extension') };
  }
  let end = bytes.byteLength;
  if (padding) {
    // The last octet counts the padding octets, itself included (RFC 3550 5.1, P).
    const count = bytes[end - 1]!;
    if (end <= r.pos || count === 0 || count > end - r.pos) {
      throw new RtpError('BAD_RTP', `padding count ${end > r.pos ? count : 0} with ${end - r.pos} bytes after the header`);
    }
    end -= count;
  }
  const payload = bytes.subarray(r.pos, end);
  const packet: RtpPacket = { version, padding, marker, payloadType, sequenceNumber, timestamp, ssrc, csrcs, payload };
  return extension ? { ...packet, extension } : packet;
}

/** What a writer needs: the wire fields less those it derives (version, padding, CC). */
export type RtpPacketInit = Omit<RtpPacket, 'version' | 'padding' | 'csrcs'> & { csrcs?: readonly number[] };

/** The serialized size of `p` (header, CSRCs, extension, payload; never padding). */
export function rtpPacketByteLength(p: RtpPacketInit): number {
  const csrcs = p.csrcs?.length ?? 0;
  const ext = p.extension ? 4 + p.extension.data.byteLength : 0;
  return RTP_HEADER_SIZE + 4 * csrcs + ext + p.payload.byteLength;
}

/**
 * Writes `p` at `offset` of `buf`; returns the number of bytes written. Throws
 * FIELD_OVERFLOW for a field that does not fit (payload type > 127, more than 15
 * CSRCs, extension data not a multiple of 4 bytes...) or a buffer too small.
 */
export function writeRtpPacket(p: RtpPacketInit, buf: Uint8Array, offset = 0): number {
  const csrcs = p.csrcs ?? [];
  checkField('payloadType', p.payloadType, 0x7f);
  checkField('sequenceNumber', p.sequenceNumber, 0xffff);
  checkField('timestamp', p.timestamp, 0xffffffff);
  checkField('ssrc', p.ssrc, 0xffffffff);
  if (csrcs.length > 15) throw new RtpError('FIELD_OVERFLOW', `${csrcs.length} CSRCs, at most 15 (4-bit CC)`);
  for (const c of csrcs) checkField('csrc', c, 0xffffffff);
  if (p.extension) {
    checkField('extension.profile', p.extension.profile, 0xffff);
    const len = p.extension.data.byteLength;
    if (len % 4 !== 0 || len / 4 > 0xffff) throw new RtpError('FIELD_OVERFLOW', `extension data of ${len} bytes (a multiple of 4, at most 65535 words)`);
  }
  const size = rtpPacketByteLength(p);
  if (offset < 0 || offset + size > buf.byteLength) throw new RtpError('FIELD_OVERFLOW', `buffer of ${buf.byteLength} bytes too small for a ${size}-byte packet at ${offset}`);
  const view = new DataView(buf.buffer, buf.byteOffset + offset, size);
  view.setUint8(0, (RTP_VERSION << 6) | (p.extension ? 0x10 : 0) | csrcs.length);
  view.setUint8(1, (p.marker ? 0x80 : 0) | p.payloadType);
  view.setUint16(2, p.sequenceNumber);
  view.setUint32(4, p.timestamp);
  view.setUint32(8, p.ssrc);
  let pos = RTP_HEADER_SIZE;
  for (const c of csrcs) {
    view.setUint32(pos, c);
    pos += 4;
  }
  if (p.extension) {
    view.setUint16(pos, p.extension.profile);
    view.setUint16(pos + 2, p.extension.data.byteLength / 4);
    buf.set(p.extension.data, offset + pos + 4);
    pos += 4 + p.extension.data.byteLength;
  }
  buf.set(p.payload, offset + pos);
  return size;
}

/** One RTP packet as a new Uint8Array (for tests and generators). */
export function serializeRtpPacket(p: RtpPacketInit): Uint8Array {
  const out = new Uint8Array(rtpPacketByteLength(p));
  writeRtpPacket(p, out);
  return out;
}

function checkField(name: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RtpError('FIELD_OVERFLOW', `${name} = ${value}, allowed 0..${max}`);
}
