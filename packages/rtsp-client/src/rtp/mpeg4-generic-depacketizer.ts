import { BitReader, ByteReader } from '@sluice/codec';
import { badPacket, concatBytes, isPacketError, newCounters, nextSequenceNumber, type AudioFrame, type Depacketizer, type RtpPayloadPacket } from './depacketizer.js';

// Specification: RFC 3640, section 3.2 (payload format, mpeg4-generic), modes
// AAC-hbr and AAC-lbr:
//
//   +---------+-----------+-----------+---------------+
//   | RTP     | AU Header | Auxiliary | Access Unit   |
//   | Header  | Section   | Section   | Data Section  |
//   +---------+-----------+-----------+---------------+
//
//   AU Header Section: AU-headers-length (16 bits, in bits), then per AU (3.2.1.1):
//   +---------------------------------------+
//   | AU-size                               |  sizeLength bits (AAC-hbr: 13)
//   | AU-Index / AU-Index-delta             |  indexLength / indexDeltaLength bits (3)
//   | CTS-flag, CTS-delta                   |  when ctsDeltaLength > 0 (not on the first AU)
//   | DTS-flag, DTS-delta                   |  when dtsDeltaLength > 0
//   | RAP-flag                              |  randomAccessIndication
//   | Stream-state                          |  streamStateIndication bits
//   +---------------------------------------+
//
// Several AUs may share a packet; one AU larger than a packet is fragmented over
// packets with the same timestamp, each carrying one AU-header with the full
// AU-size, the marker bit on the last one (3.2.3).

export interface Mpeg4GenericParams {
  /** sizeLength (AAC-hbr: 13, AAC-lbr: 6). 0 with constantSize. */
  readonly sizeLength: number;
  readonly indexLength: number;
  readonly indexDeltaLength: number;
  readonly ctsDeltaLength?: number;
  readonly dtsDeltaLength?: number;
  readonly randomAccessIndication?: boolean;
  readonly streamStateIndication?: number;
  readonly auxiliaryDataSizeLength?: number;
  /** constantSize: every AU has this size (sizeLength 0). */
  readonly constantSize?: number;
  /** Samples per AU, for the timestamps of the 2nd, 3rd... AU of a packet: 1024 (or 960) for AAC. */
  readonly frameLength?: number;
}

/** AAC-hbr, the mode every camera uses. */
export const AAC_HBR: Mpeg4GenericParams = { sizeLength: 13, indexLength: 3, indexDeltaLength: 3 };

/**
 * Largest AU reassembled from fragments: an AAC frame is at most 6144 bits per
 * channel (768 bytes), so 8 channels stay under 8 KiB; 64 KiB is the cap for
 * anything else this mode may carry.
 */
export const MAX_AU_SIZE = 64 * 1024;
/** Field widths above 32 bits are not representable here and no real stream uses them. */
const MAX_FIELD_BITS = 32;

/** Reads the RFC 3640 parameters (fmtp names, lower-cased) for one stream. */
export function mpeg4GenericParams(fmtp: Readonly<Record<string, string>>, frameLength?: number): Mpeg4GenericParams {
  const num = (name: string, fallback = 0): number => {
    const v = fmtp[name];
    if (v === undefined || !/^\d{1,6}$/.test(v.trim())) return fallback;
    return Number(v.trim());
  };
  const mode = (fmtp['mode'] ?? '').toLowerCase();
  const defaults = mode === 'aac-lbr' ? { size: 6, index: 2 } : mode === 'aac-hbr' ? { size: 13, index: 3 } : { size: 0, index: 0 };
  const constantSize = num('constantsize');
  return {
    sizeLength: num('sizelength', defaults.size),
    indexLength: num('indexlength', defaults.index),
    indexDeltaLength: num('indexdeltalength', defaults.index),
    ctsDeltaLength: num('ctsdeltalength'),
    dtsDeltaLength: num('dtsdeltalength'),
    randomAccessIndication: num('randomaccessindication') === 1,
    streamStateIndication: num('streamstateindication'),
    auxiliaryDataSizeLength: num('auxiliarydatasizelength'),
    ...(constantSize > 0 ? { constantSize } : {}),
    ...(frameLength === undefined ? {} : { frameLength }),
  };
}

interface AuHeader {
  size: number;
  /** AU-Index for the first header, AU-Index-delta for the others. */
  index: number;
}

/** RTP payloads (RFC 3640 mpeg4-generic) → AAC access units (raw, no ADTS). */
export class Mpeg4GenericDepacketizer implements Depacketizer<AudioFrame> {
  readonly counters = newCounters();
  private readonly p: Required<Omit<Mpeg4GenericParams, 'constantSize'>> & { constantSize: number };
  private lastSequence: number | null = null;
  /** A fragmented AU in progress. */
  private fragment: { timestamp: number; size: number; parts: Uint8Array[]; received: number } | null = null;

  constructor(params: Mpeg4GenericParams = AAC_HBR) {
    this.p = {
      sizeLength: params.sizeLength,
      indexLength: params.indexLength,
      indexDeltaLength: params.indexDeltaLength,
      ctsDeltaLength: params.ctsDeltaLength ?? 0,
      dtsDeltaLength: params.dtsDeltaLength ?? 0,
      randomAccessIndication: params.randomAccessIndication ?? false,
      streamStateIndication: params.streamStateIndication ?? 0,
      auxiliaryDataSizeLength: params.auxiliaryDataSizeLength ?? 0,
      constantSize: params.constantSize ?? 0,
      frameLength: params.frameLength ?? 1024,
    };
    const widths = [this.p.sizeLength, this.p.indexLength, this.p.indexDeltaLength, this.p.ctsDeltaLength, this.p.dtsDeltaLength,
      this.p.streamStateIndication, this.p.auxiliaryDataSizeLength];
    if (widths.some((w) => !Number.isInteger(w) || w < 0 || w > MAX_FIELD_BITS)) {
      throw new RangeError(`RFC 3640 field widths must be 0..${MAX_FIELD_BITS}: ${widths.join(',')}`);
    }
    if (this.p.sizeLength === 0 && this.p.constantSize === 0) throw new RangeError('sizeLength 0 needs constantSize');
  }

  push(packet: RtpPayloadPacket): AudioFrame[] {
    this.counters.packets++;
    const gap = this.lastSequence !== null && packet.sequenceNumber !== nextSequenceNumber(this.lastSequence);
    this.lastSequence = packet.sequenceNumber;
    // A fragment lost with the gap is counted here, once, not again when its tail arrives.
    const fragmentLost = gap && this.fragment !== null;
    if (fragmentLost) this.dropFragment();
    const out: AudioFrame[] = [];
    try {
      this.readPayload(packet, out, fragmentLost);
    } catch (err) {
      if (!isPacketError(err)) throw err;
      this.counters.badPackets++;
      if (this.fragment !== null) this.dropFragment();
    }
    return out;
  }

  get bufferedBytes(): number {
    return this.fragment?.received ?? 0;
  }

  flush(): AudioFrame[] {
    if (this.fragment !== null) this.dropFragment();
    return [];
  }

  private dropFragment(): void {
    this.fragment = null;
    this.counters.droppedFrames++;
  }

  private headerBits(first: boolean): number {
    const p = this.p;
    let bits = p.sizeLength + (first ? p.indexLength : p.indexDeltaLength);
    if (p.ctsDeltaLength > 0) bits += 1; // CTS-flag; the delta follows only when set
    if (p.dtsDeltaLength > 0) bits += 1;
    if (p.randomAccessIndication) bits += 1;
    return bits + p.streamStateIndication;
  }

  private readPayload(packet: RtpPayloadPacket, out: AudioFrame[], fragmentLost: boolean): void {
    const r = new ByteReader(packet.payload);
    const headers: AuHeader[] = [];
    const hasHeaders = this.headerBits(true) > 0;
    if (hasHeaders) {
      const headersLength = r.u16(); // in bits
      const sectionBytes = Math.ceil(headersLength / 8);
      const bits = new BitReader(r.bytesView(sectionBytes, 'AU header section'));
      let consumed = 0;
      while (consumed < headersLength) {
        const startBits = bits.position;
        headers.push(this.readAuHeader(bits, headers.length === 0));
        if (bits.position === startBits) throw badPacket('empty AU header'); // would never end
        consumed += bits.position - startBits;
      }
      if (consumed !== headersLength) throw badPacket('AU headers overrun AU-headers-length');
    }
    if (this.p.auxiliaryDataSizeLength > 0) {
      // Auxiliary section (3.2.2): its size in bits, then the data, padded to a byte.
      const aux = new BitReader(r.bytes.subarray(r.pos));
      const auxBits = aux.bits(this.p.auxiliaryDataSizeLength);
      r.skip(Math.ceil((this.p.auxiliaryDataSizeLength + auxBits) / 8));
    }
    const data = r.rest();

    if (!hasHeaders) {
      // Constant-size AUs back to back, no headers.
      const size = this.p.constantSize;
      if (data.byteLength === 0 || data.byteLength % size !== 0) throw badPacket('data not a multiple of constantSize');
      for (let i = 0; i * size < data.byteLength; i++) {
        out.push({ timestamp: this.auTimestamp(packet.timestamp, i), data: data.subarray(i * size, (i + 1) * size) });
      }
      return;
    }
    if (headers.length === 0) throw badPacket('no AU header');

    const first = headers[0]!;
    if (this.fragment !== null) {
      // Continuation of a fragmented AU: one header, same timestamp, same size (3.2.3).
      const f = this.fragment;
      if (headers.length !== 1 || packet.timestamp !== f.timestamp || first.size !== f.size) {
        this.dropFragment();
      } else {
        f.parts.push(data);
        f.received += data.byteLength;
        if (f.received > f.size) throw badPacket('fragments longer than AU-size');
        if (f.received === f.size) {
          out.push({ timestamp: f.timestamp, data: concatBytes(f.parts, f.size) });
          this.fragment = null;
        } else if (packet.marker) {
          this.dropFragment(); // the marker ends the AU: it came up short
        }
        return;
      }
    }

    if (headers.length === 1 && first.size > data.byteLength) {
      // The first fragment of an AU larger than the packet.
      if (first.size > MAX_AU_SIZE) throw badPacket(`AU-size ${first.size} over ${MAX_AU_SIZE}`);
      if (packet.marker) {
        // The last fragment of an AU whose start we never got.
        if (!fragmentLost) this.counters.droppedFrames++;
        return;
      }
      this.fragment = { timestamp: packet.timestamp, size: first.size, parts: [data], received: data.byteLength };
      return;
    }

    // Whole AUs: check all sizes first, so a lying header emits nothing from the packet.
    const total = headers.reduce((sum, h) => sum + h.size, 0);
    if (total > data.byteLength) throw badPacket(`AU sizes ${total} exceed the ${data.byteLength} data bytes`);
    let offset = 0;
    let index = 0;
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      // AU-Index-delta: the AU's index is the previous one + 1 + delta (3.2.1.1); 0 for in-order AUs.
      if (i > 0) index += 1 + h.index;
      out.push({ timestamp: this.auTimestamp(packet.timestamp, index), data: data.subarray(offset, offset + h.size) });
      offset += h.size;
    }
  }

  private readAuHeader(bits: BitReader, first: boolean): AuHeader {
    const p = this.p;
    const size = p.sizeLength > 0 ? bits.bits(p.sizeLength) : p.constantSize;
    const index = bits.bits(first ? p.indexLength : p.indexDeltaLength);
    if (p.ctsDeltaLength > 0 && bits.bool()) bits.skipBits(p.ctsDeltaLength);
    if (p.dtsDeltaLength > 0 && bits.bool()) bits.skipBits(p.dtsDeltaLength);
    if (p.randomAccessIndication) bits.skipBits(1);
    if (p.streamStateIndication > 0) bits.skipBits(p.streamStateIndication);
    return { size, index };
  }

  /** RTP timestamp of the AU `index` places after the packet's first (32-bit wrap). */
  private auTimestamp(timestamp: number, index: number): number {
    return (timestamp + index * this.p.frameLength) % 0x1_0000_0000;
  }
}
