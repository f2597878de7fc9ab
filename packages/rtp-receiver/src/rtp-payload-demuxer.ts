/**
 * From RTP packets (in order, one SSRC) to elementary frames: recognises what the
 * payload carries — MPEG-PS (GB28181), MPEG-TS (RFC 2250) or a raw H.264/H.265
 * Annex B stream — from the bytes themselves (cameras label PS with any dynamic
 * payload type), then feeds the matching demuxer.
 *
 *   0x47 every 188 bytes            → TS
 *   00 00 01 BA/BB/BC/BD..FF        → PS
 *   00 00 01 | 00 00 00 01 + NAL    → raw Annex B
 *
 * A sequence gap tells the demuxer bytes are missing: the frame being assembled is
 * dropped (counted) and video resumes at the next keyframe. The marker bit ends a
 * PS access unit (no waiting for the next frame's PTS) and a raw-ES access unit.
 */
import type { ElementaryFrame, EsCodec } from './frame.js';
import { PsDemuxer } from './ps-demuxer.js';
import { RawEsDemuxer } from './raw-es-demuxer.js';
import type { RtpPacket } from './rtp-packet.js';
import { SequenceUnwrapper, TimestampUnwrapper } from './sequence.js';
import { TS_PACKET_SIZE, TS_SYNC_BYTE } from './ts-packet.js';
import { TsDemuxer } from './ts-demuxer.js';

export type PayloadFormat = 'ps' | 'ts' | 'es';

/** RFC 3550 A.1: a jump further than this ahead is a restart of the sender, not loss. */
const MAX_DROPOUT = 3000;
/** RFC 3550 A.1: a packet further behind than this is a restart of the sender, not a late packet. */
const MAX_MISORDER = 100;

/** What the payload carries, from its first bytes; undefined when it cannot tell (a payload from the middle of a frame). */
export function detectPayloadFormat(payload: Uint8Array): PayloadFormat | undefined {
  const n = payload.byteLength;
  if (n >= TS_PACKET_SIZE && n % TS_PACKET_SIZE === 0) {
    let ts = true;
    for (let i = 0; i < n; i += TS_PACKET_SIZE) if (payload[i] !== TS_SYNC_BYTE) ts = false;
    if (ts) return 'ts';
  }
  let i = 0;
  if (n >= 5 && payload[0] === 0 && payload[1] === 0 && payload[2] === 0 && payload[3] === 1) i = 1;
  if (n < i + 4 || payload[i] !== 0 || payload[i + 1] !== 0 || payload[i + 2] !== 1) return undefined;
  const id = payload[i + 3]!;
  if (id >= 0xb9) return 'ps';
  // forbidden_zero_bit 0: a NAL unit header of H.264 or H.265.
  if (id < 0x80) return 'es';
  return undefined;
}

export interface RtpPayloadDemuxerOptions {
  /** Skip detection (from the SDP or the API's configuration). */
  format?: PayloadFormat;
  /** Use the marker bit as an end-of-access-unit hint (default true). */
  useMarker?: boolean;
}

export interface RtpPayloadDemuxerStats {
  /** Packets pushed. */
  packets: number;
  /** Sequence gaps seen (each drops the frame in progress). */
  gaps: number;
  /** Packets missing in those gaps. */
  lostPackets: number;
  /** Packets older than or equal to one already pushed (dropped). */
  outOfOrder: number;
  /** Sequence restarts (a large jump: the sender restarted). */
  restarts: number;
  /** Packets dropped before the format could be recognised. */
  undetected: number;
  /** Frames delivered. */
  frames: number;
  /** Frames dropped (see the demuxer's stats for why) and video frames dropped waiting for a keyframe. */
  droppedFrames: number;
  waitingForKeyframe: number;
  /** Bytes held by the demuxer now (bounded). */
  bufferedBytes: number;
}

type Demuxer = PsDemuxer | TsDemuxer | RawEsDemuxer;

export class RtpPayloadDemuxer {
  private readonly s: RtpPayloadDemuxerStats = {
    packets: 0, gaps: 0, lostPackets: 0, outOfOrder: 0, restarts: 0, undetected: 0, frames: 0,
    droppedFrames: 0, waitingForKeyframe: 0, bufferedBytes: 0,
  };
  private readonly seq = new SequenceUnwrapper();
  private readonly rtpTime = new TimestampUnwrapper(32);
  private last: number | undefined;
  private fmt: PayloadFormat | undefined;
  private demux: Demuxer | undefined;
  private readonly useMarker: boolean;

  constructor(options: RtpPayloadDemuxerOptions = {}) {
    this.useMarker = options.useMarker ?? true;
    if (options.format) this.start(options.format);
  }

  get format(): PayloadFormat | undefined {
    return this.fmt;
  }

  /** The codecs found so far. */
  get codecs(): { video?: EsCodec; audio?: EsCodec } {
    return this.demux?.codecs ?? {};
  }

  /** The demuxer in use (its own, more detailed stats). */
  get demuxer(): Demuxer | undefined {
    return this.demux;
  }

  get stats(): Readonly<RtpPayloadDemuxerStats> {
    const d = this.demux?.stats;
    if (d) {
      this.s.droppedFrames = d.droppedFrames;
      this.s.waitingForKeyframe = d.waitingForKeyframe;
      this.s.bufferedBytes = d.bufferedBytes;
    }
    return this.s;
  }

  /** One RTP packet (in sequence order, as the receivers deliver them); returns the frames it completes. Never throws for bad input. */
  push(packet: RtpPacket): ElementaryFrame[] {
    this.s.packets++;
    const ext = this.seq.unwrap(packet.sequenceNumber);
    if (this.last !== undefined) {
      const delta = ext - this.last;
      if (delta >= MAX_DROPOUT || delta < -MAX_MISORDER) {
        this.s.restarts++;
        this.seq.reset();
        this.seq.unwrap(packet.sequenceNumber);
        this.rtpTime.reset();
        this.demux?.discontinuity();
        this.last = packet.sequenceNumber;
      } else if (delta <= 0) {
        this.s.outOfOrder++;
        return [];
      } else {
        if (delta > 1) {
          this.s.gaps++;
          this.s.lostPackets += delta - 1;
          this.demux?.discontinuity();
        }
        this.last = ext;
      }
    } else {
      this.last = ext;
    }
    const time = this.rtpTime.unwrap(packet.timestamp);
    if (!this.demux) {
      const fmt = detectPayloadFormat(packet.payload);
      if (!fmt) {
        this.s.undetected++;
        return [];
      }
      this.start(fmt);
    }
    const d = this.demux!;
    let frames: ElementaryFrame[];
    if (d instanceof RawEsDemuxer) {
      frames = d.push(packet.payload, time, this.useMarker && packet.marker);
    } else {
      d.setFallbackPts(time);
      frames = d.push(packet.payload);
      if (this.useMarker && packet.marker && d instanceof PsDemuxer) frames.push(...d.endOfAccessUnit());
    }
    this.s.frames += frames.length;
    return frames;
  }

  /** End of stream: the frames still being assembled. */
  flush(): ElementaryFrame[] {
    const frames = this.demux?.flush() ?? [];
    this.s.frames += frames.length;
    return frames;
  }

  private start(fmt: PayloadFormat): void {
    this.fmt = fmt;
    this.demux = fmt === 'ps' ? new PsDemuxer() : fmt === 'ts' ? new TsDemuxer() : new RawEsDemuxer();
  }
}
