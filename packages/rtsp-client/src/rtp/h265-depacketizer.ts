import { ByteReader, H265NalType } from '@sluice/codec';
import { badPacket } from './depacketizer.js';
import { NalDepacketizer } from './nal-depacketizer.js';

// Specification: RFC 7798, section 4.4 (payload structures): single NAL unit
// packets, aggregation packets (AP, type 48) and fragmentation units (FU, type 49).
//
// Payload header = NAL unit header (1.1.4):
//   +---------------+---------------+
//   |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |F|   Type    |  LayerId  | TID |
//   +-------------+-----------------+
//
// AP (4.4.2): PayloadHdr (Type 48), then repeated [DONL/DOND] NALU size (16) | NALU
// FU (4.4.3): PayloadHdr (Type 49), FU header, [DONL on the first fragment], fragment
//   +---------------+
//   |0|1|2|3|4|5|6|7|
//   +-+-+-+-+-+-+-+-+
//   |S|E|  FuType   |
//   +---------------+
// DONL/DOND are present only when sprop-max-don-diff > 0 (or sprop-depack-buf-nalus > 0).

export interface H265DepacketizerOptions {
  /**
   * The stream carries decoding order numbers (sprop-max-don-diff > 0): DONL and
   * DOND fields are skipped. NAL units are still emitted in transmission order.
   */
  readonly donl?: boolean;
}

/**
 * RTP payloads (RFC 7798) → H.265 access units. PACI packets (type 50) are
 * counted as bad: no camera sends them.
 */
export class H265Depacketizer extends NalDepacketizer {
  private readonly donl: boolean;

  constructor(options: H265DepacketizerOptions = {}) {
    super();
    this.donl = options.donl ?? false;
  }

  protected readPayload(payload: Uint8Array): void {
    const r = new ByteReader(payload);
    const h0 = r.u8();
    const h1 = r.u8();
    if ((h0 & 0x80) !== 0) throw badPacket('forbidden_zero_bit set');
    const type = (h0 >> 1) & 0x3f;
    if (type < H265NalType.AP) {
      if (!this.donl) {
        this.addNal(payload);
        return;
      }
      r.skip(2); // DONL
      const nal = new Uint8Array(2 + r.remaining);
      nal[0] = h0;
      nal[1] = h1;
      nal.set(r.rest(), 2);
      this.addNal(nal);
    } else if (type === H265NalType.AP) {
      this.interruptFragment();
      const nalus: Uint8Array[] = [];
      let first = true;
      while (r.remaining > 0) {
        if (this.donl) r.skip(first ? 2 : 1); // DONL, then DOND
        first = false;
        const size = r.u16();
        if (size < 2) throw badPacket('AP NAL unit shorter than its header');
        nalus.push(r.bytesView(size, 'AP NAL unit'));
      }
      for (const nal of nalus) this.addNal(nal);
    } else if (type === H265NalType.FU) {
      this.readFu(r, h0, h1);
    } else {
      throw badPacket(`unsupported H.265 payload type ${type}`);
    }
  }

  private readFu(r: ByteReader, h0: number, h1: number): void {
    const fuHeader = r.u8();
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    const fuType = fuHeader & 0x3f;
    if (start && end) throw badPacket('FU with both S and E set'); // 4.4.3: not allowed
    if (!start) {
      this.continueFragment(r.rest(), end);
      return;
    }
    if (this.donl) r.skip(2);
    // The NAL unit header: F and LayerId/TID from the payload header, Type from FuType.
    this.startFragment(Uint8Array.of((h0 & 0x81) | (fuType << 1), h1), r.rest());
  }
}
