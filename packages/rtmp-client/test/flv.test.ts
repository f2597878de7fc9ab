import { describe, expect, it } from 'vitest';
import { RtmpError, parseFlvAudioTag, parseFlvVideoTag, type FlvAudioTag, type FlvSkippedTag, type FlvVideoTag } from '../src/index.js';
import { hex } from './helpers/bytes.js';

// Specification: FLV v10.1 Annex E.4.2/E.4.3 (legacy tags) and Enhanced RTMP v1
// (ExVideoTagHeader). Bytes are message bodies; every case uses timestamp 40.

const TS = 40;
// An AVCDecoderConfigurationRecord head and an HEVCDecoderConfigurationRecord head:
// only the tag framing matters here, the records are passed through.
const avcC = '01 42c01e ff e1 0004 6742c01e';
const hvcC = '01 01 60000000 b0000000 0000 5a f000 fc fd f8 f8 0000 0f 00';

const videoCases: { name: string; bytes: Uint8Array; decoded: FlvVideoTag | FlvSkippedTag }[] = [
  {
    name: 'AVC sequence header',
    bytes: hex(`17 00 000000 ${avcC}`),
    decoded: { kind: 'sequence-header', codec: 'h264', timestamp: TS, config: hex(avcC) },
  },
  {
    name: 'AVC keyframe NALU, positive composition time',
    bytes: hex('17 01 000050 00000002 6588'),
    decoded: { kind: 'frame', codec: 'h264', timestamp: TS, compositionTime: 80, keyframe: true, data: hex('00000002 6588') },
  },
  {
    name: 'AVC inter frame, negative composition time',
    bytes: hex('27 01 ffffd8 00000002 419a'),
    decoded: { kind: 'frame', codec: 'h264', timestamp: TS, compositionTime: -40, keyframe: false, data: hex('00000002 419a') },
  },
  {
    name: 'AVC end of sequence',
    bytes: hex('17 02 000000'),
    decoded: { kind: 'end-of-sequence', codec: 'h264', timestamp: TS },
  },
  {
    name: 'legacy HEVC (CodecID 12) sequence header',
    bytes: hex(`1c 00 000000 ${hvcC}`),
    decoded: { kind: 'sequence-header', codec: 'h265', timestamp: TS, config: hex(hvcC) },
  },
  {
    name: 'legacy HEVC (CodecID 12) inter frame with composition time',
    bytes: hex('2c 01 000028 00000003 020101'),
    decoded: { kind: 'frame', codec: 'h265', timestamp: TS, compositionTime: 40, keyframe: false, data: hex('00000003 020101') },
  },
  {
    name: 'Enhanced hvc1 SequenceStart',
    bytes: hex(`90 68766331 ${hvcC}`),
    decoded: { kind: 'sequence-header', codec: 'h265', timestamp: TS, config: hex(hvcC) },
  },
  {
    name: 'Enhanced hvc1 CodedFrames keyframe (SI24 composition time)',
    bytes: hex('91 68766331 000050 00000003 260101'),
    decoded: { kind: 'frame', codec: 'h265', timestamp: TS, compositionTime: 80, keyframe: true, data: hex('00000003 260101') },
  },
  {
    name: 'Enhanced hvc1 CodedFrames, negative composition time',
    bytes: hex('a1 68766331 fffff6 00000003 020101'),
    decoded: { kind: 'frame', codec: 'h265', timestamp: TS, compositionTime: -10, keyframe: false, data: hex('00000003 020101') },
  },
  {
    name: 'Enhanced hvc1 CodedFramesX (no composition time)',
    bytes: hex('a3 68766331 00000003 020101'),
    decoded: { kind: 'frame', codec: 'h265', timestamp: TS, compositionTime: 0, keyframe: false, data: hex('00000003 020101') },
  },
  {
    name: 'Enhanced hvc1 SequenceEnd',
    bytes: hex('92 68766331'),
    decoded: { kind: 'end-of-sequence', codec: 'h265', timestamp: TS },
  },
  {
    name: 'Enhanced avc1 CodedFrames',
    bytes: hex('91 61766331 000000 00000002 6588'),
    decoded: { kind: 'frame', codec: 'h264', timestamp: TS, compositionTime: 0, keyframe: true, data: hex('00000002 6588') },
  },
  {
    name: 'Enhanced Metadata packet (colorInfo) is skipped',
    bytes: hex('94 68766331 02 0009 636f6c6f72496e666f'),
    decoded: { kind: 'skipped', reason: 'metadata', detail: 'hvc1 metadata (colorInfo)' },
  },
  {
    name: 'Enhanced MPEG2TSSequenceStart is skipped',
    bytes: hex('95 68766331 00'),
    decoded: { kind: 'skipped', reason: 'unsupported-packet-type', detail: 'PacketType 5' },
  },
  {
    name: 'Enhanced av01 is an unsupported codec',
    bytes: hex('90 61763031 81000c'),
    decoded: { kind: 'skipped', reason: 'unsupported-codec', detail: 'FourCC av01' },
  },
  {
    name: 'Enhanced command frame',
    bytes: hex('d0 01'),
    decoded: { kind: 'skipped', reason: 'command-frame', detail: 'frame type 5' },
  },
  {
    name: 'legacy video info/command frame',
    bytes: hex('57 00'),
    decoded: { kind: 'skipped', reason: 'command-frame', detail: 'frame type 5' },
  },
  {
    name: 'legacy On2 VP6 is an unsupported codec',
    bytes: hex('14 00 1122'),
    decoded: { kind: 'skipped', reason: 'unsupported-codec', detail: 'CodecID 4' },
  },
  {
    name: 'empty body',
    bytes: hex(''),
    decoded: { kind: 'skipped', reason: 'empty', detail: 'zero-length video message' },
  },
];

describe('parseFlvVideoTag', () => {
  it.each(videoCases)('parses $name', ({ bytes, decoded }) => {
    expect(parseFlvVideoTag(bytes, TS)).toEqual(decoded);
  });

  it('returns views into the message, not copies', () => {
    const body = hex('17 01 000000 00000002 6588');
    const tag = parseFlvVideoTag(body, 0);
    expect(tag.kind === 'frame' && tag.data.buffer).toBe(body.buffer);
  });

  const truncated = [
    { name: 'legacy header without packet type', bytes: hex('17') },
    { name: 'legacy header cut in the composition time', bytes: hex('17 01 00') },
    { name: 'enhanced header cut in the FourCC', bytes: hex('91 6876') },
    { name: 'enhanced CodedFrames cut in the composition time', bytes: hex('91 68766331 00') },
  ];
  it.each(truncated)('rejects $name', ({ bytes }) => {
    expect(() => parseFlvVideoTag(bytes, 0)).toThrow(RtmpError);
    expect(() => parseFlvVideoTag(bytes, 0)).toThrow(/FLV video tag: truncated/);
  });
});

const audioCases: { name: string; bytes: Uint8Array; decoded: FlvAudioTag | FlvSkippedTag }[] = [
  {
    name: 'AAC sequence header (AudioSpecificConfig LC 44.1 kHz stereo)',
    bytes: hex('af 00 1210'),
    decoded: { kind: 'sequence-header', codec: 'aac', timestamp: TS, config: hex('1210') },
  },
  {
    name: 'AAC raw frame',
    bytes: hex('af 01 211b8c'),
    decoded: { kind: 'frame', codec: 'aac', timestamp: TS, data: hex('211b8c'), soundRate: 44100, channels: 2 },
  },
  {
    name: 'G.711 A-law, mono (always 8 kHz)',
    bytes: hex('72 d5d5d5'),
    decoded: { kind: 'frame', codec: 'pcma', timestamp: TS, data: hex('d5d5d5'), soundRate: 8000, channels: 1 },
  },
  {
    name: 'G.711 mu-law, mono (always 8 kHz)',
    bytes: hex('82 ffff'),
    decoded: { kind: 'frame', codec: 'pcmu', timestamp: TS, data: hex('ffff'), soundRate: 8000, channels: 1 },
  },
  {
    name: 'MP3 22 kHz stereo',
    bytes: hex('2b fffb'),
    decoded: { kind: 'frame', codec: 'mp3', timestamp: TS, data: hex('fffb'), soundRate: 22050, channels: 2 },
  },
  {
    name: 'MP3 8 kHz',
    bytes: hex('e2 fff3'),
    decoded: { kind: 'frame', codec: 'mp3', timestamp: TS, data: hex('fff3'), soundRate: 8000, channels: 1 },
  },
  {
    name: 'Nellymoser is "other"',
    bytes: hex('6a 0102'),
    decoded: { kind: 'frame', codec: 'other', timestamp: TS, data: hex('0102'), soundRate: 22050, channels: 1 },
  },
  {
    name: 'Enhanced audio (SoundFormat 9) is skipped',
    bytes: hex('90 4f707573'),
    decoded: { kind: 'skipped', reason: 'unsupported-codec', detail: 'SoundFormat 9 (enhanced audio)' },
  },
  {
    name: 'unknown AACPacketType',
    bytes: hex('af 02'),
    decoded: { kind: 'skipped', reason: 'unsupported-packet-type', detail: 'AACPacketType 2' },
  },
];

describe('parseFlvAudioTag', () => {
  it.each(audioCases)('parses $name', ({ bytes, decoded }) => {
    expect(parseFlvAudioTag(bytes, TS)).toEqual(decoded);
  });

  it('rejects an AAC tag without its packet type', () => {
    expect(() => parseFlvAudioTag(hex('af'), 0)).toThrow(/FLV audio tag: truncated/);
  });
});
