/**
 * RTSP message case table: bytes as servers send them → the parsed message.
 * Shared by message.test.ts (decode, every split point) and fuzz.test.ts.
 */
import { ascii, concat, hex } from '../helpers/bytes.js';

export interface MessageCase {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** What the reader yields, with headers as a plain object and bodies as text. */
  readonly decoded: (
    | { kind: 'response'; status: number; reason: string; headers: Record<string, string>; body: string }
    | { kind: 'request'; method: string; uri: string; headers: Record<string, string> }
    | { kind: 'interleaved'; channel: number; payload: string }
  )[];
}

const SDP = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n';

export const messageCases: MessageCase[] = [
  {
    name: 'OPTIONS reply (gst-rtsp-server 1.22)',
    bytes: ascii(
      'RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN\r\nServer: GStreamer RTSP server\r\nDate: Sun, 22 Nov 2026 00:20:28 GMT\r\n\r\n',
    ),
    decoded: [
      {
        kind: 'response', status: 200, reason: 'OK', body: '',
        headers: {
          CSeq: '1',
          Public: 'OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN',
          Server: 'GStreamer RTSP server',
          Date: 'Sun, 22 Nov 2026 00:20:28 GMT',
        },
      },
    ],
  },
  {
    name: 'DESCRIBE reply with an SDP body',
    bytes: ascii(`RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Base: rtsp://127.0.0.1/h264/\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`),
    decoded: [
      {
        kind: 'response', status: 200, reason: 'OK', body: SDP,
        headers: { CSeq: '2', 'Content-Type': 'application/sdp', 'Content-Base': 'rtsp://127.0.0.1/h264/', 'Content-Length': String(SDP.length) },
      },
    ],
  },
  {
    name: 'PLAY reply followed by interleaved RTP and RTCP frames, then a keep-alive reply',
    bytes: concat(
      ascii('RTSP/1.0 200 OK\r\nCSeq: 5\r\nSession: 12345678\r\nRTP-Info: url=rtsp://cam/track1;seq=1;rtptime=0\r\n\r\n'),
      hex('24 00 00 05 80 60 00 01 aa'),
      hex('24 01 00 02 81 c8'),
      ascii('RTSP/1.0 200 OK\r\nCSeq: 6\r\n\r\n'),
    ),
    decoded: [
      { kind: 'response', status: 200, reason: 'OK', body: '', headers: { CSeq: '5', Session: '12345678', 'RTP-Info': 'url=rtsp://cam/track1;seq=1;rtptime=0' } },
      { kind: 'interleaved', channel: 0, payload: '8060 0001 aa' },
      { kind: 'interleaved', channel: 1, payload: '81c8' },
      { kind: 'response', status: 200, reason: 'OK', body: '', headers: { CSeq: '6' } },
    ],
  },
  {
    name: 'bare LF line ends, a folded header, a reason phrase with spaces, stray CRLF between messages',
    bytes: ascii('RTSP/1.0 401 Unauthorized Access\nCSeq: 3\nWWW-Authenticate: Digest realm="cam",\n  nonce="abc"\n\n\r\nRTSP/1.0 200\r\nCSeq: 4\r\n\r\n'),
    decoded: [
      { kind: 'response', status: 401, reason: 'Unauthorized Access', body: '', headers: { CSeq: '3', 'WWW-Authenticate': 'Digest realm="cam", nonce="abc"' } },
      { kind: 'response', status: 200, reason: '', body: '', headers: { CSeq: '4' } },
    ],
  },
  {
    name: 'a request from the server (GET_PARAMETER keep-alive, ANNOUNCE-style)',
    bytes: ascii('GET_PARAMETER rtsp://cam/stream RTSP/1.0\r\nCSeq: 9\r\nSession: 42\r\n\r\n'),
    decoded: [{ kind: 'request', method: 'GET_PARAMETER', uri: 'rtsp://cam/stream', headers: { CSeq: '9', Session: '42' } }],
  },
  {
    name: 'an empty interleaved frame',
    bytes: hex('24 02 00 00'),
    decoded: [{ kind: 'interleaved', channel: 2, payload: '' }],
  },
];
