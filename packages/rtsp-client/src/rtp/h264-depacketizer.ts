import { ByteReader, H264NalType } from '@sluice/codec';
import { badPacket } from './depacketizer.js';
import { NalDepacketizer } from './nal-depacketizer.js';

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
export class H264Depacketizer extends NalDepacketizer {
  protected readPayload(payload: Uint8Array): void {
    const r = new ByteReader(payload);
    const header = r.peekU8();
    const type = header & 0x1f;
    if (type >= 1 && type <= 23) {
      this.addNal(payload);
    } else if (type === H264NalType.StapA) {
      this.interruptFragment();
      r.skip(1);
      const nalus: Uint8Array[] = [];
      while (r.remaining > 0) {
        const size = r.u16();
        nalus.push(r.bytesView(size, 'STAP-A NAL unit'));
      }
      // Only add once the whole aggregate parsed: a bad one adds nothing.
      for (const nal of nalus) this.addNal(nal);
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
    if (start) this.startFragment(Uint8Array.of((indicator & 0xe0) | (fuHeader & 0x1f)), fragment);
    else this.continueFragment(fragment, end);
  }
}
