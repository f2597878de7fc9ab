export { ByteReader, TruncatedError } from './byte-reader.js';
export { BitReader } from './bit-reader.js';
export { BitWriter } from './bit-writer.js';
export { CodecError, type CodecErrorCode } from './errors.js';
export type { VideoCodec, AudioCodec, Codec, VideoTrack, AudioTrack, Track, MediaFrame } from './media.js';
export { sameDecoding } from './media.js';

export {
  splitAnnexB,
  splitLengthPrefixed,
  toLengthPrefixed,
  removeEmulationPrevention,
  addEmulationPrevention,
} from './nal.js';
export { findStartCode, scanStartCode, searchableBytes } from './start-code.js';
export { H264NalType, h264NalType, parseH264Sps, h264CodecString, isH264Keyframe, type H264Sps } from './h264.js';
export { parseAvcDecoderConfig, buildAvcDecoderConfig, type AvcDecoderConfig } from './avc-decoder-config.js';
export {
  H265NalType,
  h265NalType,
  parseH265Sps,
  h265CodecString,
  isH265Keyframe,
  type H265Sps,
  type ProfileTierLevel,
} from './h265.js';
export { parseHevcDecoderConfig, buildHevcDecoderConfig, type HevcDecoderConfig } from './hevc-decoder-config.js';
export {
  parseAudioSpecificConfig,
  buildAudioSpecificConfig,
  aacCodecString,
  AAC_SAMPLE_RATES,
  type AudioSpecificConfig,
} from './aac.js';
export { parseAdts, buildAdtsHeader, type AdtsFrame } from './adts.js';
export {
  videoTrackFromAvcC,
  videoTrackFromHvcC,
  videoTrackFromParameterSets,
  audioTrackFromAsc,
  g711Track,
} from './tracks.js';
