export { ByteReader, TruncatedError } from './byte-reader.js';
export { BitReader } from './bit-reader.js';
export type { VideoCodec, AudioCodec, Codec, VideoTrack, AudioTrack, Track, MediaFrame } from './media.js';
export { sameDecoding } from './media.js';
