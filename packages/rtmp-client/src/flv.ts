import { ByteReader, TruncatedError } from '@sluice/codec';
import { RtmpError } from './errors.js';

// Specification: Adobe Flash Video File Format Specification v10.1, Annex E.4.2
// (VIDEODATA, AVCVIDEOPACKET) and E.4.2.2 (AUDIODATA, AACAUDIODATA); Enhanced RTMP v1
// (veovera/enhanced-rtmp), "ExVideoTagHeader". These parse RTMP message type 8/9
// bodies, which are FLV tag bodies.
//
// Legacy video tag:
//   FrameType (4 bits) | CodecID (4 bits) | AVCPacketType (u8) | CompositionTime (SI24) | data
// Enhanced video tag (first bit set):
//   IsExHeader (1) | FrameType (3) | PacketType (4) | FourCC (u32) | [CompositionTime SI24] | data
// Audio tag:
//   SoundFormat (4) | SoundRate (2) | SoundSize (1) | SoundType (1) | [AACPacketType u8] | data

export type VideoTagCodec = 'h264' | 'h265';
export type AudioTagCodec = 'aac' | 'pcma' | 'pcmu' | 'mp3' | 'other';

export type FlvVideoTag =
  /** `config` is the AVCDecoderConfigurationRecord / HEVCDecoderConfigurationRecord (avcC / hvcC body). */
  | { kind: 'sequence-header'; codec: VideoTagCodec; timestamp: number; config: Uint8Array }
  | {
      kind: 'frame';
      codec: VideoTagCodec;
      /** DTS, milliseconds. */
      timestamp: number;
      /** PTS - DTS, milliseconds, signed. */
      compositionTime: number;
      keyframe: boolean;
      /** NAL units, each prefixed by a 4-byte big-endian length, as in FLV (ffmpeg sends Annex B instead after an empty sequence header). */
      data: Uint8Array;
    }
  | { kind: 'end-of-sequence'; codec: VideoTagCodec; timestamp: number };

export type FlvAudioTag =
  /** `config` is the AudioSpecificConfig. */
  | { kind: 'sequence-header'; codec: 'aac'; timestamp: number; config: Uint8Array }
  | {
      kind: 'frame';
      codec: AudioTagCodec;
      timestamp: number;
      data: Uint8Array;
      /** Hz, from the tag header. For AAC the header always says 44100; the AudioSpecificConfig is authoritative. */
      soundRate: number;
      /** 1 or 2, from the tag header. For AAC the AudioSpecificConfig is authoritative. */
      channels: number;
    };

/** A well-formed tag that carries nothing this package delivers. */
export interface FlvSkippedTag {
  readonly kind: 'skipped';
  readonly reason: 'empty' | 'unsupported-codec' | 'command-frame' | 'metadata' | 'unsupported-packet-type';
  /** E.g. the CodecID or FourCC that is not supported. */
  readonly detail: string;
}

/** FLV video CodecID values, Annex E.4.3.1, plus the HEVC id Chinese CDNs use. */
export const VideoCodecId = {
  Avc: 7,
  /** Not in any Adobe specification; HEVC in the AVC layout, as sent by Chinese CDNs/servers (SRS, ZLMediaKit, Tencent). */
  HevcLegacy: 12,
} as const;

/** Enhanced RTMP v1 PacketType values. */
export const ExVideoPacketType = {
  SequenceStart: 0,
  CodedFrames: 1,
  SequenceEnd: 2,
  CodedFramesX: 3,
  Metadata: 4,
  Mpeg2TsSequenceStart: 5,
} as const;

const FRAME_TYPE_KEY = 1;
/** "generated key frame (reserved for server use only)": a keyframe too. */
const FRAME_TYPE_GENERATED_KEY = 4;
/** "video info/command frame": no picture. */
const FRAME_TYPE_COMMAND = 5;

const AVC_PACKET_SEQUENCE_HEADER = 0;
const AVC_PACKET_NALU = 1;
const AVC_PACKET_END_OF_SEQUENCE = 2;

const FOURCC_CODECS: Readonly<Record<string, VideoTagCodec>> = { hvc1: 'h265', avc1: 'h264' };

function skipped(reason: FlvSkippedTag['reason'], detail: string): FlvSkippedTag {
  return { kind: 'skipped', reason, detail };
}

function parsing<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TruncatedError) throw new RtmpError('PROTOCOL', `${what}: ${err.message}`, { cause: err });
    throw err;
  }
}

function fourCcString(v: number): string {
  return String.fromCharCode((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/**
 * Parses a video message body. Payloads are `subarray` views of `body`.
 * Throws RtmpError('PROTOCOL') on a truncated tag.
 */
export function parseFlvVideoTag(body: Uint8Array, timestamp: number): FlvVideoTag | FlvSkippedTag {
  return parsing('FLV video tag', () => {
    if (body.byteLength === 0) return skipped('empty', 'zero-length video message');
    const r = new ByteReader(body);
    const b0 = r.u8();
    return b0 & 0x80 ? parseEnhanced(r, b0, timestamp) : parseLegacy(r, b0, timestamp);
  });
}

function parseLegacy(r: ByteReader, b0: number, timestamp: number): FlvVideoTag | FlvSkippedTag {
  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (frameType === FRAME_TYPE_COMMAND) return skipped('command-frame', `frame type ${frameType}`);
  const codec: VideoTagCodec | undefined =
    codecId === VideoCodecId.Avc ? 'h264' : codecId === VideoCodecId.HevcLegacy ? 'h265' : undefined;
  if (codec === undefined) return skipped('unsupported-codec', `CodecID ${codecId}`);
  const packetType = r.u8();
  const compositionTime = r.i24();
  switch (packetType) {
    case AVC_PACKET_SEQUENCE_HEADER:
      return { kind: 'sequence-header', codec, timestamp, config: r.rest() };
    case AVC_PACKET_NALU:
      return { kind: 'frame', codec, timestamp, compositionTime, keyframe: isKey(frameType), data: r.rest() };
    case AVC_PACKET_END_OF_SEQUENCE:
      return { kind: 'end-of-sequence', codec, timestamp };
    default:
      return skipped('unsupported-packet-type', `AVCPacketType ${packetType}`);
  }
}

function parseEnhanced(r: ByteReader, b0: number, timestamp: number): FlvVideoTag | FlvSkippedTag {
  const frameType = (b0 >> 4) & 0x07;
  const packetType = b0 & 0x0f;
  // A command frame carries a VideoCommand byte instead of a picture (except in a Metadata packet).
  if (packetType !== ExVideoPacketType.Metadata && frameType === FRAME_TYPE_COMMAND) {
    return skipped('command-frame', `frame type ${frameType}`);
  }
  const fourCc = fourCcString(r.u32());
  const codec = FOURCC_CODECS[fourCc];
  if (codec === undefined) return skipped('unsupported-codec', `FourCC ${fourCc}`);
  switch (packetType) {
    case ExVideoPacketType.SequenceStart:
      return { kind: 'sequence-header', codec, timestamp, config: r.rest() };
    case ExVideoPacketType.CodedFrames: {
      // hvc1 and avc1 CodedFrames carry a composition time; CodedFramesX means it is 0.
      const compositionTime = r.i24();
      return { kind: 'frame', codec, timestamp, compositionTime, keyframe: isKey(frameType), data: r.rest() };
    }
    case ExVideoPacketType.CodedFramesX:
      return { kind: 'frame', codec, timestamp, compositionTime: 0, keyframe: isKey(frameType), data: r.rest() };
    case ExVideoPacketType.SequenceEnd:
      return { kind: 'end-of-sequence', codec, timestamp };
    case ExVideoPacketType.Metadata:
      return skipped('metadata', `${fourCc} metadata (colorInfo)`);
    default:
      // MPEG2TSSequenceStart (AV1 only) and later additions (multitrack, ModEx).
      return skipped('unsupported-packet-type', `PacketType ${packetType}`);
  }
}

function isKey(frameType: number): boolean {
  return frameType === FRAME_TYPE_KEY || frameType === FRAME_TYPE_GENERATED_KEY;
}

/** FLV SoundFormat values, Annex E.4.2.1. */
export const SoundFormat = {
  Mp3: 2,
  G711ALaw: 7,
  G711MuLaw: 8,
  ExHeader: 9,
  Aac: 10,
  Mp3At8k: 14,
} as const;

/** SoundRate field values in Hz (0 is "5.5 kHz"). */
const SOUND_RATES = [5512, 11025, 22050, 44100] as const;
/** G.711 and "MP3 8 kHz" are fixed at 8 kHz whatever the rate bits say. */
const RATE_8K = 8000;

const AAC_PACKET_SEQUENCE_HEADER = 0;
const AAC_PACKET_RAW = 1;

/**
 * Parses an audio message body. Payloads are `subarray` views of `body`.
 * Throws RtmpError('PROTOCOL') on a truncated tag.
 */
export function parseFlvAudioTag(body: Uint8Array, timestamp: number): FlvAudioTag | FlvSkippedTag {
  return parsing('FLV audio tag', () => {
    if (body.byteLength === 0) return skipped('empty', 'zero-length audio message');
    const r = new ByteReader(body);
    const b0 = r.u8();
    const format = b0 >> 4;
    const channels = (b0 & 0x01) + 1;
    let soundRate: number = SOUND_RATES[(b0 >> 2) & 0x03];
    let codec: AudioTagCodec;
    switch (format) {
      case SoundFormat.Aac: {
        const packetType = r.u8();
        if (packetType === AAC_PACKET_SEQUENCE_HEADER) return { kind: 'sequence-header', codec: 'aac', timestamp, config: r.rest() };
        if (packetType !== AAC_PACKET_RAW) return skipped('unsupported-packet-type', `AACPacketType ${packetType}`);
        codec = 'aac';
        break;
      }
      case SoundFormat.G711ALaw:
        codec = 'pcma';
        soundRate = RATE_8K;
        break;
      case SoundFormat.G711MuLaw:
        codec = 'pcmu';
        soundRate = RATE_8K;
        break;
      case SoundFormat.Mp3:
        codec = 'mp3';
        break;
      case SoundFormat.Mp3At8k:
        codec = 'mp3';
        soundRate = RATE_8K;
        break;
      case SoundFormat.ExHeader:
        // Enhanced RTMP v2 audio (Opus, FLAC, AC-3 …): a different header layout.
        return skipped('unsupported-codec', 'SoundFormat 9 (enhanced audio)');
      default:
        codec = 'other';
    }
    return { kind: 'frame', codec, timestamp, data: r.rest(), soundRate, channels };
  });
}
