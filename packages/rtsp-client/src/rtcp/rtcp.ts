import { ByteReader } from '@sluice/codec';
import { RtspError } from '../errors.js';

// Specification: RFC 3550, section 6.4 (SR, RR), 6.5 (SDES), 6.6 (BYE) and 6.1
// (compound packets). Every packet starts with the same 4 bytes:
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |V=2|P|    RC   |      PT       |             length            |   length: 32-bit words - 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// SR (PT=200): SSRC of sender, NTP timestamp (msw, lsw), RTP timestamp, sender's
// packet count, sender's octet count, then RC report blocks (24 bytes each):
//   SSRC | fraction lost (8) cumulative number of packets lost (24) |
//   extended highest sequence number received | interarrival jitter |
//   last SR (LSR) | delay since last SR (DLSR)

export const RtcpPacketType = { SR: 200, RR: 201, SDES: 202, BYE: 203, APP: 204 } as const;

const RTCP_VERSION = 2;
const REPORT_BLOCK_SIZE = 24;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET_S = 2_208_988_800;
/** BYE reason and SDES items are one length octet long: at most 255 bytes by the format. */
const MAX_TEXT = 255;

export interface ReportBlock {
  readonly ssrc: number;
  /** Fraction lost since the previous report, as a fixed-point number in 1/256. */
  readonly fractionLost: number;
  /** Cumulative number of packets lost (signed 24 bits). */
  readonly cumulativeLost: number;
  readonly highestSequence: number;
  readonly jitter: number;
  readonly lastSr: number;
  readonly delaySinceLastSr: number;
}

export type RtcpPacket =
  | {
      readonly type: 'sr';
      readonly ssrc: number;
      readonly ntpMsw: number;
      readonly ntpLsw: number;
      readonly rtpTimestamp: number;
      readonly packetCount: number;
      readonly octetCount: number;
      readonly reports: ReportBlock[];
    }
  | { readonly type: 'rr'; readonly ssrc: number; readonly reports: ReportBlock[] }
  | { readonly type: 'sdes'; readonly chunks: { ssrc: number; cname?: string }[] }
  | { readonly type: 'bye'; readonly ssrcs: number[]; readonly reason?: string }
  | { readonly type: 'other'; readonly packetType: number };

/** NTP timestamp (64-bit fixed point, seconds since 1900) → milliseconds since the Unix epoch. */
export function ntpToUnixMs(msw: number, lsw: number): number {
  return (msw - NTP_UNIX_OFFSET_S) * 1000 + (lsw / 2 ** 32) * 1000;
}

/** Milliseconds since the Unix epoch → NTP msw/lsw. */
export function unixMsToNtp(ms: number): { msw: number; lsw: number } {
  const seconds = Math.floor(ms / 1000);
  const msw = (seconds + NTP_UNIX_OFFSET_S) % 2 ** 32;
  const lsw = Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32);
  return { msw, lsw };
}

/** The middle 32 bits of an NTP timestamp: what LSR carries (6.4.1). */
export function ntpMiddle32(msw: number, lsw: number): number {
  return (msw % 65536) * 65536 + Math.floor(lsw / 65536);
}

function readReportBlock(r: ByteReader): ReportBlock {
  const ssrc = r.u32();
  const fractionLost = r.u8();
  const lost24 = r.u24();
  return {
    ssrc,
    fractionLost,
    cumulativeLost: lost24 >= 0x800000 ? lost24 - 0x1000000 : lost24,
    highestSequence: r.u32(),
    jitter: r.u32(),
    lastSr: r.u32(),
    delaySinceLastSr: r.u32(),
  };
}

function readText(r: ByteReader, length: number): string {
  return new TextDecoder().decode(r.bytesView(Math.min(length, MAX_TEXT)));
}

function parseOne(packetType: number, count: number, body: ByteReader): RtcpPacket {
  switch (packetType) {
    case RtcpPacketType.SR: {
      const ssrc = body.u32();
      const ntpMsw = body.u32();
      const ntpLsw = body.u32();
      const rtpTimestamp = body.u32();
      const packetCount = body.u32();
      const octetCount = body.u32();
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(body));
      return { type: 'sr', ssrc, ntpMsw, ntpLsw, rtpTimestamp, packetCount, octetCount, reports };
    }
    case RtcpPacketType.RR: {
      const ssrc = body.u32();
      const reports: ReportBlock[] = [];
      for (let i = 0; i < count; i++) reports.push(readReportBlock(body));
      return { type: 'rr', ssrc, reports };
    }
    case RtcpPacketType.SDES: {
      const chunks: { ssrc: number; cname?: string }[] = [];
      for (let i = 0; i < count; i++) {
        const chunk: { ssrc: number; cname?: string } = { ssrc: body.u32() };
        // Items until a null octet, then padding to the next 32-bit boundary.
        for (;;) {
          const itemType = body.u8();
          if (itemType === 0) break;
          const length = body.u8();
          const text = readText(body, length);
          if (itemType === 1) chunk.cname = text;
        }
        while (body.pos % 4 !== 0 && body.remaining > 0) body.skip(1);
        chunks.push(chunk);
      }
      return { type: 'sdes', chunks };
    }
    case RtcpPacketType.BYE: {
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(body.u32());
      if (body.remaining > 0) {
        const length = body.u8();
        if (body.remaining >= length) return { type: 'bye', ssrcs, reason: readText(body, length) };
      }
      return { type: 'bye', ssrcs };
    }
    default:
      return { type: 'other', packetType };
  }
}

/**
 * Parses a compound RTCP packet (6.1). Throws TruncatedError or RtspError
 * ('BAD_PACKET') on a packet that is not RTCP; the caller counts it. The 16-bit length field bounds each
 * packet by the input, so no further cap is needed.
 */
export function parseRtcp(bytes: Uint8Array): RtcpPacket[] {
  const r = new ByteReader(bytes);
  const out: RtcpPacket[] = [];
  while (r.remaining > 0) {
    const b0 = r.u8();
    if (b0 >> 6 !== RTCP_VERSION) throw new RtspError('BAD_PACKET', `RTCP version ${b0 >> 6}`);
    const padding = (b0 & 0x20) !== 0;
    const count = b0 & 0x1f;
    const packetType = r.u8();
    if (packetType < 192 || packetType > 223) throw new RtspError('BAD_PACKET', `not an RTCP packet type: ${packetType}`);
    const length = (r.u16() + 1) * 4 - 4;
    let body = r.bytesView(length, 'RTCP packet');
    if (padding && body.byteLength > 0) {
      const pad = body[body.byteLength - 1]!;
      if (pad === 0 || pad > body.byteLength) throw new RtspError('BAD_PACKET', 'bad RTCP padding');
      body = body.subarray(0, body.byteLength - pad);
    }
    out.push(parseOne(packetType, count, new ByteReader(body)));
  }
  return out;
}

function header(view: DataView, offset: number, count: number, packetType: number, bytes: number): void {
  view.setUint8(offset, (RTCP_VERSION << 6) | count);
  view.setUint8(offset + 1, packetType);
  view.setUint16(offset + 2, bytes / 4 - 1);
}

/** A receiver report (6.4.2) with the given report blocks (at most 31). */
export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[]): Uint8Array {
  if (reports.length > 31) throw new RangeError('at most 31 report blocks');
  const out = new Uint8Array(8 + REPORT_BLOCK_SIZE * reports.length);
  const view = new DataView(out.buffer);
  header(view, 0, reports.length, RtcpPacketType.RR, out.byteLength);
  view.setUint32(4, ssrc);
  reports.forEach((b, i) => {
    const o = 8 + i * REPORT_BLOCK_SIZE;
    view.setUint32(o, b.ssrc);
    view.setUint8(o + 4, Math.max(0, Math.min(255, b.fractionLost)));
    // Cumulative lost is a signed 24-bit value, clamped as 6.4.1 asks.
    const lost = Math.max(-0x800000, Math.min(0x7fffff, b.cumulativeLost));
    const lost24 = lost < 0 ? lost + 0x1000000 : lost;
    view.setUint8(o + 5, Math.floor(lost24 / 65536));
    view.setUint16(o + 6, lost24 % 65536);
    view.setUint32(o + 8, b.highestSequence % 2 ** 32);
    view.setUint32(o + 12, Math.min(b.jitter, 2 ** 32 - 1));
    view.setUint32(o + 16, b.lastSr % 2 ** 32);
    view.setUint32(o + 20, Math.min(b.delaySinceLastSr, 2 ** 32 - 1));
  });
  return out;
}

/** An SDES packet with one chunk holding a CNAME (6.5.1): every compound packet needs one. */
export function buildSdesCname(ssrc: number, cname: string): Uint8Array {
  const text = new TextEncoder().encode(cname).subarray(0, MAX_TEXT);
  // SSRC + CNAME item (type, length, text) + null item, padded to 32 bits.
  const chunk = 4 + 2 + text.byteLength + 1;
  const padded = Math.ceil(chunk / 4) * 4;
  const out = new Uint8Array(4 + padded);
  const view = new DataView(out.buffer);
  header(view, 0, 1, RtcpPacketType.SDES, out.byteLength);
  view.setUint32(4, ssrc);
  out[8] = 1; // CNAME
  out[9] = text.byteLength;
  out.set(text, 10);
  return out;
}

/** A sender report, for tests and for the scripted server. */
export function buildSenderReport(sr: {
  ssrc: number;
  ntpMsw: number;
  ntpLsw: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}): Uint8Array {
  const out = new Uint8Array(28);
  const view = new DataView(out.buffer);
  header(view, 0, 0, RtcpPacketType.SR, 28);
  view.setUint32(4, sr.ssrc);
  view.setUint32(8, sr.ntpMsw);
  view.setUint32(12, sr.ntpLsw);
  view.setUint32(16, sr.rtpTimestamp);
  view.setUint32(20, sr.packetCount);
  view.setUint32(24, sr.octetCount);
  return out;
}

/** A BYE for the given sources (6.6), for tests and for the scripted server. */
export function buildBye(ssrcs: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * ssrcs.length);
  const view = new DataView(out.buffer);
  header(view, 0, ssrcs.length, RtcpPacketType.BYE, out.byteLength);
  ssrcs.forEach((s, i) => view.setUint32(4 + 4 * i, s));
  return out;
}
