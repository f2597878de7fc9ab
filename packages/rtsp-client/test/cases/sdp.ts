/**
 * SDP case table: DESCRIBE bodies as cameras send them (the Hikvision / Dahua /
 * Axis ones are reconstructed from their documented formats with the quirks those
 * firmwares are known for; the gst-rtsp-server ones are captures in ../fixtures)
 * → the tracks the client sets up.
 */
import { readFileSync } from 'node:fs';

export interface SdpTrackExpectation {
  readonly kind: 'video' | 'audio';
  readonly codec: string;
  readonly clockRate: number;
  readonly payloadType: number;
  readonly control: string;
  readonly channels?: number;
  /** Counts of sprop parameter sets. */
  readonly sets?: { vps?: number; sps: number; pps: number };
  /** AudioSpecificConfig as hex. */
  readonly config?: string;
  readonly profileLevelId?: { hex: string; profile: string; level: string };
}

export interface SdpCase {
  readonly name: string;
  /** The SDP text. */
  readonly bytes: string;
  /** Content-Base (or the request URL when the server sends none). */
  readonly base: string;
  readonly decoded: {
    readonly aggregateControl: string;
    readonly tracks: SdpTrackExpectation[];
    /** Media types skipped, in order. */
    readonly skipped: string[];
  };
}

const crlf = (lines: string[]): string => lines.join('\r\n') + '\r\n';

/** The body of a captured DESCRIBE reply, and its Content-Base. */
function captured(name: string): { bytes: string; base: string } {
  const text = readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
  const [head, body] = text.split('\r\n\r\n');
  return { bytes: body!, base: /Content-Base: (\S+)/.exec(head!)![1]! };
}

const gstH264 = captured('describe-gst-rtsp-server-1.22-h264.txt');
const gstH265 = captured('describe-gst-rtsp-server-1.22-h265.txt');
const gstG711 = captured('describe-gst-rtsp-server-1.22-g711.txt');

export const sdpCases: SdpCase[] = [
  {
    name: 'gst-rtsp-server 1.22 /h264 (capture): H.264 + AAC-hbr, relative controls against Content-Base',
    ...gstH264,
    decoded: {
      aggregateControl: 'rtsp://127.0.0.1:18555/h264/',
      tracks: [
        {
          kind: 'video', codec: 'h264', clockRate: 90000, payloadType: 96, control: 'rtsp://127.0.0.1:18555/h264/stream=0',
          sets: { sps: 1, pps: 1 }, profileLevelId: { hex: '42e00d', profile: 'ConstrainedBaseline', level: '1.3' },
        },
        {
          kind: 'audio', codec: 'aac', clockRate: 44100, payloadType: 97, channels: 1, control: 'rtsp://127.0.0.1:18555/h264/stream=1',
          config: '120856e500',
        },
      ],
      skipped: [],
    },
  },
  {
    name: 'gst-rtsp-server 1.22 /h265 (capture): sprop-vps/sps/pps',
    ...gstH265,
    decoded: {
      aggregateControl: 'rtsp://127.0.0.1:18555/h265/',
      tracks: [
        { kind: 'video', codec: 'h265', clockRate: 90000, payloadType: 96, control: 'rtsp://127.0.0.1:18555/h265/stream=0', sets: { vps: 1, sps: 1, pps: 1 } },
      ],
      skipped: [],
    },
  },
  {
    name: 'gst-rtsp-server 1.22 /g711 (capture): PCMA, static payload type 8',
    ...gstG711,
    decoded: {
      aggregateControl: 'rtsp://127.0.0.1:18555/g711/',
      tracks: [{ kind: 'audio', codec: 'pcma', clockRate: 8000, payloadType: 8, channels: 1, control: 'rtsp://127.0.0.1:18555/g711/stream=0' }],
      skipped: [],
    },
  },
  {
    name: 'Hikvision-like: absolute controls, a=recvonly on every track, profile-level-id that disagrees with the SPS, G.711',
    base: 'rtsp://192.168.1.64:554/Streaming/Channels/101/',
    bytes: crlf([
      'v=0',
      'o=- 1109162014219182 1109162014219192 IN IP4 192.168.1.64',
      's=Media Presentation',
      'e=NONE',
      'b=AS:5050',
      't=0 0',
      'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/',
      'm=video 0 RTP/AVP 96',
      'c=IN IP4 0.0.0.0',
      'b=AS:5000',
      'a=recvonly',
      'a=x-dimensions:1920,1080',
      'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z00AKp2oHgCJ+WbgICAgQA==,aO48gA==',
      'a=Media_header:MEDIAINFO=494D4B48010200000400000111710110401F000000FA000000000000000000000000000000000000;',
      'a=appversion:1.0',
      'm=audio 0 RTP/AVP 8',
      'c=IN IP4 0.0.0.0',
      'b=AS:50',
      'a=recvonly',
      'a=control:rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2',
      'a=rtpmap:8 PCMA/8000',
    ]),
    decoded: {
      aggregateControl: 'rtsp://192.168.1.64:554/Streaming/Channels/101/',
      tracks: [
        {
          kind: 'video', codec: 'h264', clockRate: 90000, payloadType: 96, control: 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=1',
          sets: { sps: 1, pps: 1 }, profileLevelId: { hex: '420029', profile: 'Baseline', level: '4.1' },
        },
        { kind: 'audio', codec: 'pcma', clockRate: 8000, payloadType: 8, channels: 1, control: 'rtsp://192.168.1.64:554/Streaming/Channels/101/trackID=2' },
      ],
      skipped: [],
    },
  },
  {
    name: 'Dahua-like: Content-Base with a query and a trailing slash, relative trackID, AAC 16 kHz',
    base: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/',
    bytes: crlf([
      'v=0',
      'o=- 2251938202 2251938202 IN IP4 0.0.0.0',
      's=Media Server',
      'c=IN IP4 0.0.0.0',
      't=0 0',
      'a=control:*',
      'a=packetization-supported:DH',
      'a=rtppayload-supported:DH',
      'a=range:npt=now-',
      'm=video 0 RTP/AVP 96',
      'a=control:trackID=0',
      'a=framerate:25.000000',
      'a=rtpmap:96 H264/90000',
      'a=fmtp:96 packetization-mode=1;profile-level-id=4D002A;sprop-parameter-sets=Z00AKpWoHgCJ+WbgICAgQA==,aO48gA==',
      'a=recvonly',
      'm=audio 0 RTP/AVP 97',
      'a=control:trackID=1',
      'a=rtpmap:97 MPEG4-GENERIC/16000',
      'a=fmtp:97 streamtype=5;profile-level-id=1;mode=AAC-hbr;sizelength=13;indexlength=3;indexdeltalength=3;config=1408',
      'a=recvonly',
    ]),
    decoded: {
      aggregateControl: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/',
      tracks: [
        {
          kind: 'video', codec: 'h264', clockRate: 90000, payloadType: 96, control: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=0',
          sets: { sps: 1, pps: 1 }, profileLevelId: { hex: '4d002a', profile: 'Main', level: '4.2' },
        },
        {
          kind: 'audio', codec: 'aac', clockRate: 16000, payloadType: 97, channels: 1,
          control: 'rtsp://192.168.1.108:554/cam/realmonitor?channel=1&subtype=0/trackID=1', config: '1408',
        },
      ],
      skipped: [],
    },
  },
  {
    name: 'H.265 camera, base without trailing slash, ONVIF metadata and backchannel skipped, LF line ends',
    base: 'rtsp://10.0.0.5/axis-media/media.amp',
    bytes: [
      'v=0',
      'o=- 1 1 IN IP4 10.0.0.5',
      's=Session streamed with Axis',
      't=0 0',
      'a=control:*',
      'm=video 0 RTP/AVP 98',
      'a=rtpmap:98 H265/90000',
      'a=fmtp:98 sprop-vps=QAEMAf//AWAAAAMAsAAAAwAAAwB7FwJA; sprop-sps=QgEBAWAAAAMAsAAAAwAAAwB7oAPAgBDlja5JMvTcBAQEAg==; sprop-pps=RAHA8vA8kAA=',
      'a=control:trackID=1',
      'm=application 0 RTP/AVP 107',
      'a=rtpmap:107 vnd.onvif.metadata/90000',
      'a=control:trackID=3',
      'm=audio 0 RTP/AVP 0',
      'a=control:trackID=4',
      'a=sendonly',
      'm=audio 0 RTP/AVP 0',
      'a=control:trackID=2',
      '',
    ].join('\n'),
    decoded: {
      aggregateControl: 'rtsp://10.0.0.5/axis-media/media.amp',
      tracks: [
        { kind: 'video', codec: 'h265', clockRate: 90000, payloadType: 98, control: 'rtsp://10.0.0.5/axis-media/media.amp/trackID=1', sets: { vps: 1, sps: 1, pps: 1 } },
        { kind: 'audio', codec: 'pcmu', clockRate: 8000, payloadType: 0, channels: 1, control: 'rtsp://10.0.0.5/axis-media/media.amp/trackID=2' },
      ],
      skipped: ['application', 'audio'],
    },
  },
  {
    name: 'unsupported formats skipped, the first playable payload type of a section chosen',
    base: 'rtsp://cam/live',
    bytes: crlf([
      'v=0',
      's=x',
      'm=video 0 RTP/AVP 26 97',
      'a=rtpmap:97 H264/90000',
      'a=fmtp:97 packetization-mode=2',
      'm=video 0 RTP/AVP 100 96',
      'a=rtpmap:100 VP8/90000',
      'a=rtpmap:96 H264/90000',
      'a=control:video',
      'm=audio 0 RTP/AVP 101',
      'a=rtpmap:101 opus/48000/2',
      'm=audio 0 RTP/AVP 102',
      'a=rtpmap:102 MP4A-LATM/44100/2',
      'a=fmtp:102 cpresent=0;config=40002420',
      'a=control:audio',
    ]),
    decoded: {
      aggregateControl: 'rtsp://cam/live',
      tracks: [
        { kind: 'video', codec: 'h264', clockRate: 90000, payloadType: 96, control: 'rtsp://cam/live/video', sets: { sps: 0, pps: 0 } },
        { kind: 'audio', codec: 'aac', clockRate: 44100, payloadType: 102, channels: 2, control: 'rtsp://cam/live/audio', config: '1210' },
      ],
      skipped: ['video', 'audio'],
    },
  },
];
