/**
 * ADTS: the self-synchronising AAC framing of MPEG-TS, MPEG-PS and `.aac` files.
 *
 * Specification: ISO/IEC 14496-3 section 1.A.2.2 (adts_frame) and 1.A.3.2
 * (ADTS semantics); the same header as ISO/IEC 13818-7 section 6.2.
 *
 *   syncword (12) = 0xFFF | ID (1) | layer (2) = 0 | protection_absent (1)
 *   profile_ObjectType (2) | sampling_frequency_index (4) | private_bit (1)
 *   channel_configuration (3) | original_copy (1) | home (1)
 *   copyright_identification_bit (1) | copyright_identification_start (1)
 *   aac_frame_length (13, header included) | adts_buffer_fullness (11)
 *   number_of_raw_data_blocks_in_frame (2)
 *   [crc_check (16) when protection_absent = 0] | raw_data_block
 */
import { type AudioSpecificConfig, AAC_SAMPLE_RATES } from './aac.js';
import { ByteReader } from './byte-reader.js';
import { CodecError } from './errors.js';

export interface AdtsFrame {
  /** The configuration the header describes (objectType = profile_ObjectType + 1). */
  config: AudioSpecificConfig;
  /** The raw access unit (header and CRC stripped): a view into the input. */
  data: Uint8Array;
  /** aac_frame_length: header + CRC + payload bytes. */
  frameLength: number;
}

const ADTS_HEADER_SIZE = 7;
const ADTS_CRC_SIZE = 2;
/** aac_frame_length is a 13-bit field. */
const ADTS_MAX_FRAME_LENGTH = 0x1fff;

/**
 * Splits back-to-back ADTS frames. A frame without the syncword throws BAD_SYNC,
 * a length shorter than its header throws INVALID_VALUE, a length past the end of
 * `data` throws TruncatedError. The CRC, when present, is skipped, not verified.
 * Frames holding more than one raw_data_block throw UNSUPPORTED (their access
 * units cannot be told apart without decoding).
 *
 * Specification: ISO/IEC 14496-3 section 1.A.2.2
 */
export function parseAdts(data: Uint8Array): AdtsFrame[] {
  const frames: AdtsFrame[] = [];
  const r = new ByteReader(data);
  // Consecutive frames nearly always share one configuration: share the object too.
  let lastFixed = -1;
  let lastConfig: AudioSpecificConfig | undefined;
  while (r.remaining > 0) {
    const start = r.pos;
    r.ensure(ADTS_HEADER_SIZE, 'ADTS header');
    const b = data;
    const p = start;
    if (b[p] !== 0xff || (b[p + 1]! & 0xf6) !== 0xf0) {
      throw new CodecError('BAD_SYNC', `no ADTS syncword (layer 0) at offset ${start}`);
    }
    const protectionAbsent = b[p + 1]! & 1;
    const fixed = (b[p + 2]! << 8) | (b[p + 3]! & 0xc0);
    const frameLength = ((b[p + 3]! & 0x03) << 11) | (b[p + 4]! << 3) | (b[p + 5]! >> 5);
    const rawDataBlocks = (b[p + 6]! & 0x03) + 1;
    const headerSize = ADTS_HEADER_SIZE + (protectionAbsent ? 0 : ADTS_CRC_SIZE);
    if (frameLength < headerSize) {
      throw new CodecError('INVALID_VALUE', `aac_frame_length ${frameLength} at offset ${start} is shorter than the ${headerSize}-byte header`);
    }
    if (rawDataBlocks !== 1) {
      throw new CodecError('UNSUPPORTED', `ADTS frame at offset ${start} holds ${rawDataBlocks} raw data blocks`);
    }
    if (fixed !== lastFixed || lastConfig === undefined) {
      lastConfig = configOf(b[p + 2]!, b[p + 3]!);
      lastFixed = fixed;
    }
    r.skip(headerSize);
    frames.push({ config: lastConfig, data: r.bytesView(frameLength - headerSize, 'ADTS frame'), frameLength });
  }
  return frames;
}

function configOf(b2: number, b3: number): AudioSpecificConfig {
  const samplingFrequencyIndex = (b2 >> 2) & 0x0f;
  const sampleRate = AAC_SAMPLE_RATES[samplingFrequencyIndex];
  if (sampleRate === undefined) {
    throw new CodecError('INVALID_VALUE', `ADTS sampling_frequency_index ${samplingFrequencyIndex} is reserved`);
  }
  const channelConfiguration = ((b2 & 0x01) << 2) | (b3 >> 6);
  if (channelConfiguration === 0) {
    throw new CodecError('UNSUPPORTED', 'ADTS channel_configuration 0 (layout in an in-band program_config_element)');
  }
  return {
    objectType: (b2 >> 6) + 1,
    samplingFrequencyIndex,
    sampleRate,
    channels: channelConfiguration === 7 ? 8 : channelConfiguration,
    channelConfiguration,
    frameLength: 1024,
  };
}

/**
 * A 7-byte ADTS header (no CRC, one raw data block, VBR buffer fullness) for an
 * access unit of `payloadLength` bytes. The configuration must be expressible in
 * ADTS: objectType 1..4, a tabled sample rate, channelConfiguration 1..7.
 */
export function buildAdtsHeader(
  config: Pick<AudioSpecificConfig, 'objectType' | 'samplingFrequencyIndex' | 'channelConfiguration'>,
  payloadLength: number,
): Uint8Array {
  const { objectType, samplingFrequencyIndex: sfi, channelConfiguration: ch } = config;
  if (objectType < 1 || objectType > 4) throw new CodecError('UNSUPPORTED', `audioObjectType ${objectType} in ADTS (1..4 only)`);
  if (!(sfi >= 0 && sfi <= 12)) throw new CodecError('UNSUPPORTED', `samplingFrequencyIndex ${sfi} in ADTS (0..12 only)`);
  if (!(ch >= 1 && ch <= 7)) throw new CodecError('UNSUPPORTED', `channelConfiguration ${ch} in ADTS (1..7 only)`);
  const frameLength = ADTS_HEADER_SIZE + payloadLength;
  if (!Number.isInteger(payloadLength) || payloadLength < 0 || frameLength > ADTS_MAX_FRAME_LENGTH) {
    throw new CodecError('INVALID_VALUE', `ADTS payload of ${payloadLength} bytes (at most ${ADTS_MAX_FRAME_LENGTH - ADTS_HEADER_SIZE})`);
  }
  const fullness = 0x7ff; // VBR
  return Uint8Array.of(
    0xff,
    0xf1, // syncword, ID 0 (MPEG-4), layer 0, protection_absent 1
    ((objectType - 1) << 6) | (sfi << 2) | (ch >> 2),
    ((ch & 3) << 6) | (frameLength >> 11),
    (frameLength >> 3) & 0xff,
    ((frameLength & 7) << 5) | (fullness >> 6),
    ((fullness & 0x3f) << 2) | 0, // number_of_raw_data_blocks_in_frame 0
  );
}
