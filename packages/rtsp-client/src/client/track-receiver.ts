import { ReorderBuffer, TimestampUnwrapper, parseRtpPacket, type RtpPacket } from '@sluice/rtp-receiver';
import { ReceptionStats } from '../rtcp/reception-stats.js';
import { ntpToUnixMs, parseRtcp, type RtcpPacket } from '../rtcp/rtcp.js';
import type { AudioFrame, Depacketizer, VideoAccessUnit } from '../rtp/depacketizer.js';
import { rtpTimestampDelta } from '../rtp/timestamps.js';
import type { RtspTrack, TrackPlan } from '../sdp/tracks.js';

export interface RtspAccessUnit {
  readonly trackIndex: number;
  /** Unwrapped (monotonic past 2^32), in the track's clock rate. */
  readonly rtpTimestamp: number;
  /** Wall clock (ms since the Unix epoch) from the latest RTCP sender report, once one arrived. */
  readonly ntpTime?: number;
  /** Video: the NAL units of one access unit (no start codes), parameter sets as sent. */
  readonly nalus?: Uint8Array[];
  /** Audio: one AAC access unit (raw) or one G.711 chunk. */
  readonly data?: Uint8Array;
}

/**
 * How long a UDP packet may wait for a missing one. Reordering on a LAN or the
 * internet is a few ms; 100 ms stays below what a viewer notices as latency.
 */
export const UDP_REORDER_DELAY_MS = 100;
/** Packets held behind a gap: ~1 s of a 4 Mbit/s stream in 1400-byte packets. */
export const UDP_REORDER_PACKETS = 512;

/**
 * One track's receive path: RTP parse → reorder (UDP) / gap detection (TCP) →
 * depacketizer → access units with unwrapped timestamps and, after an RTCP SR,
 * wall-clock times. Also the RTCP reception statistics for receiver reports.
 */
export class TrackReceiver {
  readonly reorder: ReorderBuffer;
  readonly depacketizer: Depacketizer<VideoAccessUnit> | Depacketizer<AudioFrame>;
  readonly reception: ReceptionStats;
  /** RTP packets that did not parse or carried another payload type. */
  badPackets = 0;
  /** RTP packets accepted. */
  packets = 0;
  private readonly timestamps = new TimestampUnwrapper();
  private sr: { ntpMs: number; rtpTimestamp: number } | undefined;

  constructor(
    readonly index: number,
    readonly plan: TrackPlan,
    transport: 'tcp' | 'udp',
  ) {
    // TCP keeps order: a gap is loss at once (maxDelayMs 0). UDP waits a little for stragglers.
    this.reorder =
      transport === 'udp'
        ? new ReorderBuffer({ maxDelayMs: UDP_REORDER_DELAY_MS, maxPackets: UDP_REORDER_PACKETS })
        : new ReorderBuffer({ maxDelayMs: 0, maxPackets: 0 });
    this.depacketizer = plan.createDepacketizer();
    this.reception = new ReceptionStats(plan.track.clockRate);
  }

  get track(): RtspTrack {
    return this.plan.track;
  }

  onRtp(bytes: Uint8Array, nowMs: number): RtspAccessUnit[] {
    let packet: RtpPacket;
    try {
      packet = parseRtpPacket(bytes);
    } catch {
      this.badPackets++;
      return [];
    }
    if (packet.payloadType !== this.plan.track.payloadType) {
      // Comfort noise, DTMF events, or garbage: not this track's format.
      this.badPackets++;
      return [];
    }
    this.packets++;
    this.reception.onPacket(packet.ssrc, packet.sequenceNumber, packet.timestamp, nowMs);
    return this.depacketize(this.reorder.push(packet, nowMs));
  }

  drain(nowMs: number): RtspAccessUnit[] {
    return this.depacketize(this.reorder.drain(nowMs));
  }

  /** Handles an RTCP compound packet; returns its packets (the caller acts on BYE). */
  onRtcp(bytes: Uint8Array, nowMs: number): RtcpPacket[] {
    const packets = parseRtcp(bytes);
    for (const p of packets) {
      if (p.type !== 'sr') continue;
      this.sr = { ntpMs: ntpToUnixMs(p.ntpMsw, p.ntpLsw), rtpTimestamp: p.rtpTimestamp };
      this.reception.onSenderReport(p.ntpMsw, p.ntpLsw, nowMs);
    }
    return packets;
  }

  private depacketize(packets: RtpPacket[]): RtspAccessUnit[] {
    const out: RtspAccessUnit[] = [];
    for (const packet of packets) {
      for (const frame of this.depacketizer.push(packet)) out.push(this.toAccessUnit(frame));
    }
    return out;
  }

  private toAccessUnit(frame: VideoAccessUnit | AudioFrame): RtspAccessUnit {
    const rtpTimestamp = this.timestamps.unwrap(frame.timestamp);
    const ntpTime =
      this.sr === undefined
        ? undefined
        : this.sr.ntpMs + (rtpTimestampDelta(this.sr.rtpTimestamp, frame.timestamp) * 1000) / this.plan.track.clockRate;
    const base = { trackIndex: this.index, rtpTimestamp, ...(ntpTime === undefined ? {} : { ntpTime }) };
    return 'nalus' in frame ? { ...base, nalus: frame.nalus } : { ...base, data: frame.data };
  }
}
