import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_FORMATS, BufferSource, Input } from 'mediabunny';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  H264NalType,
  TruncatedError,
  buildAvcDecoderConfig,
  h264CodecString,
  h264NalType,
  isH264Keyframe,
  parseAvcDecoderConfig,
  parseH264Sps,
  splitAnnexB,
} from '../src/index.js';
import { FIXTURES, codecError, ffprobeStream, findBoxBody, fixture, hex, remuxToMp4, toHex } from './helpers.js';
import { h264Fixtures, h264Base as base, h264SpsCases, h264SpsErrors } from './cases/h264.js';
import { h264Sps } from './sps-writer.js';

const FFPROBE_PROFILE: Record<string, number> = {
  'Constrained Baseline': 66,
  Main: 77,
  High: 100,
  'High 10': 110,
  'High 4:2:2': 122,
  'High 4:4:4 Predictive': 244,
};
const FFPROBE_PIX_FMT: Record<string, [chroma: number, depth: number]> = {
  yuv420p: [1, 8],
  yuv420p10le: [1, 10],
  yuv422p: [2, 8],
  yuv444p: [3, 8],
};

function parameterSets(file: string): { nals: Uint8Array[]; sps: Uint8Array; pps: Uint8Array } {
  const nals = splitAnnexB(fixture(file));
  return {
    nals,
    sps: nals.find((n) => h264NalType(n) === H264NalType.Sps)!,
    pps: nals.find((n) => h264NalType(n) === H264NalType.Pps)!,
  };
}

describe('H.264 SPS from libx264', () => {
  test.each(h264Fixtures)('$name', ({ file, decoded, codecString }) => {
    const { sps } = parameterSets(file);
    expect(parseH264Sps(sps)).toMatchObject(decoded);
    expect(h264CodecString(sps)).toBe(codecString);
  });

  test.each(h264Fixtures)('agrees with ffprobe: $file', ({ file }) => {
    const probe = ffprobeStream(join(FIXTURES, file));
    const sps = parseH264Sps(parameterSets(file).sps);
    expect([sps.width, sps.height, sps.levelIdc]).toEqual([probe.width, probe.height, probe.level]);
    expect(sps.profileIdc).toBe(FFPROBE_PROFILE[probe.profile as string]);
    expect([sps.chromaFormatIdc, sps.bitDepthLuma]).toEqual(FFPROBE_PIX_FMT[probe.pix_fmt as string]);
    expect(`${sps.frameRate}/1`).toBe(probe.r_frame_rate);
    expect(sps.frameMbsOnly).toBe(probe.field_order === 'progressive');
  });
});

describe('H.264 SPS syntax', () => {
  test.each(h264SpsCases)('$name', ({ bytes, decoded }) => {
    const { frameRate, ...rest } = decoded;
    const sps = parseH264Sps(bytes);
    expect(sps).toMatchObject(rest);
    expect(sps.frameRate).toBe(frameRate);
  });
});

describe('H.264 SPS errors', () => {
  test.each(h264SpsErrors)('$name', ({ bytes, error }) => {
    expect(() => parseH264Sps(bytes)).toThrow(error as Error);
  });

  test('codec string of a non-SPS or a short SPS throws', () => {
    expect(() => h264CodecString(hex('68ebe04d2c8b'))).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => h264CodecString(hex('6764'))).toThrow(TruncatedError);
  });
});

describe('h264CodecString', () => {
  test.each([
    { name: 'High@3.1', sps: h264Sps({ ...base, levelIdc: 31 }), codec: 'avc1.64001f' },
    { name: 'Constrained Baseline@3.0', sps: h264Sps({ ...base, profileIdc: 66, constraintFlags: 0xc0 }), codec: 'avc1.42c01e' },
    { name: 'Main@4.0', sps: h264Sps({ ...base, profileIdc: 77, constraintFlags: 0x40, levelIdc: 40 }), codec: 'avc1.4d4028' },
    { name: 'High@5.1', sps: h264Sps({ ...base, levelIdc: 51 }), codec: 'avc1.640033' },
  ])('$name → $codec', ({ sps, codec }) => {
    expect(h264CodecString(sps)).toBe(codec);
  });

  test('avc3 sample entry', () => {
    expect(h264CodecString(h264Sps({ ...base, levelIdc: 31 }), 'avc3')).toBe('avc3.64001f');
  });
});

describe('isH264Keyframe', () => {
  test.each(h264Fixtures)('$file: the first access unit is an IDR, the last one is not', ({ file }) => {
    const { nals } = parameterSets(file);
    const idr = nals.findIndex((n) => h264NalType(n) === H264NalType.Idr);
    expect(isH264Keyframe(nals.slice(0, idr + 1))).toBe(true);
    expect(isH264Keyframe(nals.slice(idr + 1))).toBe(false);
  });

  test('NAL type table', () => {
    expect(isH264Keyframe([])).toBe(false);
    expect(isH264Keyframe([hex(''), hex('65 88')])).toBe(true);
    expect(isH264Keyframe([hex('09 f0'), hex('41 9a')])).toBe(false);
    expect(isH264Keyframe([hex('67'), hex('68'), hex('06')])).toBe(false);
  });
});

describe('avcC (AVCDecoderConfigurationRecord)', () => {
  let dir: string;
  const ffmpegAvcC = new Map<string, Uint8Array>();
  const mediabunnyCodec = new Map<string, string | null>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-codec-h264-'));
    for (const { file } of h264Fixtures) {
      const mp4 = remuxToMp4(join(FIXTURES, file), join(dir, `${file}.mp4`));
      ffmpegAvcC.set(file, findBoxBody(mp4, 'avcC'));
      const input = new Input({ formats: ALL_FORMATS, source: new BufferSource(mp4) });
      mediabunnyCodec.set(file, (await (await input.getPrimaryVideoTrack())!.getCodecParameterString()) ?? null);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(h264Fixtures)('built from the parameter sets equals what ffmpeg writes: $file', ({ file }) => {
    const { sps, pps } = parameterSets(file);
    expect(toHex(buildAvcDecoderConfig([sps], [pps]))).toBe(toHex(ffmpegAvcC.get(file)!));
  });

  test.each(h264Fixtures)('codec string agrees with mediabunny: $file', ({ file, codecString }) => {
    expect(mediabunnyCodec.get(file)).toBe(codecString);
  });

  test.each(h264Fixtures)('build → parse round trip: $file', ({ file }) => {
    const { sps, pps } = parameterSets(file);
    const parsed = parseAvcDecoderConfig(buildAvcDecoderConfig([sps], [pps]));
    const s = parseH264Sps(sps);
    expect(parsed).toMatchObject({ profileIdc: s.profileIdc, profileCompatibility: s.constraintFlags, levelIdc: s.levelIdc, lengthSize: 4 });
    expect(parsed.sps.map(toHex)).toEqual([toHex(sps)]);
    expect(parsed.pps.map(toHex)).toEqual([toHex(pps)]);
    if ([100, 110, 122, 244].includes(s.profileIdc)) {
      expect(parsed).toMatchObject({ chromaFormat: s.chromaFormatIdc, bitDepthLuma: s.bitDepthLuma, bitDepthChroma: s.bitDepthChroma, spsExt: [] });
    } else {
      expect(parsed.chromaFormat).toBeUndefined();
    }
  });

  /** avcC bytes → decoded record. */
  const avcCCases: { name: string; bytes: Uint8Array; decoded: Record<string, unknown> }[] = [
    {
      name: 'ffmpeg High 10 avcC with the trailer',
      bytes: hex('016e001effe1001b676e001ea6cd940a02ff97011000000300100000030320f162d96001000668ebe04d2c8bfdfafa00'),
      decoded: { profileIdc: 110, profileCompatibility: 0, levelIdc: 30, lengthSize: 4, chromaFormat: 1, bitDepthLuma: 10, bitDepthChroma: 10 },
    },
    {
      name: 'High without the trailer (older muxers), 2-byte lengths, two PPS',
      bytes: hex('0164001ffde100046764001f02000268eb000268ee'),
      decoded: { profileIdc: 100, levelIdc: 31, lengthSize: 2, sps: [hex('6764001f')], pps: [hex('68eb'), hex('68ee')] },
    },
    {
      name: 'Baseline, 1-byte lengths, no parameter sets',
      bytes: hex('0142c01efce000'),
      decoded: { profileIdc: 66, profileCompatibility: 0xc0, lengthSize: 1, sps: [], pps: [] },
    },
  ];

  test.each(avcCCases)('parse: $name', ({ bytes, decoded }) => {
    expect(parseAvcDecoderConfig(bytes)).toMatchObject(decoded);
  });

  test.each([
    { name: 'empty', bytes: hex(''), error: TruncatedError },
    { name: 'configurationVersion 0', bytes: hex('0064001fffe100'), error: codecError('BAD_VERSION') },
    { name: 'lengthSizeMinusOne 2', bytes: hex('0164001ffee000'), error: codecError('INVALID_VALUE') },
    { name: 'SPS length past the end', bytes: hex('0164001fffe100ff6764'), error: TruncatedError },
    { name: '31 SPS announced, one present', bytes: hex('0164001ffffF00026764'), error: TruncatedError },
    { name: 'PPS count past the end', bytes: hex('0164001fffe1000267640a'), error: TruncatedError },
    { name: 'trailer with an SPS extension past the end', bytes: hex('0164001fffe100026764000fdf8f8f801000a'), error: TruncatedError },
  ])('parse throws: $name', ({ bytes, error }) => {
    expect(() => parseAvcDecoderConfig(bytes)).toThrow(error as Error);
  });

  test('build rejects missing or mistyped parameter sets', () => {
    const { sps, pps } = parameterSets(h264Fixtures[0]!.file);
    expect(() => buildAvcDecoderConfig([], [pps])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildAvcDecoderConfig([sps], [])).toThrow(codecError('MISSING_PARAMETER_SET'));
    expect(() => buildAvcDecoderConfig([pps], [pps])).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => buildAvcDecoderConfig([sps], [sps])).toThrow(codecError('WRONG_NAL_TYPE'));
    expect(() => buildAvcDecoderConfig([sps], [new Uint8Array(70000).fill(0x68)])).toThrow(codecError('INVALID_VALUE'));
  });
});
