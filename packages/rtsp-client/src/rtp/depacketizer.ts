import { CodecError, TruncatedError } from '@sluice/codec';
import { RtspError } from '../errors.js';

/**
 * What the depacketizers share: the RTP fields they read, their output, their
 * counters and the rule that groups video NAL units into access units.
 *
 * Depacketizers see packets in sequence-number order (the ReorderBuffer runs
 * before them on UDP; TCP keeps order) and notice loss themselves, from gaps in
 * the sequence numbers: a frame that a lost packet may have belonged to is
 * dropped and counted, never emitted with a hole.
 */

/** The fields of an RTP packet a depacketizer reads (a subset of @sluice/rtp-receiver's RtpPacket). */
export interface RtpPayloadPacket {
  readonly sequenceNumber: number;
  /** The 32-bit RTP timestamp as sent. */
  readonly timestamp: number;
  readonly marker: boolean;
  readonly payload: Uint8Array;
}

export interface DepacketizerCounters {
  /** Packets pushed. */
  packets: number;
  /** Packets whose payload makes no sense for the format (counted, skipped). */
  badPackets: number;
  /** Frames (access units, AAC AUs) dropped because part of them was lost or bad. */
  droppedFrames: number;
}

export interface VideoAccessUnit {
  /** The 32-bit RTP timestamp of the access unit. */
  readonly timestamp: number;
  /** NAL units without start codes or length prefixes, parameter sets included as sent. */
  readonly nalus: Uint8Array[];
}

export interface AudioFrame {
  /** The 32-bit RTP timestamp of this frame (for several AUs in one packet: advanced per AU). */
  readonly timestamp: number;
  readonly data: Uint8Array;
}

export interface Depacketizer<F> {
  readonly counters: DepacketizerCounters;
  /** Frames completed by this packet (often none, sometimes several). */
  push(packet: RtpPayloadPacket): F[];
  /** Frames still held, e.g. at the end of a stream (an access unit without a marker). */
  flush(): F[];
  /** Payload bytes held for incomplete frames: bounded by the format's cap whatever arrives. */
  readonly bufferedBytes: number;
}

/**
 * Largest access unit reassembled: a 4K intra frame at a high bitrate is 1-3 MB;
 * 8 MiB holds any real one and bounds what a lying stream can make us hold.
 */
export const MAX_ACCESS_UNIT_SIZE = 8 * 1024 * 1024;
/** NAL units per access unit: 4K with one slice per macroblock row is ~135 slices, plus SEI and parameter sets. */
export const MAX_NALUS_PER_ACCESS_UNIT = 1024;

export function nextSequenceNumber(seq: number): number {
  return (seq + 1) % 65536;
}

export function newCounters(): DepacketizerCounters {
  return { packets: 0, badPackets: 0, droppedFrames: 0 };
}

/** Joins fragments into one new buffer (the packets' buffers are not kept). */
export function concatBytes(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/**
 * Groups NAL units into access units (RFC 6184 section 5.1 / RFC 7798 section
 * 4.1: the marker bit is set on the last packet of an access unit, all its packets
 * share one timestamp). An access unit ends at the marker bit or when the
 * timestamp changes (some cameras never set the marker).
 *
 * Loss rule: after a gap in sequence numbers, the access unit in progress and the
 * one the next packet belongs to are both marked broken (the lost packets may be
 * the end of one or the start of the other); a broken access unit is dropped and
 * counted in `droppedFrames`.
 */
export class AccessUnitAssembler {
  private nalus: Uint8Array[] = [];
  private size = 0;
  private timestamp: number | null = null;
  private broken = false;
  private lastSequence: number | null = null;

  constructor(private readonly counters: DepacketizerCounters) {}

  /**
   * Call first for every packet. Emits into `out` the access unit that this packet's
   * timestamp closes. Returns true when packets were lost right before this one.
   */
  begin(packet: RtpPayloadPacket, out: VideoAccessUnit[]): boolean {
    const gap = this.lastSequence !== null && packet.sequenceNumber !== nextSequenceNumber(this.lastSequence);
    this.lastSequence = packet.sequenceNumber;
    if (gap && this.timestamp !== null) this.broken = true;
    if (this.timestamp !== null && packet.timestamp !== this.timestamp) this.finish(out);
    if (this.timestamp === null) this.timestamp = packet.timestamp;
    if (gap) this.broken = true;
    return gap;
  }

  add(nal: Uint8Array): void {
    if (this.broken) return;
    if (nal.byteLength === 0) return;
    if (this.nalus.length >= MAX_NALUS_PER_ACCESS_UNIT || this.size + nal.byteLength > MAX_ACCESS_UNIT_SIZE) {
      this.markBroken();
      return;
    }
    this.nalus.push(nal);
    this.size += nal.byteLength;
  }

  /** Bytes held for the access unit in progress (fragments are checked against the cap with it). */
  get bytes(): number {
    return this.size;
  }

  markBroken(): void {
    this.broken = true;
    this.nalus = [];
    this.size = 0;
  }

  /** Call after the packet's NAL units were added: the marker bit ends the access unit. */
  end(packet: RtpPayloadPacket, out: VideoAccessUnit[]): void {
    if (packet.marker) this.finish(out);
  }

  finish(out: VideoAccessUnit[]): void {
    if (this.timestamp === null) return;
    if (this.broken) this.counters.droppedFrames++;
    else if (this.nalus.length > 0) out.push({ timestamp: this.timestamp, nalus: this.nalus });
    this.nalus = [];
    this.size = 0;
    this.timestamp = null;
    this.broken = false;
  }
}

/** The error a depacketizer raises for a payload that breaks its format (caught and counted). */
export function badPacket(message: string): RtspError {
  return new RtspError('BAD_PACKET', message);
}

/**
 * True for the errors a malformed payload produces: a short read, a codec
 * syntax error, or `badPacket`. Anything else is a bug and is rethrown.
 */
export function isPacketError(err: unknown): boolean {
  return err instanceof TruncatedError || err instanceof CodecError || (err instanceof RtspError && err.code === 'BAD_PACKET');
}
