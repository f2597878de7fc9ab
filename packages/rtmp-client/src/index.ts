// Client
export { RtmpPlayer, DEFAULT_TIMEOUT_MS, OUT_CHUNK_SIZE, CLIENT_WINDOW_ACK_SIZE, CLIENT_BUFFER_MS } from './client.js';
export type { RtmpPlayOptions, RtmpPlayerEvents, RtmpPlayerCounters } from './client.js';
export { RtmpError } from './errors.js';
export type { RtmpErrorCode, RtmpErrorDetails } from './errors.js';

// FLV tag bodies (RTMP audio/video messages)
export { parseFlvVideoTag, parseFlvAudioTag, VideoCodecId, ExVideoPacketType, SoundFormat } from './flv.js';
export type { FlvVideoTag, FlvAudioTag, FlvSkippedTag, VideoTagCodec, AudioTagCodec } from './flv.js';

// URL
export { parseRtmpUrl, DEFAULT_RTMP_PORT, DEFAULT_RTMPS_PORT } from './url.js';
export type { RtmpUrl } from './url.js';

// Lower layers: handshake → chunk → message
export { ClientHandshake, RTMP_VERSION, HANDSHAKE_SIZE } from './handshake.js';
export type { HandshakeStep, ClientHandshakeOptions } from './handshake.js';
export { ChunkReader, MAX_MESSAGE_LENGTH, MAX_REASSEMBLY_BYTES } from './chunk-reader.js';
export type { ChunkReaderOptions } from './chunk-reader.js';
export { ChunkWriter } from './chunk-writer.js';
export type { OutgoingMessage } from './chunk-writer.js';
export { MAX_CHUNK_HEADER_SIZE, MIN_CSID, MAX_CSID } from './chunk-header.js';
export { MessageType } from './message-types.js';
export type { RtmpMessage } from './message-types.js';
export {
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  parseSetChunkSize,
  parseAbort,
  parseAcknowledgement,
  parseWindowAckSize,
  parseSetPeerBandwidth,
  encodeSetChunkSize,
  encodeAbort,
  encodeAcknowledgement,
  encodeWindowAckSize,
  encodeSetPeerBandwidth,
} from './protocol-control.js';
export type { PeerBandwidthLimit } from './protocol-control.js';
export {
  UserControlEvent,
  parseUserControl,
  encodeSetBufferLength,
  encodePingRequest,
  encodePingResponse,
  encodeStreamEvent,
} from './user-control.js';
export type { UserControl } from './user-control.js';
export {
  parseCommand,
  parseDataMessage,
  encodeCommand,
  connectCommand,
  createStreamCommand,
  playCommand,
  statusInfo,
  amf0ToRecord,
  FLASH_VERSION,
} from './commands.js';
export type { Command, StatusInfo } from './commands.js';
export { splitAggregate } from './aggregate.js';
export { TimestampUnwrapper } from './timestamp.js';

// AMF0
export { encodeAmf0, decodeAmf0, readAmf0Value, writeAmf0Value, Amf0EcmaArray, Amf0Marker, MAX_AMF0_DEPTH } from './amf0.js';
export type { Amf0Value, Amf0Object } from './amf0.js';
export { ByteWriter } from './byte-writer.js';
