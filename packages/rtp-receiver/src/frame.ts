/** What the demuxers hand to the relay: one access unit of one elementary stream. */
export type EsCodec = 'h264' | 'h265' | 'aac' | 'pcma' | 'pcmu';

export interface ElementaryFrame {
  readonly codec: EsCodec;
  /** Presentation time, 90 kHz, unwrapped (33-bit PTS wrap removed) on the program's clock. */
  readonly pts: number;
  /** Decoding time, 90 kHz, never decreasing per stream; equal to pts when the PES had no DTS. */
  readonly dts: number;
  /**
   * video: one Annex B access unit (start codes included; a keyframe carries the
   * parameter sets the camera sent with it); aac: one or more whole ADTS frames;
   * pcma / pcmu: raw G.711 samples (8 kHz mono as GB28181 sends them).
   * The frame owns these bytes (never a view into a socket buffer).
   */
  readonly data: Uint8Array;
  /**
   * video: the access unit's NAL units without start codes (views into `data`),
   * as the demuxer already split them to find keyframes; absent for audio.
   */
  readonly nalus?: readonly Uint8Array[];
  /** video: holds an IDR (H.264) / IRAP (H.265) picture; audio: always true. */
  readonly keyframe: boolean;
}
