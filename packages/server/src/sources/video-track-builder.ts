import {
  H264NalType,
  H265NalType,
  h264NalType,
  h265NalType,
  isH264Keyframe,
  isH265Keyframe,
  toLengthPrefixed,
  videoTrackFromParameterSets,
  type MediaFrame,
  type VideoCodec,
  type VideoTrack,
} from '@sluice/codec';

export interface ParameterSets {
  vps?: Uint8Array[];
  sps: Uint8Array[];
  pps: Uint8Array[];
}

/**
 * Turns access units given as NAL units (RTSP depacketizers, PS/TS demuxers)
 * into a VideoTrack and frames. Parameter sets come from the SDP or in-band;
 * a change in-band yields a new track (so viewers get a new init segment).
 * Frames before the track is known, and before the first keyframe, are
 * dropped: they cannot be decoded.
 */
export class VideoTrackBuilder {
  private vps: Uint8Array | undefined;
  private sps: Uint8Array | undefined;
  private pps: Uint8Array | undefined;
  private current: VideoTrack | undefined;
  /** Frames that could not be used (no parameter sets yet, bad parameter sets). */
  dropped = 0;

  constructor(
    readonly codec: VideoCodec,
    readonly trackId: number,
    readonly timescale: number,
    initial?: ParameterSets,
  ) {
    this.vps = initial?.vps?.[0];
    this.sps = initial?.sps[0];
    this.pps = initial?.pps[0];
  }

  get track(): VideoTrack | undefined {
    if (!this.current) this.rebuild();
    return this.current;
  }

  /**
   * One access unit. Returns the frame (or undefined when it cannot be used) and
   * whether the track changed with it.
   */
  push(nalus: readonly Uint8Array[], pts: number, dts = pts): { frame?: MediaFrame; trackChanged: boolean } {
    let changed = false;
    const kept: Uint8Array[] = [];
    for (const nal of nalus) {
      if (nal.byteLength === 0) continue;
      const role = this.classify(nal);
      if (role === 'aud') continue; // access unit delimiters carry nothing an MP4 sample needs
      if (role === 'vps' || role === 'sps' || role === 'pps') {
        const before = this[role];
        if (!before || !sameBytes(before, nal)) {
          this[role] = nal.slice(); // copy: the input may be a view into a reused receive buffer
          changed = true;
        }
      }
      kept.push(nal);
    }
    if (changed) this.rebuild();
    const track = this.current;
    if (!track || kept.length === 0) {
      this.dropped++;
      return { trackChanged: false };
    }
    const keyframe = this.codec === 'h264' ? isH264Keyframe(kept) : isH265Keyframe(kept);
    return {
      frame: { trackId: this.trackId, kind: 'video', dts, pts, keyframe, data: toLengthPrefixed(kept) },
      trackChanged: changed && this.current !== undefined,
    };
  }

  private classify(nal: Uint8Array): 'vps' | 'sps' | 'pps' | 'aud' | 'other' {
    if (this.codec === 'h264') {
      const t = h264NalType(nal);
      return t === H264NalType.Sps ? 'sps' : t === H264NalType.Pps ? 'pps' : t === H264NalType.Aud ? 'aud' : 'other';
    }
    const t = h265NalType(nal);
    if (t === H265NalType.VPS) return 'vps';
    if (t === H265NalType.SPS) return 'sps';
    if (t === H265NalType.PPS) return 'pps';
    return t === H265NalType.AUD ? 'aud' : 'other';
  }

  private rebuild(): void {
    if (!this.sps || !this.pps || (this.codec === 'h265' && !this.vps)) return;
    const previous = this.current;
    try {
      this.current = videoTrackFromParameterSets(
        this.trackId,
        this.codec,
        { vps: this.vps ? [this.vps] : undefined, sps: [this.sps], pps: [this.pps] },
        this.timescale,
      );
    } catch {
      // Unparsable parameter sets: keep what worked before (if anything) rather than fail the stream.
      this.current = previous;
    }
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
