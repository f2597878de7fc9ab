import {
  AccessUnitAssembler,
  isPacketError,
  MAX_ACCESS_UNIT_SIZE,
  concatBytes,
  newCounters,
  type Depacketizer,
  type RtpPayloadPacket,
  type VideoAccessUnit,
} from './depacketizer.js';

/**
 * What the H.264 (RFC 6184) and H.265 (RFC 7798) depacketizers share: the
 * per-packet frame of loss handling around a format's payload parser, and the
 * reassembly of one fragmented NAL unit (FU-A / FU). Subclasses parse their
 * payload structures and call `addNal`, `startFragment` and `continueFragment`.
 *
 * A packet that fails to parse is counted as bad and breaks its access unit; a
 * NAL unit whose start, middle or end is missing (sequence gap, another NAL
 * unit or the marker arriving first) breaks it too, so no access unit is ever
 * emitted with a hole.
 */
export abstract class NalDepacketizer implements Depacketizer<VideoAccessUnit> {
  readonly counters = newCounters();
  protected readonly assembler = new AccessUnitAssembler(this.counters);
  /** Fragments of the NAL unit being reassembled (the first holds the rebuilt NAL header). */
  private fragments: Uint8Array[] | null = null;
  private fragmentSize = 0;

  /** Parses one payload; throws a packet error (badPacket, TruncatedError) when it makes no sense. */
  protected abstract readPayload(payload: Uint8Array): void;

  push(packet: RtpPayloadPacket): VideoAccessUnit[] {
    this.counters.packets++;
    const out: VideoAccessUnit[] = [];
    if (this.assembler.begin(packet, out)) this.dropFragment();
    try {
      this.readPayload(packet.payload);
    } catch (err) {
      // A lying aggregate length, a short fragment header: the packet is bad.
      if (!isPacketError(err)) throw err;
      this.counters.badPackets++;
      this.breakFragment();
    }
    // The marker closes the access unit: a NAL unit still in fragments lost its end.
    if (packet.marker) this.interruptFragment();
    this.assembler.end(packet, out);
    return out;
  }

  get bufferedBytes(): number {
    return this.assembler.bytes + this.fragmentSize;
  }

  flush(): VideoAccessUnit[] {
    const out: VideoAccessUnit[] = [];
    this.interruptFragment();
    this.assembler.finish(out);
    return out;
  }

  /** A whole NAL unit (single NAL unit packet, or one of an aggregate). */
  protected addNal(nal: Uint8Array): void {
    this.interruptFragment();
    this.assembler.add(nal);
  }

  /** The first fragment of a NAL unit, with its rebuilt NAL unit header. */
  protected startFragment(nalHeader: Uint8Array, fragment: Uint8Array): void {
    this.interruptFragment();
    this.fragments = [nalHeader, fragment];
    this.fragmentSize = nalHeader.byteLength + fragment.byteLength;
  }

  /** A middle (`end` false) or last fragment. */
  protected continueFragment(fragment: Uint8Array, end: boolean): void {
    if (this.fragments === null) {
      // A middle or end without its start: the start was lost (or this is the first packet we saw).
      this.assembler.markBroken();
      return;
    }
    this.fragments.push(fragment);
    this.fragmentSize += fragment.byteLength;
    if (this.assembler.bytes + this.fragmentSize > MAX_ACCESS_UNIT_SIZE) {
      this.breakFragment();
      return;
    }
    if (end) {
      const nal = concatBytes(this.fragments, this.fragmentSize);
      this.dropFragment();
      this.assembler.add(nal);
    }
  }

  /** Anything but the next fragment arrives while a NAL unit is open: its end was lost. */
  protected interruptFragment(): void {
    if (this.fragments !== null) this.breakFragment();
  }

  private breakFragment(): void {
    this.dropFragment();
    this.assembler.markBroken();
  }

  private dropFragment(): void {
    this.fragments = null;
    this.fragmentSize = 0;
  }
}
