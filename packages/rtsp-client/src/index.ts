// Client
export {
  RtspPlayer,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_UDP_FALLBACK_MS,
  DEFAULT_USER_AGENT,
  MAX_REDIRECTS,
  RECEIVER_REPORT_INTERVAL_MS,
  TEARDOWN_WAIT_MS,
  MAX_EARLY_ACCESS_UNITS,
} from './client/player.js';
export type { RtspPlayOptions, RtspPlayerStats, RtspPlayerEvents } from './client/player.js';
export { TrackReceiver, UDP_REORDER_DELAY_MS, UDP_REORDER_PACKETS } from './client/track-receiver.js';
export type { RtspAccessUnit } from './client/track-receiver.js';
export { RtspConnection } from './client/connection.js';
export type { RtspConnectionOptions, RtspConnectionEvents } from './client/connection.js';
export { RtspError } from './errors.js';
export type { RtspErrorCode, RtspErrorDetails } from './errors.js';

// URL
export { parseRtspUrl, resolveControl, redactUrl, DEFAULT_RTSP_PORT, DEFAULT_RTSPS_PORT } from './url.js';
export type { RtspUrl } from './url.js';

// Base: messages and the connection's byte stream
export { RtspHeaders } from './base/headers.js';
export {
  serializeRequest,
  serializeResponse,
  parseMessageHead,
  contentLength,
  bodyText,
  RTSP_VERSION,
} from './base/message.js';
export type { RtspRequest, RtspResponse, RtspMessageHead } from './base/message.js';
export { RtspStreamReader, MAX_HEADER_BLOCK, MAX_BODY, INTERLEAVED_HEADER_SIZE } from './base/stream-reader.js';
export type { RtspStreamItem } from './base/stream-reader.js';

// Headers
export { parseTransport, parseTransportSpec, serializeTransport } from './headers/transport.js';
export type { TransportSpec } from './headers/transport.js';
export { parseSession, DEFAULT_SESSION_TIMEOUT_S, MAX_SESSION_ID_LENGTH } from './headers/session.js';
export type { SessionHeader } from './headers/session.js';
export { parseRtpInfo } from './headers/rtp-info.js';
export type { RtpInfoEntry } from './headers/rtp-info.js';
export { parseWwwAuthenticate } from './headers/www-authenticate.js';
export type { AuthChallenge } from './headers/www-authenticate.js';
export { parsePublic } from './headers/public.js';

// Authentication
export { Authenticator, pickChallenge } from './auth/authenticator.js';
export type { Credentials } from './auth/authenticator.js';
export { basicAuthorization } from './auth/basic.js';
export { DigestAuthenticator, digestResponse, digestAlgorithm } from './auth/digest.js';
export type { DigestAlgorithm, DigestInput } from './auth/digest.js';

// SDP
export { parseSdp, parseRtpMap, parseFmtp, MAX_SDP_MEDIA, MAX_SDP_LINES } from './sdp/sdp.js';
export type { SdpSession, SdpMedia, SdpRtpMap, SdpAttribute, SdpConnection, SdpBandwidth } from './sdp/sdp.js';
export { planTracks, decodeBase64List } from './sdp/tracks.js';
export type { RtspTrack, TrackPlan, SkippedMedia, SdpTracks, H264ProfileLevel } from './sdp/tracks.js';

// RTP depacketizers
export {
  AccessUnitAssembler,
  MAX_ACCESS_UNIT_SIZE,
  MAX_NALUS_PER_ACCESS_UNIT,
} from './rtp/depacketizer.js';
export type {
  Depacketizer,
  DepacketizerCounters,
  RtpPayloadPacket,
  VideoAccessUnit,
  AudioFrame,
} from './rtp/depacketizer.js';
export { H264Depacketizer } from './rtp/h264-depacketizer.js';
export { H265Depacketizer } from './rtp/h265-depacketizer.js';
export type { H265DepacketizerOptions } from './rtp/h265-depacketizer.js';
export { Mpeg4GenericDepacketizer, mpeg4GenericParams, AAC_HBR, MAX_AU_SIZE } from './rtp/mpeg4-generic-depacketizer.js';
export type { Mpeg4GenericParams } from './rtp/mpeg4-generic-depacketizer.js';
export { LatmDepacketizer, parseStreamMuxConfig, MAX_LATM_ELEMENT_SIZE } from './rtp/latm-depacketizer.js';
export type { LatmConfig } from './rtp/latm-depacketizer.js';
export { G711Depacketizer } from './rtp/g711-depacketizer.js';

// RTCP
export {
  parseRtcp,
  buildReceiverReport,
  buildSenderReport,
  buildSdesCname,
  buildBye,
  ntpToUnixMs,
  unixMsToNtp,
  ntpMiddle32,
  RtcpPacketType,
  NTP_UNIX_OFFSET_S,
} from './rtcp/rtcp.js';
export type { RtcpPacket, ReportBlock } from './rtcp/rtcp.js';
export { ReceptionStats } from './rtcp/reception-stats.js';

// Transports
export { createUdpPortPair, UDP_PAIR_ATTEMPTS } from './transport/udp-ports.js';
export type { UdpPortPair, UdpPortAllocator, UdpPortPairOptions } from './transport/udp-ports.js';
export { InterleavedTransport } from './transport/interleaved.js';
export { UdpTransport, normalizeAddress } from './transport/udp.js';
export type { MediaSink, MediaTransport } from './transport/media-transport.js';
