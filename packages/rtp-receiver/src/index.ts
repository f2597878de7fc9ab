// RTP
export { RtpError, type RtpErrorCode } from './errors.js';
export {
  parseRtpPacket,
  serializeRtpPacket,
  writeRtpPacket,
  rtpPacketByteLength,
  RTP_HEADER_SIZE,
  type RtpPacket,
  type RtpPacketInit,
} from './rtp-packet.js';
export { SequenceUnwrapper, TimestampUnwrapper, wrapDelta } from './sequence.js';
export {
  ReorderBuffer,
  DEFAULT_REORDER_DELAY_MS,
  DEFAULT_REORDER_PACKETS,
  MAX_REORDER_PACKETS,
  type ReorderStats,
  type ReorderOptions,
} from './reorder-buffer.js';

// Transports
export { Rfc4571Deframer, frameRfc4571, RFC4571_MAX_FRAME, RFC4571_MAX_BUFFERED, type Rfc4571Stats } from './rfc4571.js';
export { SsrcFilter, SSRC_RELOCK_PACKETS } from './ssrc-filter.js';
export type { RtpReceiverStats, RemoteInfo } from './rtp-intake.js';
export { RtpUdpReceiver, type RtpUdpReceiverOptions, type RtpReceiverEvents } from './udp-receiver.js';
export {
  RtpTcpReceiver,
  connectRtpTcp,
  DEFAULT_CONNECT_TIMEOUT_MS,
  type RtpTcpReceiverOptions,
  type RtpTcpReceiverEvents,
  type ConnectRtpTcpOptions,
} from './tcp-receiver.js';

// MPEG systems
export type { EsCodec, ElementaryFrame } from './frame.js';
export { MAX_ACCESS_UNIT_BYTES, MAX_AUDIO_CARRY_BYTES, type AssemblerStats } from './frame-assembler.js';
export { readTimestamp, PTS_MODULUS } from './mpeg-timestamp.js';
export { parsePesHeader, StreamId, MAX_PES_HEADER_SIZE, type PesHeader } from './pes.js';
export {
  parsePackHeader,
  parseSystemHeader,
  parseProgramStreamMap,
  MAX_PSM_LENGTH,
  type PackHeader,
  type SystemHeader,
  type ProgramStreamMap,
  type PsmEntry,
} from './ps-headers.js';
export { StreamType, codecOfStreamType, sniffVideoCodec, sniffAudioCodec } from './stream-types.js';
export { PsDemuxer, type PsDemuxerStats } from './ps-demuxer.js';
export { parseTsPacket, TS_PACKET_SIZE, type TsPacket } from './ts-packet.js';
export { parsePat, parsePmt, crc32Mpeg, type Pat, type Pmt, type PmtStream } from './psi.js';
export { TsDemuxer, type TsDemuxerStats } from './ts-demuxer.js';
export { RawEsDemuxer, type RawEsDemuxerStats } from './raw-es-demuxer.js';
export {
  RtpPayloadDemuxer,
  detectPayloadFormat,
  type PayloadFormat,
  type RtpPayloadDemuxerOptions,
  type RtpPayloadDemuxerStats,
} from './rtp-payload-demuxer.js';
