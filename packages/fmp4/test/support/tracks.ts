import type { AudioTrack, VideoTrack } from '@sluice/codec';

/** avcC of a libx264 640x360 Main@3.0 stream (ffmpeg testsrc2), one SPS, one PPS. */
export const AVCC_X264_640x360 = new Uint8Array([
  0x01, 0x4d, 0x40, 0x1e, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x4d, 0x40, 0x1e, 0xec, 0xa0, 0x50, 0x17, 0xfc, 0xb8, 0x08,
  0x80, 0x00, 0x00, 0x03, 0x00, 0x80, 0x00, 0x00, 0x19, 0x07, 0x8b, 0x16, 0xcb, 0x01, 0x00, 0x04, 0x68, 0xce, 0x0f,
  0xc8,
]);

/** AAC-LC 44.1 kHz stereo AudioSpecificConfig. */
export const ASC_AAC_LC_44100_STEREO = new Uint8Array([0x12, 0x10]);

export const h264Track: VideoTrack = {
  kind: 'video',
  id: 1,
  codec: 'h264',
  timescale: 90000,
  width: 640,
  height: 360,
  codecString: 'avc1.4d401e',
  decoderConfig: AVCC_X264_640x360,
};

/** The record's bytes only have to be carried; these are a recognisable pattern, not a real hvcC. */
export const h265Track: VideoTrack = {
  kind: 'video',
  id: 1,
  codec: 'h265',
  timescale: 90000,
  width: 1920,
  height: 1080,
  codecString: 'hvc1.1.6.L120.90',
  decoderConfig: Uint8Array.from({ length: 40 }, (_, i) => (i * 7 + 1) & 0xff),
};

export const aacTrack: AudioTrack = {
  kind: 'audio',
  id: 2,
  codec: 'aac',
  timescale: 44100,
  sampleRate: 44100,
  channels: 2,
  codecString: 'mp4a.40.2',
  decoderConfig: ASC_AAC_LC_44100_STEREO,
};

export const pcmaTrack: AudioTrack = {
  kind: 'audio',
  id: 2,
  codec: 'pcma',
  timescale: 8000,
  sampleRate: 8000,
  channels: 1,
  codecString: 'alaw',
  decoderConfig: new Uint8Array(0),
};

export const pcmuTrack: AudioTrack = { ...pcmaTrack, id: 3, codec: 'pcmu', codecString: 'ulaw' };
