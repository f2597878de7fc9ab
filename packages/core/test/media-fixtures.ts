import type { AudioTrack, MediaFrame, Track, VideoTrack } from '@sluice/codec';
import type { FrameReader } from '../src/index.js';

/** An avcC body: version 1, High profile level 3.1; `variant` changes the SPS byte so decoding differs. */
export function avcC(variant = 0): Uint8Array {
  return Uint8Array.of(1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00, 0x1f + variant, 0x01, 0x00, 0x02, 0x68, 0xee);
}

export function videoTrack(overrides: Partial<VideoTrack> = {}): VideoTrack {
  return {
    kind: 'video',
    id: 1,
    codec: 'h264',
    timescale: 90_000,
    width: 1280,
    height: 720,
    codecString: 'avc1.64001f',
    decoderConfig: avcC(),
    ...overrides,
  };
}

export function audioTrack(overrides: Partial<AudioTrack> = {}): AudioTrack {
  return {
    kind: 'audio',
    id: 2,
    codec: 'aac',
    timescale: 48_000,
    sampleRate: 48_000,
    channels: 2,
    codecString: 'mp4a.40.2',
    decoderConfig: Uint8Array.of(0x11, 0x90),
    ...overrides,
  };
}

export function videoFrame(dts: number, keyframe: boolean, trackId = 1, bytes = 100): MediaFrame {
  return { trackId, kind: 'video', dts, pts: dts, keyframe, data: new Uint8Array(bytes) };
}

export function audioFrame(dts: number, trackId = 2, bytes = 20): MediaFrame {
  return { trackId, kind: 'audio', dts, pts: dts, keyframe: true, data: new Uint8Array(bytes) };
}

export type ReaderEvent =
  | { type: 'tracks'; tracks: readonly Track[] }
  | { type: 'frame'; frame: MediaFrame }
  | { type: 'close'; reason: string };

/** A FrameReader that records what it is told, in order. */
export class RecordingReader implements FrameReader {
  readonly events: ReaderEvent[] = [];
  pending = 0;

  onTracks(tracks: readonly Track[]): void {
    this.events.push({ type: 'tracks', tracks });
  }
  onFrame(frame: MediaFrame): void {
    this.events.push({ type: 'frame', frame });
  }
  onClose(reason: string): void {
    this.events.push({ type: 'close', reason });
  }
  pendingBytes(): number {
    return this.pending;
  }

  get frames(): MediaFrame[] {
    return this.events.flatMap((event) => (event.type === 'frame' ? [event.frame] : []));
  }

  /** 'T' for tracks, 'K'/'P' for video key/non-key frames, 'A' for audio, 'X' for close. */
  get trace(): string {
    return this.events
      .map((event) => {
        if (event.type === 'tracks') return 'T';
        if (event.type === 'close') return 'X';
        if (event.frame.kind === 'audio') return 'A';
        return event.frame.keyframe ? 'K' : 'P';
      })
      .join('');
  }
}
