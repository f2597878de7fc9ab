import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_FORMATS, BufferSource, EncodedPacketSink, Input } from 'mediabunny';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  TruncatedError,
  aacCodecString,
  buildAdtsHeader,
  buildAudioSpecificConfig,
  parseAdts,
  parseAudioSpecificConfig,
} from '../src/index.js';
import { adtsCases, ascCases, lc44100Stereo } from './cases/aac.js';
import { FIXTURES, codecError, ffprobeStream, fixture, hex, remuxToMp4, toHex } from './helpers.js';

describe('AudioSpecificConfig', () => {
  test.each(ascCases)('parse: $name', ({ bytes, decoded }) => {
    const { frameLength, ...rest } = decoded;
    const asc = parseAudioSpecificConfig(bytes);
    expect(asc).toMatchObject(rest);
    if ('frameLength' in decoded) expect(asc.frameLength).toBe(frameLength);
  });

  test.each(ascCases.filter((c) => c.build))('build: $name', ({ bytes }) => {
    const parsed = parseAudioSpecificConfig(bytes);
    const built = buildAudioSpecificConfig({ ...parsed, extensionSampleRate: parsed.extension?.sampleRate });
    expect(toHex(built)).toBe(toHex(bytes));
  });

  test.each([
    { name: 'empty', bytes: hex(''), error: TruncatedError },
    { name: 'one byte', bytes: hex('12'), error: TruncatedError },
    { name: 'audioObjectType 0', bytes: hex('00 00'), error: codecError('INVALID_VALUE') },
    { name: 'samplingFrequencyIndex 13 (reserved)', bytes: hex('16 90'), error: codecError('INVALID_VALUE') },
    { name: 'explicit frequency 0', bytes: hex('17 80 00 00 08'), error: codecError('INVALID_VALUE') },
    { name: 'explicit frequency cut short', bytes: hex('17 80 56'), error: TruncatedError },
    { name: 'channelConfiguration 8 (reserved)', bytes: hex('12 40'), error: codecError('INVALID_VALUE') },
    { name: 'channelConfiguration 0 for USAC', bytes: hex('f9 48 00'), error: codecError('UNSUPPORTED') },
    { name: 'program_config_element with no channels', bytes: hex('11 80 04 c0 00 00 00'), error: codecError('INVALID_VALUE') },
    { name: 'program_config_element cut short', bytes: hex('11 80 04 c8'), error: TruncatedError },
    { name: 'SBR extension cut short', bytes: hex('2b 11'), error: TruncatedError },
  ])('parse throws: $name', ({ bytes, error }) => {
    expect(() => parseAudioSpecificConfig(bytes)).toThrow(error as Error);
  });

  test('build throws for what it cannot express', () => {
    expect(() => buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channels: 9 })).toThrow(codecError('UNSUPPORTED'));
    expect(() => buildAudioSpecificConfig({ objectType: 0, sampleRate: 48000, channels: 2 })).toThrow(codecError('INVALID_VALUE'));
    expect(() => buildAudioSpecificConfig({ objectType: 96, sampleRate: 48000, channels: 2 })).toThrow(codecError('INVALID_VALUE'));
    expect(() => buildAudioSpecificConfig({ objectType: 2, sampleRate: 0, channels: 2 })).toThrow(codecError('INVALID_VALUE'));
    expect(() => buildAudioSpecificConfig({ objectType: 2, sampleRate: 2 ** 24, channels: 2 })).toThrow(codecError('INVALID_VALUE'));
  });

  test('aacCodecString', () => {
    expect([2, 5, 29, 42].map(aacCodecString)).toEqual(['mp4a.40.2', 'mp4a.40.5', 'mp4a.40.29', 'mp4a.40.42']);
    expect(() => aacCodecString(0)).toThrow(codecError('INVALID_VALUE'));
  });
});

describe('ADTS', () => {
  test.each(adtsCases)('parse: $name', ({ bytes, decoded }) => {
    const frames = parseAdts(bytes);
    expect(frames.map((f) => ({ data: toHex(f.data), frameLength: f.frameLength }))).toEqual(
      decoded.map((d) => ({ data: d.data, frameLength: d.frameLength })),
    );
    frames.forEach((f, i) => expect(f.config).toMatchObject(decoded[i]!.config));
  });

  test.each([
    { name: 'no syncword', bytes: hex('ffe15080015ffc210049'), error: codecError('BAD_SYNC') },
    { name: 'layer 1', bytes: hex('fff35080015ffc210049'), error: codecError('BAD_SYNC') },
    { name: 'garbage after a good frame', bytes: hex('fff15080015ffc210049 00000000000000'), error: codecError('BAD_SYNC') },
    { name: 'a partial second header', bytes: hex('fff15080015ffc210049 fff1'), error: TruncatedError },
    { name: 'aac_frame_length shorter than the header', bytes: hex('fff1508000bffc'), error: codecError('INVALID_VALUE') },
    { name: 'aac_frame_length shorter than header + CRC', bytes: hex('fff05080011ffc00'), error: codecError('INVALID_VALUE') },
    { name: 'aac_frame_length past the end', bytes: hex('fff15080015ffc2100'), error: TruncatedError },
    { name: 'header cut short', bytes: hex('fff150'), error: TruncatedError },
    { name: 'sampling_frequency_index 13', bytes: hex('fff17480015ffc210049'), error: codecError('INVALID_VALUE') },
    { name: 'channel_configuration 0', bytes: hex('fff15000015ffc210049'), error: codecError('UNSUPPORTED') },
    { name: 'two raw data blocks', bytes: hex('fff15080015ffd210049'), error: codecError('UNSUPPORTED') },
  ])('parse throws: $name', ({ bytes, error }) => {
    expect(() => parseAdts(bytes)).toThrow(error as Error);
  });

  test('buildAdtsHeader writes what parseAdts reads', () => {
    const header = buildAdtsHeader(lc44100Stereo, 3);
    expect(toHex(header)).toBe('fff15080015ffc');
    const [frame] = parseAdts(new Uint8Array([...header, 0x21, 0x00, 0x49]));
    expect(frame!.config).toMatchObject(lc44100Stereo);
    const big = buildAdtsHeader({ objectType: 1, samplingFrequencyIndex: 11, channelConfiguration: 7 }, 8184);
    expect(parseAdts(new Uint8Array([...big, ...new Uint8Array(8184)]))[0]).toMatchObject({ frameLength: 8191, config: { objectType: 1, sampleRate: 8000 } });
  });

  test('buildAdtsHeader refuses what ADTS cannot carry', () => {
    expect(() => buildAdtsHeader({ ...lc44100Stereo, objectType: 5 }, 3)).toThrow(codecError('UNSUPPORTED'));
    expect(() => buildAdtsHeader({ ...lc44100Stereo, samplingFrequencyIndex: 15 }, 3)).toThrow(codecError('UNSUPPORTED'));
    expect(() => buildAdtsHeader({ ...lc44100Stereo, channelConfiguration: 0 }, 3)).toThrow(codecError('UNSUPPORTED'));
    expect(() => buildAdtsHeader(lc44100Stereo, 8185)).toThrow(codecError('INVALID_VALUE'));
  });
});

const aacFixtures = [
  { file: 'aac-lc-44100-stereo-ffmpeg.adts', asc: '1210' },
  { file: 'aac-lc-48000-mono-ffmpeg.adts', asc: '1188' },
];

describe('ADTS from ffmpeg', () => {
  let dir: string;
  const fromMp4 = new Map<string, { asc: string; codec: string | null; packets: string[] }>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-codec-aac-'));
    for (const { file } of aacFixtures) {
      // ffmpeg strips the ADTS headers into MP4 samples and writes its own AudioSpecificConfig.
      const mp4 = remuxToMp4(join(FIXTURES, file), join(dir, `${file}.mp4`));
      const track = (await new Input({ formats: ALL_FORMATS, source: new BufferSource(mp4) }).getPrimaryAudioTrack())!;
      const packets: string[] = [];
      for await (const p of new EncodedPacketSink(track).packets()) packets.push(toHex(p.data));
      const d = (await track.getDecoderConfig())?.description;
      const asc = ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d ?? new ArrayBuffer(0));
      fromMp4.set(file, { asc: toHex(asc), codec: await track.getCodecParameterString(), packets });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(aacFixtures)('$file: frames, config and payloads agree with ffprobe and the MP4 ffmpeg writes', ({ file, asc }) => {
    const frames = parseAdts(fixture(file));
    const probe = ffprobeStream(join(FIXTURES, file));
    const sizes = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'packet=size', '-of', 'csv=p=0', join(FIXTURES, file)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
    expect(frames.map((f) => f.frameLength)).toEqual(sizes);
    const config = frames[0]!.config;
    expect([config.sampleRate, config.channels]).toEqual([Number(probe.sample_rate), probe.channels]);
    expect(probe.profile).toBe('LC');
    const mp4 = fromMp4.get(file)!;
    expect(toHex(buildAudioSpecificConfig(config))).toBe(asc);
    expect(mp4.asc).toBe(asc);
    expect(aacCodecString(config.objectType)).toBe(mp4.codec);
    expect(frames.map((f) => toHex(f.data))).toEqual(mp4.packets);
  });
});
