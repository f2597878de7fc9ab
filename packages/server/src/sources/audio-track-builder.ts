import {
  audioTrackFromAsc,
  buildAudioSpecificConfig,
  g711Track,
  parseAdts,
  type AudioTrack,
  type MediaFrame,
} from '@sluice/codec';

/**
 * Turns demuxed audio (ADTS AAC, raw AAC with a known config, G.711) into an
 * AudioTrack and frames in the track's timescale (its sample rate). Input
 * timestamps are 90 kHz, as PES and most RTP video clocks are.
 */
export class AudioTrackBuilder {
  private current: AudioTrack | undefined;
  private configKey = '';
  private lastAsc: Uint8Array | undefined;
  /** Bad ADTS, and frames that could not be used. */
  dropped = 0;

  constructor(readonly trackId: number) {}

  get track(): AudioTrack | undefined {
    return this.current;
  }

  /** One PES / RTP payload of ADTS frames; each AAC frame is 1024 samples after the first one's PTS. */
  pushAdts(data: Uint8Array, pts90k: number): { frames: MediaFrame[]; trackChanged: boolean } {
    let adts;
    try {
      adts = parseAdts(data);
    } catch {
      this.dropped++;
      return { frames: [], trackChanged: false };
    }
    if (adts.length === 0) return { frames: [], trackChanged: false };
    const c = adts[0]!.config;
    const key = `aac/${c.objectType}/${c.sampleRate}/${c.channels}`;
    let trackChanged = false;
    if (key !== this.configKey) {
      this.configKey = key;
      this.current = audioTrackFromAsc(
        this.trackId,
        buildAudioSpecificConfig({ objectType: c.objectType, sampleRate: c.sampleRate, channels: c.channels }),
      );
      trackChanged = true;
    }
    const rate = this.current!.timescale;
    const base = Math.round((pts90k * rate) / 90000);
    const frames = adts.map((f, i) => {
      const dts = base + i * 1024;
      return { trackId: this.trackId, kind: 'audio' as const, dts, pts: dts, keyframe: true, data: f.data };
    });
    return { frames, trackChanged };
  }

  /** G.711 samples (one byte per sample per channel). */
  pushG711(codec: 'pcma' | 'pcmu', data: Uint8Array, pts90k: number, sampleRate = 8000, channels = 1): { frames: MediaFrame[]; trackChanged: boolean } {
    const key = `${codec}/${sampleRate}/${channels}`;
    let trackChanged = false;
    if (key !== this.configKey) {
      this.configKey = key;
      this.current = g711Track(this.trackId, codec, sampleRate, channels);
      trackChanged = true;
    }
    const dts = Math.round((pts90k * sampleRate) / 90000);
    return { frames: [{ trackId: this.trackId, kind: 'audio', dts, pts: dts, keyframe: true, data }], trackChanged };
  }

  /** A raw AAC access unit whose AudioSpecificConfig came out of band (SDP); `ts` is in the track's timescale. */
  pushAac(asc: Uint8Array, data: Uint8Array, ts: number): { frames: MediaFrame[]; trackChanged: boolean } {
    let trackChanged = false;
    // The SDP config is the same object for every frame of a session: compare by identity first,
    // so the per-frame path does not build a hex key for every access unit.
    if (asc === this.lastAsc && this.current) {
      return { frames: [{ trackId: this.trackId, kind: 'audio', dts: ts, pts: ts, keyframe: true, data }], trackChanged };
    }
    this.lastAsc = asc;
    const key = `asc/${Buffer.from(asc).toString('hex')}`;
    if (key !== this.configKey) {
      try {
        this.current = audioTrackFromAsc(this.trackId, asc);
      } catch {
        this.dropped++;
        return { frames: [], trackChanged: false };
      }
      this.configKey = key;
      trackChanged = true;
    }
    return { frames: [{ trackId: this.trackId, kind: 'audio', dts: ts, pts: ts, keyframe: true, data }], trackChanged };
  }
}
