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
  type AudioSpecificConfig,
} from '../src/index.js';
import { FIXTURES, codecError, ffprobeStream, fixture, hex, remuxToMp4, toHex } from './helpers.js';

/** AudioSpecificConfig bytes → decoded; `build: true` when buildAudioSpecificConfig(decoded) gives the same bytes. */
export const ascCases: { name: string; bytes: Uint8Array; decoded: Partial<AudioSpecificConfig>; build: boolean }[] = [
  {
    name: 'AAC LC 44100 Hz stereo',
    bytes: hex('12 10'),
    decoded: { objectType: 2, samplingFrequencyIndex: 4, sampleRate: 44100, channels: 2, channelConfiguration: 2, frameLength: 1024 },
    build: true,
  },
  {
    name: 'AAC LC 48000 Hz mono',
    bytes: hex('11 88'),
    decoded: { objectType: 2, samplingFrequencyIndex: 3, sampleRate: 48000, channels: 1 },
    build: true,
  },
  { name: 'AAC Main 44100 Hz stereo', bytes: hex('0a 10'), decoded: { objectType: 1, sampleRate: 44100, channels: 2 }, build: true },
  { name: 'AAC LC 48000 Hz 7.1 (configuration 7)', bytes: hex('11 b8'), decoded: { channels: 8, channelConfiguration: 7 }, build: true },
  { name: 'AAC LC 48000 Hz 6.1 (configuration 11)', bytes: hex('11 d8'), decoded: { channels: 7, channelConfiguration: 11 }, build: true },
  { name: 'AAC LC 960-sample frames', bytes: hex('11 94'), decoded: { sampleRate: 48000, channels: 2, frameLength: 960 }, build: true },
  {
    name: 'HE-AAC explicit SBR: 24000 Hz core, 48000 Hz out',
    bytes: hex('2b 11 88 00'),
    decoded: { objectType: 5, sampleRate: 24000, channels: 2, extension: { sampleRate: 48000, samplingFrequencyIndex: 3, coreObjectType: 2 } },
    build: true,
  },
  {
    name: 'HE-AACv2 explicit PS: mono core',
    bytes: hex('eb 09 88 00'),
    decoded: { objectType: 29, sampleRate: 24000, channels: 1, extension: { sampleRate: 48000, samplingFrequencyIndex: 3, coreObjectType: 2 } },
    build: true,
  },
  {
    name: 'escape object type 42 (USAC)',
    bytes: hex('f9 48 40'),
    decoded: { objectType: 42, sampleRate: 44100, channels: 2, frameLength: undefined },
    build: true,
  },
  { name: 'escape object type 32, 8000 Hz mono', bytes: hex('f8 16 20'), decoded: { objectType: 32, sampleRate: 8000, channels: 1 }, build: true },
  {
    name: 'explicit frequency (index 15): 44056 Hz',
    bytes: hex('17 80 56 0c 08'),
    decoded: { objectType: 2, samplingFrequencyIndex: 15, sampleRate: 44056, channels: 1 },
    build: true,
  },
  {
    name: 'channelConfiguration 0: 5.1 from the program_config_element',
    // LC 48000, config 0, GASpecificConfig 000, PCE: front SCE + CPE, back CPE, one LFE
    bytes: hex('11 80 04 c8 05 00 01 19 00'),
    decoded: { objectType: 2, sampleRate: 48000, channelConfiguration: 0, channels: 6 },
    build: false,
  },
];

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

const lc44100Stereo = { objectType: 2, samplingFrequencyIndex: 4, sampleRate: 44100, channels: 2, channelConfiguration: 2 };

/** ADTS streams → frames (config, payload hex, aac_frame_length). */
export const adtsCases: { name: string; bytes: Uint8Array; decoded: { config: Partial<AudioSpecificConfig>; data: string; frameLength: number }[] }[] = [
  {
    name: 'one frame, no CRC',
    bytes: hex('fff15080015ffc 210049'),
    decoded: [{ config: lc44100Stereo, data: '210049', frameLength: 10 }],
  },
  {
    name: 'one frame with CRC (protection_absent 0)',
    bytes: hex('fff05080019ffc abcd 210049'),
    decoded: [{ config: lc44100Stereo, data: '210049', frameLength: 12 }],
  },
  {
    name: 'MPEG-2 ID, 48000 Hz mono',
    bytes: hex('fff94c40011ffc 42'),
    decoded: [{ config: { objectType: 2, sampleRate: 48000, channels: 1 }, data: '42', frameLength: 8 }],
  },
  {
    name: 'channel_configuration 7 is 8 channels; empty payload',
    bytes: hex('fff151c000fffc'),
    decoded: [{ config: { channels: 8, channelConfiguration: 7 }, data: '', frameLength: 7 }],
  },
  {
    name: 'two frames back to back, with and without CRC',
    bytes: hex('fff15080015ffc 210049 fff05080019ffc abcd 210049'),
    decoded: [
      { config: lc44100Stereo, data: '210049', frameLength: 10 },
      { config: lc44100Stereo, data: '210049', frameLength: 12 },
    ],
  },
  { name: 'empty input', bytes: hex(''), decoded: [] },
];

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
      const description = (await track.getDecoderConfig())?.description as Uint8Array;
      fromMp4.set(file, { asc: toHex(new Uint8Array(description as ArrayBufferLike)), codec: await track.getCodecParameterString(), packets });
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
