/**
 * The media model shared by every package: a track's description and an access
 * unit (frame). Protocol packages produce these, `core` fans them out, writers
 * (fMP4, HLS) consume them.
 *
 * Conventions:
 * - Video frames carry AVCC-style NAL units (each prefixed by a 4-byte big-endian
 *   length), without parameter sets being required in-band: the track's
 *   `decoderConfig` holds them (avcC / hvcC record).
 * - Audio AAC frames are raw access units (no ADTS header); `decoderConfig` holds
 *   the AudioSpecificConfig.
 * - `dts` / `pts` are integers in the track's `timescale`.
 * - Frames are immutable once produced: fan-out shares them between readers.
 */
export type VideoCodec = 'h264' | 'h265';
export type AudioCodec = 'aac' | 'pcma' | 'pcmu';
export type Codec = VideoCodec | AudioCodec;

export interface VideoTrack {
  readonly kind: 'video';
  /** 1-based track id, stable for the life of the stream. */
  readonly id: number;
  readonly codec: VideoCodec;
  readonly timescale: number;
  readonly width: number;
  readonly height: number;
  /** RFC 6381 codec string, e.g. `avc1.64001f`. */
  readonly codecString: string;
  /** AVCDecoderConfigurationRecord (avcC body) or HEVCDecoderConfigurationRecord (hvcC body). */
  readonly decoderConfig: Uint8Array;
}

export interface AudioTrack {
  readonly kind: 'audio';
  readonly id: number;
  readonly codec: AudioCodec;
  readonly timescale: number;
  readonly sampleRate: number;
  readonly channels: number;
  /** RFC 6381 codec string, e.g. `mp4a.40.2`. */
  readonly codecString: string;
  /** AudioSpecificConfig for AAC; empty for G.711. */
  readonly decoderConfig: Uint8Array;
}

export type Track = VideoTrack | AudioTrack;

export interface MediaFrame {
  readonly trackId: number;
  readonly kind: 'video' | 'audio';
  /** Decode timestamp in the track's timescale. */
  readonly dts: number;
  /** Presentation timestamp in the track's timescale (pts >= dts for B-frames). */
  readonly pts: number;
  /** A random access point (IDR / IRAP for video; every audio frame). */
  readonly keyframe: boolean;
  readonly data: Uint8Array;
}

/** Two track descriptions decode the same way (a viewer can keep its init segment). */
export function sameDecoding(a: Track, b: Track): boolean {
  if (a.kind !== b.kind || a.codec !== b.codec || a.timescale !== b.timescale) return false;
  if (a.decoderConfig.byteLength !== b.decoderConfig.byteLength) return false;
  for (let i = 0; i < a.decoderConfig.byteLength; i++) {
    if (a.decoderConfig[i] !== b.decoderConfig[i]) return false;
  }
  return true;
}
