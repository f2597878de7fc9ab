import { describe, expect, test } from 'vitest';
import {
  H264NalType,
  H265NalType,
  audioTrackFromAsc,
  buildAvcDecoderConfig,
  buildHevcDecoderConfig,
  g711Track,
  h264NalType,
  h265NalType,
  sameDecoding,
  splitAnnexB,
  videoTrackFromAvcC,
  videoTrackFromHvcC,
  videoTrackFromParameterSets,
} from '../src/index.js';
import { codecError, fixture, hex, toHex } from './helpers.js';

function h264Ps(file: string) {
  const nals = splitAnnexB(fixture(file));
  return { sps: nals.filter((n) => h264NalType(n) === H264NalType.Sps), pps: nals.filter((n) => h264NalType(n) === H264NalType.Pps) };
}
function h265Ps(file: string) {
  const nals = splitAnnexB(fixture(file));
  const of = (t: number) => nals.filter((n) => h265NalType(n) === t);
  return { vps: of(H265NalType.VPS), sps: of(H265NalType.SPS), pps: of(H265NalType.PPS) };
}

describe('video tracks', () => {
  test('from an avcC', () => {
    const ps = h264Ps('h264-high-l31-640x360-libx264.h264');
    const avcC = buildAvcDecoderConfig(ps.sps, ps.pps);
    const track = videoTrackFromAvcC(1, avcC, 90000);
    expect(track).toMatchObject({ kind: 'video', id: 1, codec: 'h264', timescale: 90000, width: 640, height: 360, codecString: 'avc1.64001f' });
    expect(toHex(track.decoderConfig)).toBe(toHex(avcC));
  });

  test('owns a copy of its decoder configuration', () => {
    const ps = h264Ps('h264-main-640x360-crop-libx264.h264');
    const avcC = buildAvcDecoderConfig(ps.sps, ps.pps);
    const track = videoTrackFromAvcC(1, avcC, 90000);
    const before = toHex(track.decoderConfig);
    avcC.fill(0);
    expect(toHex(track.decoderConfig)).toBe(before);
  });

  test('from an hvcC', () => {
    const ps = h265Ps('h265-main-642x362-conformance-window-libx265.h265');
    const track = videoTrackFromHvcC(2, buildHevcDecoderConfig(ps.vps, ps.sps, ps.pps), 90000);
    expect(track).toMatchObject({ kind: 'video', id: 2, codec: 'h265', width: 642, height: 362, codecString: 'hvc1.1.6.L63.90' });
  });

  test('from in-band parameter sets: same decoding as from the record', () => {
    const ps = h264Ps('h264-high10-640x360-libx264.h264');
    const a = videoTrackFromParameterSets(1, 'h264', ps, 90000);
    const b = videoTrackFromAvcC(1, buildAvcDecoderConfig(ps.sps, ps.pps), 90000);
    expect(a).toEqual(b);
    expect(sameDecoding(a, b)).toBe(true);
    const other = videoTrackFromParameterSets(1, 'h264', h264Ps('h264-high-l31-640x360-libx264.h264'), 90000);
    expect(sameDecoding(a, other)).toBe(false);

    const hevc = videoTrackFromParameterSets(3, 'h265', h265Ps('h265-main10-640x360-libx265.h265'), 90000);
    expect(hevc).toMatchObject({ codec: 'h265', width: 640, height: 360, codecString: 'hvc1.2.4.L63.90' });
  });

  test('missing parameter sets and bad timescales throw', () => {
    const ps = h265Ps('h265-main-640x360-l31-libx265.h265');
    expect(() => videoTrackFromParameterSets(1, 'h265', { sps: ps.sps, pps: ps.pps }, 90000)).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => videoTrackFromAvcC(1, hex('0142c01efce000'), 90000)).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => videoTrackFromHvcC(1, hex('0101600000009000000000005df000fcfdf8f800000f00'), 90000)).toThrow(codecError('MISSING_PARAMETER_SET'));
    const h264 = h264Ps('h264-baseline-320x240-libx264.h264');
    expect(() => videoTrackFromParameterSets(1, 'h264', h264, 0)).toThrow(codecError('INVALID_VALUE'));
    expect(() => videoTrackFromParameterSets(1, 'h264', h264, 1.5)).toThrow(codecError('INVALID_VALUE'));
  });
});

describe('audio tracks', () => {
  test.each([
    { name: 'AAC LC 44100 stereo', asc: '1210', timescale: undefined, decoded: { timescale: 44100, sampleRate: 44100, channels: 2, codecString: 'mp4a.40.2' } },
    { name: 'AAC LC 48000 mono, 90 kHz clock', asc: '1188', timescale: 90000, decoded: { timescale: 90000, sampleRate: 48000, channels: 1, codecString: 'mp4a.40.2' } },
    { name: 'HE-AAC: the core rate', asc: '2b118800', timescale: undefined, decoded: { timescale: 24000, sampleRate: 24000, channels: 2, codecString: 'mp4a.40.5' } },
  ])('$name', ({ asc, timescale, decoded }) => {
    const track = audioTrackFromAsc(7, hex(asc), timescale);
    expect(track).toMatchObject({ kind: 'audio', id: 7, codec: 'aac', ...decoded });
    expect(toHex(track.decoderConfig)).toBe(asc);
  });

  test('G.711', () => {
    expect(g711Track(1, 'pcma')).toEqual({
      kind: 'audio',
      id: 1,
      codec: 'pcma',
      timescale: 8000,
      sampleRate: 8000,
      channels: 1,
      codecString: 'alaw',
      decoderConfig: new Uint8Array(0),
    });
    expect(g711Track(2, 'pcmu', 16000, 2)).toMatchObject({ codec: 'pcmu', codecString: 'ulaw', timescale: 16000, sampleRate: 16000, channels: 2 });
    expect(() => g711Track(1, 'pcmu', 0)).toThrow(codecError('INVALID_VALUE'));
    expect(() => g711Track(1, 'pcmu', 8000, 0)).toThrow(codecError('INVALID_VALUE'));
  });

  test('a malformed AudioSpecificConfig throws', () => {
    expect(() => audioTrackFromAsc(1, hex('1690'))).toThrow(codecError('INVALID_VALUE'));
  });
});
