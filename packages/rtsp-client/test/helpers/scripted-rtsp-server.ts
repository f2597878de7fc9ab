import * as dgram from 'node:dgram';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as tls from 'node:tls';
import { serializeRtpPacket } from '@sluice/rtp-receiver';
import {
  RtspHeaders,
  RtspStreamReader,
  buildBye,
  buildSenderReport,
  digestResponse,
  parseTransport,
  parseWwwAuthenticate,
  serializeResponse,
  type TransportSpec,
} from '../../src/index.js';

/**
 * A scripted RTSP server on 127.0.0.1 for the client tests: a fake camera whose
 * every reply a test can replace. Needed because gst-rtsp-server cannot misbehave
 * on demand (redirect loops, stale nonces, BYE, 454 on keep-alive, giant headers).
 * It parses requests with this package's own RtspStreamReader (tested against
 * hand-written bytes in message.test.ts). `close()` ends every connection.
 */

export interface ScriptedRequest {
  readonly method: string;
  readonly uri: string;
  readonly headers: RtspHeaders;
  readonly connection: ScriptedConnection;
}

export class ScriptedConnection {
  readonly reader = new RtspStreamReader();
  /** Interleaved frames received from the client (RTCP receiver reports). */
  readonly frames: { channel: number; payload: Uint8Array }[] = [];
  closed = false;

  constructor(readonly socket: Socket) {
    socket.on('close', () => (this.closed = true));
  }

  respond(req: ScriptedRequest, status: number, reason = 'OK', headers: Record<string, string> = {}, body?: string): void {
    const h = new RtspHeaders({ CSeq: req.headers.get('CSeq') ?? '0', ...headers });
    const bytes = body === undefined ? undefined : new TextEncoder().encode(body);
    this.write(serializeResponse({ status, reason, headers: h, ...(bytes === undefined ? {} : { body: bytes }) }));
  }

  write(bytes: Uint8Array | string): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(bytes);
  }

  interleaved(channel: number, payload: Uint8Array): void {
    const frame = new Uint8Array(4 + payload.byteLength);
    frame.set([0x24, channel, payload.byteLength >> 8, payload.byteLength & 0xff]);
    frame.set(payload, 4);
    this.write(frame);
  }
}

export type Handler = (req: ScriptedRequest) => void;

export interface ScriptedServer {
  readonly port: number;
  readonly requests: ScriptedRequest[];
  readonly connections: ScriptedConnection[];
  url(path?: string, credentials?: string): string;
  /** Requests of one method, in order. */
  of(method: string): ScriptedRequest[];
  close(): Promise<void>;
}

export async function startScriptedServer(handler: Handler, options: { tls?: tls.TlsOptions } = {}): Promise<ScriptedServer> {
  const requests: ScriptedRequest[] = [];
  const connections: ScriptedConnection[] = [];
  const onSocket = (socket: Socket): void => {
    const connection = new ScriptedConnection(socket);
    connections.push(connection);
    socket.on('error', () => {}); // the client under test may reset
    socket.on('data', (data: Buffer) => {
      let items;
      try {
        items = connection.reader.push(data);
      } catch {
        socket.destroy();
        return;
      }
      for (const item of items) {
        if (item.kind === 'interleaved') {
          connection.frames.push({ channel: item.channel, payload: item.payload });
          continue;
        }
        if (item.head.kind !== 'request') continue;
        const req: ScriptedRequest = { method: item.head.method, uri: item.head.uri, headers: item.head.headers, connection };
        requests.push(req);
        handler(req);
      }
    });
  };
  const server: Server = options.tls === undefined ? createServer(onSocket) : tls.createServer(options.tls, onSocket);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    connections,
    url: (path = '/live', credentials) =>
      `${options.tls === undefined ? 'rtsp' : 'rtsps'}://${credentials ? `${credentials}@` : ''}127.0.0.1:${port}${path}`,
    of: (method) => requests.filter((r) => r.method === method),
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// ── a fake camera ──────────────────────────────────────────────────────────

export const H264_AAC_SDP = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=Scripted',
  't=0 0',
  'a=control:*',
  'm=video 0 RTP/AVP 96',
  'a=rtpmap:96 H264/90000',
  'a=fmtp:96 packetization-mode=1;sprop-parameter-sets=Z0LADdoFB+wFqDAwNSgAAAMACAAAAwGUeKFV,aM48gA==;profile-level-id=42c00d',
  'a=control:trackID=1',
  'm=audio 0 RTP/AVP 97',
  'a=rtpmap:97 MPEG4-GENERIC/44100/1',
  'a=fmtp:97 streamtype=5;mode=AAC-hbr;config=1208;sizelength=13;indexlength=3;indexdeltalength=3',
  'a=control:trackID=2',
  '',
].join('\r\n');

export interface CameraAuth {
  readonly scheme: 'basic' | 'digest';
  readonly user: string;
  readonly password: string;
  readonly realm?: string;
  /** Digest qop=auth (otherwise the RFC 2069 form cameras use). */
  readonly qop?: boolean;
  /** Answer the first correct Digest with 401 stale=TRUE and a new nonce. */
  readonly staleOnce?: boolean;
}

/** Where a track's media goes, from the client's SETUP Transport. */
export interface TrackRoute {
  readonly transport: TransportSpec;
  /** UDP only: the socket the camera sends from (server_port). */
  readonly rtp?: dgram.Socket;
  readonly rtcp?: dgram.Socket;
}

export interface CameraSession {
  readonly id: string;
  readonly connection: ScriptedConnection;
  readonly routes: TrackRoute[];
  /** RTCP the client sent over UDP (receiver reports). */
  readonly udpRtcp: Uint8Array[];
}

export interface FakeCameraOptions {
  readonly sdp?: string;
  /** Content-Base header; null for none; default `<request url>/`. */
  readonly contentBase?: string | null;
  readonly auth?: CameraAuth;
  readonly sessionTimeout?: number;
  readonly public?: string;
  /** Lower transports accepted; others get 461. */
  readonly transports?: ('TCP' | 'UDP')[];
  /** Called after the PLAY reply. */
  readonly onPlay?: (session: CameraSession, req: ScriptedRequest) => void;
  /** Return true when the request was handled (replaces the default reply). */
  readonly override?: (req: ScriptedRequest, camera: FakeCamera) => boolean;
}

export class FakeCamera {
  readonly sessions: CameraSession[] = [];
  private readonly udpSockets: dgram.Socket[] = [];
  private nonce = 'n0nce0001';
  private staleSent = false;

  constructor(private readonly options: FakeCameraOptions = {}) {}

  readonly handler: Handler = (req) => {
    const c = req.connection;
    if (this.options.override?.(req, this)) return;
    if (!this.authorized(req)) return;
    switch (req.method) {
      case 'OPTIONS':
        c.respond(req, 200, 'OK', { Public: this.options.public ?? 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, GET_PARAMETER' });
        return;
      case 'DESCRIBE': {
        const base = this.options.contentBase === undefined ? `${req.uri.replace(/\/$/, '')}/` : this.options.contentBase;
        c.respond(req, 200, 'OK', { 'Content-Type': 'application/sdp', ...(base === null ? {} : { 'Content-Base': base }) }, this.options.sdp ?? H264_AAC_SDP);
        return;
      }
      case 'SETUP':
        void this.setup(req);
        return;
      case 'PLAY': {
        const session = this.sessions.find((s) => s.id === req.headers.get('Session'));
        if (session === undefined) return c.respond(req, 454, 'Session Not Found');
        c.respond(req, 200, 'OK', { Session: session.id, 'RTP-Info': `url=${req.uri};seq=1;rtptime=0` });
        this.options.onPlay?.(session, req);
        return;
      }
      case 'GET_PARAMETER':
      case 'TEARDOWN':
        c.respond(req, 200, 'OK', { Session: req.headers.get('Session') ?? '' });
        return;
      default:
        c.respond(req, 501, 'Not Implemented');
    }
  };

  private authorized(req: ScriptedRequest): boolean {
    const auth = this.options.auth;
    if (auth === undefined || req.method === 'OPTIONS') return true;
    const realm = auth.realm ?? 'Scripted Camera';
    const header = req.headers.get('Authorization');
    const challenge = (stale = false): void => {
      const www =
        auth.scheme === 'basic'
          ? `Basic realm="${realm}"`
          : `Digest realm="${realm}", nonce="${this.nonce}"${auth.qop ? ', qop="auth"' : ''}${stale ? ', stale=TRUE' : ''}`;
      req.connection.respond(req, 401, 'Unauthorized', { 'WWW-Authenticate': www });
    };
    if (header === undefined) {
      challenge();
      return false;
    }
    if (auth.scheme === 'basic') {
      const ok = header === `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
      if (!ok) challenge();
      return ok;
    }
    const [parsed] = parseWwwAuthenticate([header]);
    const p = parsed?.params ?? {};
    const expected = digestResponse({
      user: auth.user, password: auth.password, method: req.method, uri: p['uri'] ?? '', realm, nonce: this.nonce, algorithm: 'MD5',
      ...(auth.qop ? { qop: 'auth' as const, nc: p['nc'] ?? '', cnonce: p['cnonce'] ?? '' } : {}),
    });
    const ok = parsed?.scheme === 'digest' && p['username'] === auth.user && p['nonce'] === this.nonce && p['uri'] === req.uri && p['response'] === expected;
    if (ok && auth.staleOnce && !this.staleSent) {
      this.staleSent = true;
      this.nonce = 'n0nce0002';
      challenge(true);
      return false;
    }
    if (!ok) challenge();
    return ok;
  }

  private async setup(req: ScriptedRequest): Promise<void> {
    const c = req.connection;
    const [spec] = parseTransport(req.headers.get('Transport') ?? '');
    const allowed = this.options.transports ?? ['TCP', 'UDP'];
    if (spec === undefined || !allowed.includes(spec.lowerTransport)) return c.respond(req, 461, 'Unsupported Transport');
    let session = this.sessions.find((s) => s.id === req.headers.get('Session'));
    if (session === undefined) {
      session = { id: `sess${this.sessions.length + 1}`, connection: c, routes: [], udpRtcp: [] };
      this.sessions.push(session);
    }
    let reply: TransportSpec;
    let route: TrackRoute;
    if (spec.lowerTransport === 'TCP') {
      reply = { ...spec, ssrc: 0x11223344 + session.routes.length };
      route = { transport: reply };
    } else {
      const rtp = await this.bindUdp();
      const rtcp = await this.bindUdp();
      const target = session;
      rtcp.on('message', (msg) => target.udpRtcp.push(new Uint8Array(msg)));
      reply = { ...spec, serverPort: [rtp.address().port, rtcp.address().port], ssrc: 0x11223344 + session.routes.length };
      route = { transport: reply, rtp, rtcp };
    }
    session.routes.push(route);
    const timeout = this.options.sessionTimeout === undefined ? '' : `;timeout=${this.options.sessionTimeout}`;
    const t = reply;
    const transport = [
      `RTP/AVP${t.lowerTransport === 'TCP' ? '/TCP' : ''};unicast`,
      t.interleaved ? `interleaved=${t.interleaved[0]}-${t.interleaved[1]}` : '',
      t.clientPort ? `client_port=${t.clientPort[0]}-${t.clientPort[1]}` : '',
      t.serverPort ? `server_port=${t.serverPort[0]}-${t.serverPort[1]}` : '',
      `ssrc=${t.ssrc!.toString(16).toUpperCase()}`,
    ].filter((x) => x !== '').join(';');
    c.respond(req, 200, 'OK', { Session: `${session.id}${timeout}`, Transport: transport });
  }

  private bindUdp(): Promise<dgram.Socket> {
    const s = dgram.createSocket('udp4');
    this.udpSockets.push(s);
    return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
  }

  /** Sends one RTP packet of track `index` over the session's route. */
  sendRtp(session: CameraSession, index: number, packet: { seq: number; ts: number; marker: boolean; payload: Uint8Array; pt?: number }): void {
    const route = session.routes[index]!;
    const bytes = serializeRtpPacket({
      marker: packet.marker,
      payloadType: packet.pt ?? (index === 0 ? 96 : 97),
      sequenceNumber: packet.seq,
      timestamp: packet.ts,
      ssrc: route.transport.ssrc ?? 1,
      payload: packet.payload,
    });
    this.sendOn(session, index, bytes, false);
  }

  sendRtcp(session: CameraSession, index: number, bytes: Uint8Array): void {
    this.sendOn(session, index, bytes, true);
  }

  senderReport(session: CameraSession, index: number, ntpMs: number, rtpTimestamp: number): void {
    const seconds = Math.floor(ntpMs / 1000);
    const ntpMsw = seconds + 2_208_988_800;
    const ntpLsw = Math.floor(((ntpMs - seconds * 1000) / 1000) * 2 ** 32);
    this.sendRtcp(session, index, buildSenderReport({ ssrc: 0x11223344 + index, ntpMsw, ntpLsw, rtpTimestamp, packetCount: 1, octetCount: 1 }));
  }

  bye(session: CameraSession, index: number): void {
    this.sendRtcp(session, index, buildBye([0x11223344 + index]));
  }

  private sendOn(session: CameraSession, index: number, bytes: Uint8Array, rtcp: boolean): void {
    const route = session.routes[index]!;
    const t = route.transport;
    if (t.lowerTransport === 'TCP') {
      session.connection.interleaved(t.interleaved![rtcp ? 1 : 0], bytes);
      return;
    }
    const socket = rtcp ? route.rtcp! : route.rtp!;
    socket.send(bytes, t.clientPort![rtcp ? 1 : 0], '127.0.0.1');
  }

  close(): void {
    for (const s of this.udpSockets.splice(0)) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}

/** An H.264 access unit as one single-NAL packet per NAL unit, the marker on the last. */
export function h264Packets(seq: number, ts: number, nalus: Uint8Array[]): { seq: number; ts: number; marker: boolean; payload: Uint8Array }[] {
  return nalus.map((payload, i) => ({ seq: (seq + i) % 65536, ts, marker: i === nalus.length - 1, payload }));
}
