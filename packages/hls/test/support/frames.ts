import type { AudioTrack, MediaFrame, VideoTrack } from '@sluice/codec';

/** avcC of a libx264 640x360 Main@3.0 stream (ffmpeg testsrc2), one SPS, one PPS. */
export const AVCC_640x360 = new Uint8Array([
  0x01, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x4d, 0x40, 0x1e, 0xec, 0xa0, 0x50, 0x17, 0xfc, 0xb8, 0x08,
  0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x19, 0x07, 0x8b, 0x16, 0xcb, 0x01, 0x00, 0x04, 0x68, 0xce, 0x0f,
  0xc8,
]);

export const video: VideoTrack = {
  kind: 'video',
  id: 1,
  codec: 'h264',
  timescale: 90000,
  width: 640,
  height: 360,
  codecString: 'avc1.4d401e',
  decoderConfig: AVCC_640x360,
};

/** The same stream after a resolution change: a different record, so a different init segment. */
export const video720: VideoTrack = {
  ...video,
  width: 1280,
  height: 720,
  codecString: 'avc1.4d401f',
  decoderConfig: Uint8Array.from(AVCC_640x360, (b, i) => (i === 3 ? 0x1f : b)),
};

export const audio: AudioTrack = {
  kind: 'audio',
  id: 2,
  codec: 'aac',
  timescale: 44100,
  sampleRate: 44100,
  channels: 2,
  codecString: 'mp4a.40.2',
  decoderConfig: new Uint8Array([0x12, 0x10]),
};

export const IDR = 0x65;
export const NON_IDR = 0x41;

export interface SyntheticOptions {
  seconds: number;
  /** Start of the first frame, seconds. */
  startSeconds: number;
  fps: number;
  /** Frames per GOP; 0 = only the first frame is a keyframe. */
  gopFrames: number;
  video: boolean;
  audio: boolean;
  /** Bytes per video access unit (payload after the length prefix and NAL header). */
  videoBytes: number;
}

/**
 * Fake H.264 access units (a length-prefixed IDR or non-IDR NAL) at `fps` and AAC
 * frames (1024 samples at 44.1 kHz), interleaved by decode time the way a source
 * hands them over. Video dts = pts (no B-frames).
 */
export function synthetic(opts: Partial<SyntheticOptions> = {}): MediaFrame[] {
  const o: SyntheticOptions = {
    seconds: 10, startSeconds: 1, fps: 25, gopFrames: 25, video: true, audio: true, videoBytes: 200, ...opts,
  };
  const out: { t: number; order: number; frame: MediaFrame }[] = [];
  if (o.video) {
    const n = Math.round(o.seconds * o.fps);
    for (let i = 0; i < n; i++) {
      const dts = Math.round((o.startSeconds + i / o.fps) * video.timescale);
      const key = o.gopFrames === 0 ? i === 0 : i % o.gopFrames === 0;
      const data = accessUnit(key, o.videoBytes, i);
      out.push({ t: dts / video.timescale, order: 0, frame: { trackId: video.id, kind: 'video', dts, pts: dts, keyframe: key, data } });
    }
  }
  if (o.audio) {
    const start = Math.round(o.startSeconds * audio.timescale);
    const n = Math.floor((o.seconds * audio.timescale) / 1024);
    for (let i = 0; i < n; i++) {
      const dts = start + i * 1024;
      out.push({ t: dts / audio.timescale, order: 1, frame: { trackId: audio.id, kind: 'audio', dts, pts: dts, keyframe: true, data: new Uint8Array([0x21, i & 0xff, 0x42]) } });
    }
  }
  return out.sort((a, b) => a.t - b.t || a.order - b.order).map((x) => x.frame);
}

function accessUnit(key: boolean, bytes: number, i: number): Uint8Array {
  const au = new Uint8Array(5 + bytes);
  new DataView(au.buffer).setUint32(0, 1 + bytes);
  au[4] = key ? IDR : NON_IDR;
  au[5] = i & 0xff;
  return au;
}

export function isVideoKeyframeData(data: Uint8Array): boolean {
  return data[4] === IDR;
}
