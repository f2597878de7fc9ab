import { describe, expect, it } from 'vitest';
import {
  parsePublic,
  parseRtpInfo,
  parseSession,
  parseTransport,
  parseWwwAuthenticate,
  serializeTransport,
  type TransportSpec,
} from '../src/index.js';

// Case tables {name, bytes, decoded}: header values as servers and cameras send them.

const transportCases: { name: string; bytes: string; decoded: TransportSpec[] }[] = [
  {
    name: 'interleaved TCP reply (gst-rtsp-server)',
    bytes: 'RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=5E1C8A2D;mode="PLAY"',
    decoded: [{ profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: [0, 1], ssrc: 0x5e1c8a2d, mode: 'PLAY' }],
  },
  {
    name: 'UDP reply with server ports and source (Hikvision-like)',
    bytes: 'RTP/AVP;unicast;client_port=5000-5001;server_port=8218-8219;source=192.168.1.64;ssrc=3a9fa6d1;mode=play',
    decoded: [
      {
        profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [5000, 5001], serverPort: [8218, 8219],
        source: '192.168.1.64', ssrc: 0x3a9fa6d1, mode: 'PLAY',
      },
    ],
  },
  {
    name: 'RTP/AVP/UDP spelled out, single port (RTCP = port + 1), lower-case',
    bytes: 'rtp/avp/udp;unicast;client_port=6000',
    decoded: [{ profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [6000, 6001] }],
  },
  {
    name: 'several specs (a client offer): each RTP one, others skipped',
    bytes: 'RTP/AVP/TCP;unicast;interleaved=2-3, RAW/RAW/UDP;unicast, RTP/AVP;multicast;destination=232.0.0.1;port=5000-5001;ttl=16',
    decoded: [
      { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: [2, 3] },
      { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'multicast', destination: '232.0.0.1', port: [5000, 5001], ttl: 16 },
    ],
  },
  {
    name: 'out-of-range values are dropped, not trusted',
    bytes: 'RTP/AVP/TCP;interleaved=300-301;ssrc=nothex;client_port=70000-70001',
    decoded: [{ profile: 'RTP/AVP', lowerTransport: 'TCP' }],
  },
];

describe('Transport (RFC 2326 12.39)', () => {
  it.each(transportCases)('$name', ({ bytes, decoded }) => {
    expect(parseTransport(bytes)).toEqual(decoded);
  });

  it('serializes what the client sends and parses it back', () => {
    const tcp: TransportSpec = { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: [0, 1] };
    expect(serializeTransport(tcp)).toBe('RTP/AVP/TCP;unicast;interleaved=0-1');
    const udp: TransportSpec = { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [40000, 40001] };
    expect(serializeTransport(udp)).toBe('RTP/AVP;unicast;client_port=40000-40001');
    for (const c of transportCases.slice(0, 2)) expect(parseTransport(serializeTransport(c.decoded[0]!))).toEqual(c.decoded);
  });
});

describe('Session (RFC 2326 12.37)', () => {
  it.each([
    { name: 'id and timeout', bytes: '47112344;timeout=60', decoded: { id: '47112344', timeout: 60 } },
    { name: 'no timeout: 60 s', bytes: 'a1B2c3D4e5', decoded: { id: 'a1B2c3D4e5', timeout: 60 } },
    { name: 'spaces and a short timeout', bytes: ' 1234 ; timeout = 5 ', decoded: { id: '1234', timeout: 5 } },
    { name: 'timeout 0 is raised to 1 s', bytes: 'x;timeout=0', decoded: { id: 'x', timeout: 1 } },
  ])('$name', ({ bytes, decoded }) => {
    expect(parseSession(bytes)).toEqual(decoded);
  });

  it('refuses empty, quoted or overlong ids', () => {
    expect(parseSession('')).toBeUndefined();
    expect(parseSession('"abc"')).toBeUndefined();
    expect(parseSession('x'.repeat(300))).toBeUndefined();
  });
});

describe('RTP-Info (RFC 2326 12.33)', () => {
  it('reads url, seq and rtptime per track, also with a query string in the url', () => {
    expect(
      parseRtpInfo(
        'url=rtsp://cam/cam/realmonitor?channel=1&subtype=0/trackID=0;seq=45102;rtptime=12345678,url=rtsp://cam/cam/realmonitor?channel=1&subtype=0/trackID=1;seq=30211;rtptime=2345',
      ),
    ).toEqual([
      { url: 'rtsp://cam/cam/realmonitor?channel=1&subtype=0/trackID=0', seq: 45102, rtptime: 12345678 },
      { url: 'rtsp://cam/cam/realmonitor?channel=1&subtype=0/trackID=1', seq: 30211, rtptime: 2345 },
    ]);
    expect(parseRtpInfo('url=rtsp://127.0.0.1:8554/h264/stream=0;seq=1;rtptime=4294967295')).toEqual([
      { url: 'rtsp://127.0.0.1:8554/h264/stream=0', seq: 1, rtptime: 4294967295 },
    ]);
    expect(parseRtpInfo('seq=1')).toEqual([]);
  });
});

describe('WWW-Authenticate (RFC 7235 4.1)', () => {
  it.each([
    {
      name: 'Digest without qop (gst-rtsp-server, most cameras)',
      bytes: ['Digest realm="GStreamer RTSP Server", nonce="b66673518d297760"'],
      decoded: [{ scheme: 'digest', params: { realm: 'GStreamer RTSP Server', nonce: 'b66673518d297760' } }],
    },
    {
      name: 'two header fields: Digest and Basic (Hikvision)',
      bytes: ['Digest realm="IP Camera(C6842)", nonce="2b8bb41c6a8ef6b0b8c4e2f8e28f0f7a", stale="FALSE"', 'Basic realm="IP Camera(C6842)"'],
      decoded: [
        { scheme: 'digest', params: { realm: 'IP Camera(C6842)', nonce: '2b8bb41c6a8ef6b0b8c4e2f8e28f0f7a', stale: 'FALSE' } },
        { scheme: 'basic', params: { realm: 'IP Camera(C6842)' } },
      ],
    },
    {
      name: 'two challenges in one field, unquoted algorithm, escaped quote',
      bytes: ['Digest realm="a \\"b\\"", nonce=abc, algorithm=MD5, qop="auth", Basic realm="x"'],
      decoded: [
        { scheme: 'digest', params: { realm: 'a "b"', nonce: 'abc', algorithm: 'MD5', qop: 'auth' } },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    },
    {
      name: 'parameters without commas (some Dahua firmware)',
      bytes: ['Digest realm="Login to 3K0" nonce="1234"'],
      decoded: [{ scheme: 'digest', params: { realm: 'Login to 3K0', nonce: '1234' } }],
    },
  ])('$name', ({ bytes, decoded }) => {
    expect(parseWwwAuthenticate(bytes)).toEqual(decoded);
  });
});

describe('Public (RFC 2326 12.28)', () => {
  it('lists methods, upper-cased', () => {
    expect([...parsePublic('OPTIONS, DESCRIBE, get_parameter,PLAY')]).toEqual(['OPTIONS', 'DESCRIBE', 'GET_PARAMETER', 'PLAY']);
  });
});
