/**
 * MPEG-4 Audio: the AudioSpecificConfig (the `esds` DecoderSpecificInfo, the
 * RTMP/FLV AAC sequence header, the SDP `config=` of RFC 3640) and codec strings.
 *
 * Specification: ISO/IEC 14496-3 (2019), section 1.6.2.1 (AudioSpecificConfig),
 * 4.4.1 (GASpecificConfig) and 4.4.1.1 (program_config_element).
 */
import { BitReader } from './bit-reader.js';
import { BitWriter } from './bit-writer.js';
import { CodecError } from './errors.js';

export interface AudioSpecificConfig {
  /** audioObjectType as signalled first: 2 = AAC LC, 5 = SBR (HE-AAC), 29 = PS (HE-AACv2)... */
  objectType: number;
  /** 0..12 from Table 1.18, or 15 when the rate is written out. */
  samplingFrequencyIndex: number;
  /** Sampling rate of the core decoder: 1024 (or 960) samples per access unit at this rate. */
  sampleRate: number;
  channels: number;
  /** channelConfiguration as coded (0 = a program_config_element gives the layout). */
  channelConfiguration: number;
  /** Samples per access unit for the GA object types (frameLengthFlag): 1024 or 960. */
  frameLength?: number;
  /** Explicit SBR / PS signalling (objectType 5 or 29): the output rate and the core object type. */
  extension?: { sampleRate: number; samplingFrequencyIndex: number; coreObjectType: number };
}

/** samplingFrequencyIndex → Hz (Table 1.18); 13 and 14 are reserved, 15 is the escape. */
export const AAC_SAMPLE_RATES: readonly number[] = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];

/** channelConfiguration → number of channels (Table 1.19); 0 means a PCE, missing entries are reserved. */
const CHANNELS_BY_CONFIGURATION: Readonly<Record<number, number>> = {
  1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 8, 11: 7, 12: 8, 13: 24, 14: 8,
};

/** Object types whose AudioSpecificConfig continues with GASpecificConfig (1.6.2.1). */
const GA_OBJECT_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

/** GetAudioObjectType(): 5 bits, 31 escapes to 32 + 6 more bits (1.6.2.1.1). */
function readObjectType(r: BitReader): number {
  const t = r.bits(5);
  return t === 31 ? 32 + r.bits(6) : t;
}

function readSamplingFrequency(r: BitReader): { index: number; rate: number } {
  const index = r.bits(4);
  if (index === 15) {
    const rate = r.bits(24);
    if (rate === 0) throw new CodecError('INVALID_VALUE', 'samplingFrequency 0');
    return { index, rate };
  }
  const rate = AAC_SAMPLE_RATES[index];
  if (rate === undefined) throw new CodecError('INVALID_VALUE', `samplingFrequencyIndex ${index} is reserved`);
  return { index, rate };
}

/**
 * Parses an AudioSpecificConfig. With explicit SBR/PS signalling (objectType 5 or
 * 29) `objectType` stays 5/29 (what `mp4a.40.x` names) and `extension` holds the
 * output rate and core type. channelConfiguration 0 reads the channel count from
 * the program_config_element.
 *
 * Specification: ISO/IEC 14496-3 section 1.6.2.1
 */
export function parseAudioSpecificConfig(asc: Uint8Array): AudioSpecificConfig {
  const r = new BitReader(asc);
  const objectType = readObjectType(r);
  if (objectType === 0) throw new CodecError('INVALID_VALUE', 'audioObjectType 0 (null object)');
  const sf = readSamplingFrequency(r);
  const channelConfiguration = r.bits(4);
  const config: AudioSpecificConfig = {
    objectType,
    samplingFrequencyIndex: sf.index,
    sampleRate: sf.rate,
    channels: 0,
    channelConfiguration,
  };
  let coreType = objectType;
  if (objectType === 5 || objectType === 29) {
    const ext = readSamplingFrequency(r);
    coreType = readObjectType(r);
    if (coreType === 22) r.skipBits(4); // extensionChannelConfiguration
    config.extension = { sampleRate: ext.rate, samplingFrequencyIndex: ext.index, coreObjectType: coreType };
  }
  let pceChannels: number | undefined;
  if (GA_OBJECT_TYPES.has(coreType)) {
    // GASpecificConfig (4.4.1)
    config.frameLength = r.bool() ? 960 : 1024; // frameLengthFlag
    if (r.bool()) r.skipBits(14); // dependsOnCoreCoder: coreCoderDelay
    r.skipBits(1); // extensionFlag
    if (channelConfiguration === 0) pceChannels = programConfigChannels(r);
  }
  if (channelConfiguration === 0) {
    if (pceChannels === undefined) {
      throw new CodecError('UNSUPPORTED', `channelConfiguration 0 for audioObjectType ${coreType}`);
    }
    config.channels = pceChannels;
  } else {
    const channels = CHANNELS_BY_CONFIGURATION[channelConfiguration];
    if (channels === undefined) throw new CodecError('INVALID_VALUE', `channelConfiguration ${channelConfiguration} is reserved`);
    config.channels = channels;
  }
  return config;
}

/**
 * The channel count of a program_config_element: front, side and back elements
 * (a channel pair counts two) plus the LFE elements.
 *
 * Specification: ISO/IEC 14496-3 section 4.4.1.1 (Table 4.2)
 */
function programConfigChannels(r: BitReader): number {
  r.skipBits(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.bits(4);
  const side = r.bits(4);
  const back = r.bits(4);
  const lfe = r.bits(2);
  r.skipBits(3 + 4); // num_assoc_data_elements, num_valid_cc_elements
  if (r.bool()) r.skipBits(4); // mono_mixdown_element_number
  if (r.bool()) r.skipBits(4); // stereo_mixdown_element_number
  if (r.bool()) r.skipBits(3); // matrix_mixdown_idx, pseudo_surround_enable
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.bool() ? 2 : 1; // *_element_is_cpe
    r.skipBits(4); // *_element_tag_select
  }
  if (channels === 0) throw new CodecError('INVALID_VALUE', 'program_config_element with no channels');
  return channels;
}

/** channels → channelConfiguration, for the layouts that have one. */
function channelConfigurationOf(channels: number): number {
  for (const [config, n] of Object.entries(CHANNELS_BY_CONFIGURATION)) {
    // 7 (8 channels, 7.1) is the classic choice over 12 / 14.
    if (n === channels && (n !== 8 || config === '7')) return Number(config);
  }
  throw new CodecError('UNSUPPORTED', `${channels} channels need a program_config_element`);
}

/**
 * Builds an AudioSpecificConfig: object types >= 32 use the escape, rates not in
 * Table 1.18 are written out (index 15). For the GA object types a
 * GASpecificConfig follows (frameLengthFlag from `frameLength`, no core coder, no
 * extension). Objects 5 and 29 are written with explicit signalling, an AAC LC
 * core and an output rate of `extensionSampleRate` (default twice `sampleRate`).
 *
 * Specification: ISO/IEC 14496-3 section 1.6.2.1
 */
export function buildAudioSpecificConfig(c: {
  objectType: number;
  sampleRate: number;
  channels: number;
  frameLength?: number;
  extensionSampleRate?: number;
}): Uint8Array {
  if (!Number.isInteger(c.objectType) || c.objectType < 1 || c.objectType > 95) {
    throw new CodecError('INVALID_VALUE', `audioObjectType ${c.objectType}, allowed 1..95`);
  }
  const w = new BitWriter();
  writeObjectType(w, c.objectType);
  writeSamplingFrequency(w, c.sampleRate);
  w.bits(4, channelConfigurationOf(c.channels));
  let coreType = c.objectType;
  if (c.objectType === 5 || c.objectType === 29) {
    writeSamplingFrequency(w, c.extensionSampleRate ?? c.sampleRate * 2);
    coreType = 2;
    writeObjectType(w, coreType);
  }
  if (GA_OBJECT_TYPES.has(coreType)) {
    w.bit(c.frameLength === 960); // frameLengthFlag
    w.bit(0); // dependsOnCoreCoder
    w.bit(0); // extensionFlag
  }
  return w.align().toBytes();
}

function writeObjectType(w: BitWriter, t: number): void {
  if (t >= 32) w.bits(5, 31).bits(6, t - 32);
  else w.bits(5, t);
}

function writeSamplingFrequency(w: BitWriter, rate: number): void {
  if (!Number.isInteger(rate) || rate <= 0 || rate >= 2 ** 24) throw new CodecError('INVALID_VALUE', `sample rate ${rate}`);
  const index = AAC_SAMPLE_RATES.indexOf(rate);
  if (index >= 0) w.bits(4, index);
  else w.bits(4, 15).bits(24, rate);
}

/** RFC 6381 codec string of MPEG-4 Audio: `mp4a.40.<audioObjectType>` (RFC 6381 section 3.3). */
export function aacCodecString(objectType: number): string {
  if (!Number.isInteger(objectType) || objectType < 1 || objectType > 95) {
    throw new CodecError('INVALID_VALUE', `audioObjectType ${objectType}, allowed 1..95`);
  }
  return `mp4a.40.${objectType}`;
}
