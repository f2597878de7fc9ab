/**
 * What both receivers do with one datagram or RFC 4571 frame: drop RTCP, parse the
 * RTP header, apply the SSRC filter, put the packet through the reorder buffer and
 * count everything. Per-packet problems never throw from here.
 */
import { RtpError } from './errors.js';
import { ReorderBuffer, type ReorderOptions, type ReorderStats } from './reorder-buffer.js';
import { parseRtpPacket, type RtpPacket } from './rtp-packet.js';
import { SsrcFilter } from './ssrc-filter.js';

export interface RtpReceiverStats extends ReorderStats {
  /** RTP packets parsed (before the SSRC filter). */
  packets: number;
  /** Bytes received (datagrams, or TCP bytes including framing and garbage). */
  bytes: number;
  /** Datagrams / frames that are not valid RTP (counted, dropped). */
  badPackets: number;
  /** RTCP packets on the RTP port (rtcp-mux, or RTCP framed into the TCP stream): ignored. */
  rtcpPackets: number;
  /** Packets from another SSRC than the one accepted (dropped). */
  ssrcMismatches: number;
  /** Times the accepted SSRC changed (first lock, an implicit lock moving, setSsrc). */
  ssrcChanges: number;
  /** TCP only: times the RFC 4571 stream lost synchronisation. */
  resyncs: number;
  /** TCP only: bytes skipped while resynchronising. */
  skippedBytes: number;
  /** Packets held in the reorder buffer right now (bounded by maxPackets). */
  heldPackets: number;
  /** TCP only: bytes held for an incomplete frame right now (bounded by 65535 + 16). */
  bufferedBytes: number;
}

export interface RemoteInfo {
  readonly address: string;
  readonly port: number;
}

/** RTCP packet types 200..204 in the second byte (RFC 5761 section 4: how RTP and RTCP are told apart on one port). */
const isRtcp = (b: Uint8Array) => b.byteLength >= 2 && b[1]! >= 200 && b[1]! <= 204;

export interface IntakeHooks {
  locked?(): void;
  accepted?(packet: RtpPacket): void;
}

export class RtpIntake {
  private readonly filter: SsrcFilter;
  readonly reorder: ReorderBuffer;
  private readonly counts = {
    packets: 0, bytes: 0, badPackets: 0, rtcpPackets: 0, ssrcMismatches: 0, ssrcChanges: 0,
  };
  /** Set by the TCP receiver (deframer counters). */
  framing = { resyncs: 0, skippedBytes: 0, buffered: 0 };

  constructor(ssrc: number | undefined, reorder: ReorderOptions) {
    this.filter = new SsrcFilter(ssrc ?? 0);
    this.reorder = new ReorderBuffer(reorder);
  }

  get ssrc(): number | undefined {
    return this.filter.ssrc;
  }

  get stats(): RtpReceiverStats {
    return {
      ...this.reorder.stats,
      ...this.counts,
      resyncs: this.framing.resyncs,
      skippedBytes: this.framing.skippedBytes,
      bufferedBytes: this.framing.buffered,
      heldPackets: this.reorder.size,
    };
  }

  setSsrc(ssrc: number): void {
    const before = this.filter.ssrc;
    this.filter.set(ssrc);
    if (this.filter.ssrc !== before) {
      this.reorder.reset();
      if (this.filter.ssrc !== undefined) this.counts.ssrcChanges++;
    }
  }

  countBytes(n: number): void {
    this.counts.bytes += n;
  }

  /**
   * One datagram or frame in; the packets now deliverable out (in order). `locked`
   * runs when the accepted sender changes (to note the peer), `accepted` with the
   * packet when it passes the filter (before the reorder buffer may hold it).
   */
  accept(bytes: Uint8Array, nowMs: number, hooks: IntakeHooks = {}): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.acceptInto(bytes, nowMs, out, hooks);
    return out;
  }

  /**
   * `accept` that appends the deliverable packets to `out` (an array the receiver
   * reuses) and returns the packet that passed the filter, if any: the per-packet
   * path then allocates nothing but the packet and its payload view.
   */
  acceptInto(bytes: Uint8Array, nowMs: number, out: RtpPacket[], hooks?: IntakeHooks): RtpPacket | undefined {
    if (isRtcp(bytes)) {
      this.counts.rtcpPackets++;
      return undefined;
    }
    let packet: RtpPacket;
    try {
      packet = parseRtpPacket(bytes);
    } catch (err) {
      if (!(err instanceof RtpError)) throw err;
      this.counts.badPackets++;
      return undefined;
    }
    this.counts.packets++;
    switch (this.filter.check(packet.ssrc)) {
      case 'mismatch':
        this.counts.ssrcMismatches++;
        return undefined;
      case 'relocked':
        // A new sender: its sequence numbers have nothing to do with the old one's.
        this.reorder.reset();
        this.counts.ssrcMismatches++;
        this.counts.ssrcChanges++;
        hooks?.locked?.();
        break;
      case 'locked':
        this.counts.ssrcChanges++;
        hooks?.locked?.();
        break;
      case 'accept':
        break;
    }
    hooks?.accepted?.(packet);
    this.reorder.pushInto(packet, nowMs, out);
    return packet;
  }
}
