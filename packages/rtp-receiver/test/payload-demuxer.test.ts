/**
 * RTP payloads → frames with the shared generators (ffmpeg's elementary streams in
 * our PS writer; ffmpeg's own MPEG-TS muxer): every generated frame comes out,
 * byte-exact for PS, with valid Annex B access units whose first keyframe carries
 * the parameter sets.
 */
import { H264NalType, H265NalType, h264NalType, h265NalType, splitAnnexB } from '@sluice/codec';
import { describe, expect, test } from 'vitest';
import { RtpPayloadDemuxer, detectPayloadFormat, parseRtpPacket, type ElementaryFrame } from '../src/index.js';
import { buildPsRtpPackets, encodeElementaryStreams, rtpPacket, type PsRtpOptions } from '../../../test/helpers/ps-rtp.js';
import { buildTsRtpPackets } from '../../../test/helpers/ts-rtp.js';
import { h264Key } from './cases/es.js';
import { concat } from './helpers.js';

function demux(packets: readonly Uint8Array[], d = new RtpPayloadDemuxer()): { frames: ElementaryFrame[]; d: RtpPayloadDemuxer } {
  const frames: ElementaryFrame[] = [];
  for (const p of packets) frames.push(...d.push(parseRtpPacket(p)));
  frames.push(...d.flush());
  return { frames, d };
}

const isVideo = (f: ElementaryFrame) => f.codec === 'h264' || f.codec === 'h265';

/** The NAL types of the first keyframe: SPS + PPS (+ VPS) must be there. */
function checkVideo(frames: ElementaryFrame[], codec: 'h264' | 'h265'): void {
  expect(frames.length).toBeGreaterThan(0);
  expect(frames[0]!.keyframe).toBe(true);
  const types = splitAnnexB(frames[0]!.data).map((n) => (codec === 'h264' ? h264NalType(n) : h265NalType(n)));
  if (codec === 'h264') expect(types).toEqual(expect.arrayContaining([H264NalType.Sps, H264NalType.Pps, H264NalType.Idr]));
  else expect(types).toEqual(expect.arrayContaining([H265NalType.VPS, H265NalType.SPS, H265NalType.PPS]));
  for (const f of frames) {
    expect(f.codec).toBe(codec);
    expect(splitAnnexB(f.data).length).toBeGreaterThan(0); // Annex B, starts with a start code
  }
  for (let i = 1; i < frames.length; i++) expect(frames[i]!.dts).toBeGreaterThan(frames[i - 1]!.dts);
}

const psVariants: Array<{ name: string; options: PsRtpOptions }> = [
  { name: 'H.264 + AAC', options: { video: 'h264', audio: 'aac', seconds: 2 } },
  { name: 'H.265 + G.711A', options: { video: 'h265', audio: 'pcma', seconds: 2 } },
  { name: 'H.264 + G.711U, PES_packet_length 0', options: { video: 'h264', audio: 'pcmu', seconds: 2, pesLengthZero: true } },
  { name: 'H.265 + AAC without a PSM (sniffed)', options: { video: 'h265', audio: 'aac', seconds: 2, psm: false } },
  { name: 'H.264, 640x480, PES split at 4000 bytes, PTS on every PES', options: { video: 'h264', seconds: 1, width: 640, height: 480, maxPesPayload: 4000, ptsOnEveryPes: true } },
  {
    name: 'H.264 + AAC across the sequence, RTP timestamp and 33-bit PTS wraps',
    options: { video: 'h264', audio: 'aac', seconds: 2, firstSequence: 65500, firstTimestamp: 2 ** 32 - 45000, firstPts: 2 ** 33 - 45000 },
  },
];

describe('RtpPayloadDemuxer: PS over RTP (generated)', () => {
  test.each(psVariants)('$name', async ({ options }) => {
    const s = await buildPsRtpPackets(options);
    const { frames, d } = demux(s.packets);
    const video = frames.filter(isVideo);
    const audio = frames.filter((f) => !isVideo(f));
    expect(d.format).toBe('ps');
    expect(video).toHaveLength(s.frames.video);
    expect(audio).toHaveLength(s.frames.audio);
    checkVideo(video, options.video);
    video.forEach((f, i) => expect(f.data).toEqual(s.videoFrames[i]));
    audio.forEach((f, i) => expect(f.data).toEqual(s.audioFrames[i]));
    // 90 kHz PTS, unwrapped: frame i at firstPts + i * 3600.
    const first = options.firstPts ?? 90000;
    expect(video.map((f) => f.pts)).toEqual(video.map((_, i) => first + i * 3600));
    expect(d.stats).toMatchObject({ gaps: 0, droppedFrames: 0, waitingForKeyframe: 0, bufferedBytes: 0 });
    expect(d.codecs).toEqual({ video: options.video, ...(options.audio ? { audio: options.audio } : {}) });
  });

  test('each video frame ends with its marker packet (no wait for the next frame)', async () => {
    const s = await buildPsRtpPackets({ video: 'h264', seconds: 1 });
    const d = new RtpPayloadDemuxer();
    s.videoPacketRanges.forEach(([first, last], i) => {
      for (let k = first; k < last; k++) expect(d.push(parseRtpPacket(s.packets[k]!))).toHaveLength(0);
      const out = d.push(parseRtpPacket(s.packets[last]!));
      expect(out).toHaveLength(1);
      expect(out[0]!.data).toEqual(s.videoFrames[i]);
    });
  });
});

describe('RtpPayloadDemuxer: TS over RTP (ffmpeg -f mpegts)', () => {
  test.each([
    { video: 'h264', audio: 'aac' },
    { video: 'h265', audio: 'aac' },
  ] as const)('$video + $audio', async ({ video, audio }) => {
    const s = await buildTsRtpPackets({ video, audio, seconds: 2 });
    const { frames, d } = demux(s.packets);
    expect(d.format).toBe('ts');
    const v = frames.filter(isVideo);
    expect(v).toHaveLength(s.frames.video);
    expect(frames.filter((f) => !isVideo(f))).toHaveLength(s.frames.audio);
    checkVideo(v, video);
    expect(d.demuxer!.stats).toMatchObject({ ccErrors: 0, resyncs: 0 });
  });
});

describe('RtpPayloadDemuxer: raw Annex B in RTP', () => {
  test('H.264 access units cut into ≤ 1400-byte payloads, marker on the last', async () => {
    const es = await encodeElementaryStreams({ video: 'h264', seconds: 1, fps: 25, gop: 25, width: 320, height: 240, audioRate: 16000, g711FrameBytes: 320 });
    const packets: Uint8Array[] = [];
    let seq = 0;
    es.video.forEach((au, i) => {
      for (let off = 0; off < au.byteLength; off += 1400) {
        const end = Math.min(au.byteLength, off + 1400);
        packets.push(rtpPacket(96, seq++, i * 3600, 5, end === au.byteLength, au.subarray(off, end)));
      }
    });
    const { frames, d } = demux(packets);
    expect(d.format).toBe('es');
    expect(frames).toHaveLength(es.video.length);
    checkVideo(frames, 'h264');
    frames.forEach((f, i) => expect(f.data).toEqual(es.video[i]));
  });
});

describe('detectPayloadFormat', () => {
  const ts = new Uint8Array(188 * 7).map((_, i) => (i % 188 === 0 ? 0x47 : 0x11));
  test.each([
    { name: '7 TS packets', bytes: ts, decoded: 'ts' },
    { name: 'pack header', bytes: Uint8Array.of(0, 0, 1, 0xba, 0x44), decoded: 'ps' },
    { name: 'PSM first', bytes: Uint8Array.of(0, 0, 1, 0xbc, 0, 10), decoded: 'ps' },
    { name: 'video PES first', bytes: Uint8Array.of(0, 0, 1, 0xe0, 0, 0, 0x80), decoded: 'ps' },
    { name: 'audio PES first', bytes: Uint8Array.of(0, 0, 1, 0xc0, 0, 0, 0x80), decoded: 'ps' },
    { name: 'Annex B (4-byte start code)', bytes: h264Key(10), decoded: 'es' },
    { name: 'Annex B (3-byte start code)', bytes: Uint8Array.of(0, 0, 1, 0x67, 0x42), decoded: 'es' },
    { name: 'middle of a frame', bytes: Uint8Array.of(0x12, 0x34, 0, 0, 1, 0xba), decoded: undefined },
    { name: 'TS sync but not every 188 bytes', bytes: concat([ts.subarray(0, 188), new Uint8Array(188).fill(1)]), decoded: undefined },
  ])('$name', ({ bytes, decoded }) => expect(detectPayloadFormat(bytes)).toBe(decoded));

  test('packets before the format is recognisable are dropped and counted', async () => {
    const s = await buildPsRtpPackets({ video: 'h264', seconds: 1 });
    // Start in the middle of the first keyframe: nothing recognisable until the second frame's pack header.
    const { frames, d } = demux(s.packets.slice(1));
    expect(d.stats.undetected).toBeGreaterThan(0);
    // The first keyframe is incomplete; the next keyframe is a second later (25 frames, GOP 25).
    expect(frames).toHaveLength(0);
    expect(d.stats.waitingForKeyframe).toBe(s.frames.video - 1);
  });
});
