import { ByteReader, H264NalType } from '@sluice/codec';
import {
  AccessUnitAssembler,
  badPacket,
  isPacketError,
  MAX_ACCESS_UNIT_SIZE,
  concatBytes,
  newCounters,
  type Depacketizer,
  type RtpPayloadPacket,
  type VideoAccessUnit,
} from './depacketizer.js';

// Specification: RFC 6184, section 5 (payload format for H.264), non-interleaved
// mode (packetization-mode 0 and 1): single NAL unit packets, STAP-A and FU-A.
//
// NAL unit header / payload header (5.3):
//   +---------------+
//   |0|1|2|3|4|5|6|7|
//   +-+-+-+-+-+-+-+-+
//   |F|NRI|  Type   |     Type 1-23: single NAL unit, 24: STAP-A, 28: FU-A
//   +---------------+
//
// STAP-A (5.7.1): payload header, then repeated  NALU size (16 bits) | NALU
//
// FU-A (5.8): FU indicator (F, NRI, type 28), FU header, fragment:
//   +---------------+
//   |0|1|2|3|4|5|6|7|
//   +-+-+-+-+-+-+-+-+
//   |S|E|R|  Type   |     S: first fragment, E: last fragment, Type: the NAL unit's type
//   +---------------+
// The NAL unit header is rebuilt as F|NRI of the indicator + Type of the FU header.

/** RFC 6184 types this client does not take: interleaved mode (STAP-B, MTAP, FU-B) and reserved values. */
const UNSUPPORTED = new Set<number>([0, H264NalType.StapB, H264NalType.Mtap16, H264NalType.Mtap24, H264NalType.FuB, 30, 31]);

/**
 * RTP payloads (RFC 6184) → H.264 access units. Loss and bad packets are
 * handled as `AccessUnitAssembler` describes; a fragmented NAL unit with a missing
 * start, middle or end drops its access unit.
 */
export class H264Depacketizer implements Depacketizer<VideoAccessUnit> {
  readonly counters = newCounters();
  private readonly assembler = new AccessUnitAssembler(this.counters);
  /** FU-A fragments of the NAL unit being reassembled (the first holds the rebuilt header). */
  private fragments: Uint8Array[] | null = null;
  private fragmentSize = 0;

  push(packet: RtpPayloadPacket): VideoAccessUnit[] {
    this.counters.packets++;
    const out: VideoAccessUnit[] = [];
    const gap = this.assembler.begin(packet, out);
    if (gap) this.dropFragment();
    try {
      this.readPayload(packet.payload);
    } catch (err) {
      // TruncatedError from a lying STAP-A length or a short FU-A: the packet is bad.
      if (!isPacketError(err)) throw err;
      this.counters.badPackets++;
      this.dropFragment();
      this.assembler.markBroken();
    }
    if (packet.marker && this.fragments !== null) {
      // The marker closes the access unit: a NAL unit still in fragments lost its end.
      this.dropFragment();
      this.assembler.markBroken();
    }
    this.assembler.end(packet, out);
    return out;
  }

  get bufferedBytes(): number {
    return this.assembler.bytes + this.fragmentSize;
  }

  flush(): VideoAccessUnit[] {
    const out: VideoAccessUnit[] = [];
    if (this.fragments !== null) {
      this.dropFragment();
      this.assembler.markBroken();
    }
    this.assembler.finish(out);
    return out;
  }

  private readPayload(payload: Uint8Array): void {
    const r = new ByteReader(payload);
    const header = r.peekU8();
    const type = header & 0x1f;
    if (type >= 1 && type <= 23) {
      this.interruptFragment();
      this.assembler.add(payload);
    } else if (type === H264NalType.StapA) {
      this.interruptFragment();
      r.skip(1);
      const nalus: Uint8Array[] = [];
      while (r.remaining > 0) {
        const size = r.u16();
        nalus.push(r.bytesView(size, 'STAP-A NAL unit'));
      }
      // Only add once the whole aggregate parsed: a bad one adds nothing.
      for (const nal of nalus) this.assembler.add(nal);
    } else if (type === H264NalType.FuA) {
      this.readFuA(r);
    } else if (UNSUPPORTED.has(type)) {
      throw badPacket(`unsupported H.264 payload type ${type}`);
    }
  }

  private readFuA(r: ByteReader): void {
    const indicator = r.u8();
    const fuHeader = r.u8();
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    const fragment = r.rest();
    if (start && end) throw badPacket('FU-A with both S and E set'); // 5.8: not allowed
    if (start) {
      this.interruptFragment();
      const nalHeader = (indicator & 0xe0) | (fuHeader & 0x1f);
      this.fragments = [Uint8Array.of(nalHeader), fragment];
      this.fragmentSize = 1 + fragment.byteLength;
      return;
    }
    if (this.fragments === null) {
      // A middle or end without its start: the start was lost (or this is the first packet we saw).
      this.assembler.markBroken();
      return;
    }
    this.fragments.push(fragment);
    this.fragmentSize += fragment.byteLength;
    if (this.assembler.bytes + this.fragmentSize > MAX_ACCESS_UNIT_SIZE) {
      this.dropFragment();
      this.assembler.markBroken();
      return;
    }
    if (end) {
      const nal = concatBytes(this.fragments, this.fragmentSize);
      this.fragments = null;
      this.fragmentSize = 0;
      this.assembler.add(nal);
    }
  }

  /** A new NAL unit starts while a fragmented one is open: its end was lost. */
  private interruptFragment(): void {
    if (this.fragments === null) return;
    this.dropFragment();
    this.assembler.markBroken();
  }

  private dropFragment(): void {
    this.fragments = null;
    this.fragmentSize = 0;
  }
}
