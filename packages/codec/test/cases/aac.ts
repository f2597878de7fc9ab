/** MPEG-4 Audio case tables: AudioSpecificConfig and ADTS. */
import type { AudioSpecificConfig } from '../../src/index.js';
import { hex } from '../helpers.js';

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

export const lc44100Stereo = { objectType: 2, samplingFrequencyIndex: 4, sampleRate: 44100, channels: 2, channelConfiguration: 2 };

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
