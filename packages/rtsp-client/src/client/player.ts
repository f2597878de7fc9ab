import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import type { Credentials } from '../auth/authenticator.js';
import { bodyText, type RtspResponse } from '../base/message.js';
import { RtspError } from '../errors.js';
import { parsePublic } from '../headers/public.js';
import { parseRtpInfo, type RtpInfoEntry } from '../headers/rtp-info.js';
import { parseSession, type SessionHeader } from '../headers/session.js';
import { parseTransport, serializeTransport, type TransportSpec } from '../headers/transport.js';
import { buildReceiverReport, buildSdesCname } from '../rtcp/rtcp.js';
import { parseSdp, type SdpSession } from '../sdp/sdp.js';
import { planTracks, type RtspTrack, type SkippedMedia, type TrackPlan } from '../sdp/tracks.js';
import { InterleavedTransport } from '../transport/interleaved.js';
import type { MediaSink, MediaTransport } from '../transport/media-transport.js';
import { UdpTransport, normalizeAddress } from '../transport/udp.js';
import { createUdpPortPair, type UdpPortPair } from '../transport/udp-ports.js';
import { parseRtspUrl, redactUrl, type RtspUrl } from '../url.js';
import { RtspConnection } from './connection.js';
import { TrackReceiver, UDP_REORDER_DELAY_MS, type RtspAccessUnit } from './track-receiver.js';

// Specification: RFC 2326, section 10 and appendix C, as a player runs it:
//
//   OPTIONS ──▶ ◀── 200 Public: ...            (401 → retry with Authorization)
//   DESCRIBE ─▶ ◀── 200 SDP, Content-Base      (3xx → reconnect to Location)
//   SETUP track 1 ─▶ ◀── 200 Session, Transport
//   SETUP track n (Session) ─▶ ◀── 200
//   PLAY (Session, Range: npt=0.000-) ─▶ ◀── 200 RTP-Info ... RTP / RTCP flow
//   GET_PARAMETER or OPTIONS every timeout/2 (keep-alive), RTCP RR every 5 s
//   TEARDOWN ─▶ ◀── 200

export interface RtspPlayOptions {
  /** rtsp:// or rtsps:// URL; credentials in it are used unless `user` is given. */
  url: string;
  user?: string;
  password?: string;
  /** Default 'tcp' (interleaved). 'auto': UDP, then TCP when UDP is refused or no RTP arrives in `udpFallbackMs`. */
  transport?: 'tcp' | 'udp' | 'auto';
  /** Aborting closes the session; start() rejects (and 'close' reports) RtspError('ABORTED'). */
  signal?: AbortSignal;
  /** Bound on connecting, on each request, and on obtaining UDP ports. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Port pairs for UDP (the relay's pool). Default: `createUdpPortPair` on the local address of the RTSP connection. */
  udpPorts?: () => Promise<UdpPortPair>;
  /** 'auto' only: how long to wait for the first RTP packet over UDP. Default DEFAULT_UDP_FALLBACK_MS. */
  udpFallbackMs?: number;
  /** Extra TLS options for rtsps:// (e.g. `rejectUnauthorized: false`, `ca`). */
  tls?: tls.ConnectionOptions;
  userAgent?: string;
  /** Interval of RTCP receiver reports. Default RECEIVER_REPORT_INTERVAL_MS. */
  receiverReportIntervalMs?: number;
}

export interface RtspPlayerStats {
  /** RTP packets accepted (parsed, for a known track). */
  packets: number;
  /** Sequence numbers never received (given up by the reorder buffer). */
  lost: number;
  /** Access units / audio frames dropped because part of them was lost or malformed. */
  droppedFrames: number;
  reordered: number;
  duplicates: number;
  /** RTP/RTCP that did not parse, unexpected payload types, unknown channels, bad payloads. */
  badPackets: number;
  /** UDP datagrams from hosts other than the server (ignored). */
  foreignPackets: number;
}

export interface RtspPlayerEvents {
  accessUnit: [unit: RtspAccessUnit];
  /** Exactly once, when the player has ended; no error after a local close(). */
  close: [error?: RtspError];
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_UDP_FALLBACK_MS = 3000;
export const DEFAULT_USER_AGENT = 'Sluice/0.1 (@sluice/rtsp-client)';
/** 3xx responses followed per start(): enough for a load balancer hop or two, no loops. */
export const MAX_REDIRECTS = 5;
/** RFC 3550 section 6.2 suggests ~5 s between reports for a session of this size. */
export const RECEIVER_REPORT_INTERVAL_MS = 5000;
/** close() waits this long (at most) for the TEARDOWN reply before closing the socket. */
export const TEARDOWN_WAIT_MS = 2000;
/**
 * Access units produced before the start() continuation attached listeners are
 * held and delivered right after it; the cap bounds memory when nobody listens.
 */
export const MAX_EARLY_ACCESS_UNITS = 512;

type PlayerState = 'new' | 'starting' | 'playing' | 'closed';

const TRANSITIONS: Readonly<Record<PlayerState, readonly PlayerState[]>> = {
  new: ['starting', 'closed'],
  starting: ['playing', 'closed'],
  playing: ['closed'],
  closed: [],
};

/** Internal: 'auto' found UDP unusable; the session is redone over TCP. */
class UdpFallback extends Error {}

/**
 * Plays one RTSP presentation. `start()` runs OPTIONS … PLAY and resolves with
 * the tracks it set up; access units then arrive as 'accessUnit' events. Listeners
 * attached right after `await start()` see every access unit from the first on.
 */
export class RtspPlayer extends EventEmitter<RtspPlayerEvents> {
  private state: PlayerState = 'new';
  private readonly timeoutMs: number;
  private readonly fallbackMs: number;
  private connection: RtspConnection | null = null;
  private media: MediaTransport | null = null;
  private receivers: TrackReceiver[] = [];
  private session: SessionHeader | null = null;
  private aggregateUrl = '';
  private publicMethods = new Set<string>();
  private currentTransport: 'tcp' | 'udp' = 'tcp';
  private startPromise: Promise<RtspTrack[]> | null = null;
  private closePromise: Promise<void> | null = null;
  private endError: RtspError | null = null;
  private closeEmitted = false;
  private closeListeners: (() => void)[] = [];
  /** Aborted when the player ends: stops a pending connect or port allocation at once. */
  private readonly ending = new AbortController();
  private early: RtspAccessUnit[] | null = [];
  private firstUdpPacket: (() => void) | null = null;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private reportTimer: NodeJS.Timeout | null = null;
  private drainTimer: NodeJS.Timeout | null = null;
  private lastRtpAt = 0;
  private readonly ssrc = randomBytes(4).readUInt32BE(0);
  private readonly cname = `sluice-${randomBytes(6).toString('hex')}`;
  private bytesBefore = 0;
  private readonly counters = { badPackets: 0, foreignPackets: 0, droppedEarly: 0 };
  /** From the PLAY reply, per track control URL (for diagnostics). */
  rtpInfo: RtpInfoEntry[] = [];
  /** SDP media sections that were not set up, and why. */
  skipped: SkippedMedia[] = [];
  /** The parsed SDP of the presentation, once described. */
  sdp: SdpSession | null = null;

  constructor(private readonly options: RtspPlayOptions) {
    super();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.fallbackMs = options.udpFallbackMs ?? DEFAULT_UDP_FALLBACK_MS;
  }

  /** The transport in use ('tcp' until UDP is set up). */
  get transport(): 'tcp' | 'udp' {
    return this.currentTransport;
  }

  /** Bytes received: the RTSP connection(s) including interleaved media, plus UDP datagrams. */
  get bytesIn(): number {
    return this.bytesBefore + (this.connection?.bytesIn ?? 0) + (this.media?.bytesIn ?? 0);
  }

  get stats(): RtspPlayerStats {
    const s: RtspPlayerStats = {
      packets: 0,
      lost: 0,
      droppedFrames: this.counters.droppedEarly,
      reordered: 0,
      duplicates: 0,
      badPackets: this.counters.badPackets,
      foreignPackets: this.counters.foreignPackets,
    };
    for (const r of this.receivers) {
      s.packets += r.packets;
      s.lost += r.reorder.stats.lost;
      s.reordered += r.reorder.stats.reordered;
      s.duplicates += r.reorder.stats.duplicates;
      s.droppedFrames += r.depacketizer.counters.droppedFrames;
      s.badPackets += r.badPackets + r.depacketizer.counters.badPackets;
    }
    return s;
  }

  /** The tracks set up so far (all of them once start() resolved). */
  get tracks(): RtspTrack[] {
    return this.receivers.map((r) => r.track);
  }

  start(): Promise<RtspTrack[]> {
    if (this.startPromise !== null) return this.startPromise;
    if (this.state === 'closed') {
      this.startPromise = Promise.reject(new RtspError('CLOSED', 'start() called on a closed RtspPlayer'));
      return this.startPromise;
    }
    this.transition('starting');
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.startPromise = Promise.reject(this.abortError());
      this.finish(this.abortError());
      return this.startPromise;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.startPromise = this.run().then(
      (tracks) => {
        if (this.state !== 'starting') throw this.endError ?? new RtspError('CLOSED', 'closed while starting');
        this.transition('playing');
        this.startTimers();
        // Deliver what arrived before the caller's continuation could listen.
        setImmediate(() => this.releaseEarly());
        return tracks;
      },
      (err: unknown) => {
        const error = toRtspError(err);
        this.finish(error);
        throw this.endError ?? error;
      },
    );
    return this.startPromise;
  }

  /**
   * Ends the session: TEARDOWN (waiting at most TEARDOWN_WAIT_MS when playing),
   * then closes sockets and releases UDP ports. Idempotent; resolves after 'close'.
   */
  close(): Promise<void> {
    if (this.closePromise !== null) return this.closePromise;
    this.closePromise = this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'closed') return this.closed();
    if (this.state === 'playing') {
      this.stopTimers();
      const connection = this.connection;
      if (connection !== null && connection.isOpen && this.session !== null) {
        const teardown = connection.request('TEARDOWN', this.aggregateUrl, { Session: this.session.id }).catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(this.timeoutMs, TEARDOWN_WAIT_MS))));
        await Promise.race([teardown, wait]);
        clearTimeout(timer);
      }
    }
    this.finish(null, new RtspError('CLOSED', 'closed before the session started'));
    return this.closed();
  }

  /** Resolves once 'close' has been emitted. */
  private closed(): Promise<void> {
    if (this.closeEmitted) return Promise.resolve();
    return new Promise((resolve) => this.closeListeners.push(resolve));
  }

  private readonly onAbort = (): void => {
    this.finish(this.abortError());
  };

  private abortError(): RtspError {
    return new RtspError('ABORTED', 'aborted by signal', { cause: this.options.signal?.reason });
  }

  private transition(to: PlayerState): void {
    if (!TRANSITIONS[this.state].includes(to)) {
      throw new Error(`RtspPlayer: illegal transition from '${this.state}' to '${to}'`);
    }
    this.state = to;
  }

  /**
   * The one way into 'closed'. `error` goes to 'close' (null for a local close);
   * a pending start() rejects with `error ?? startError`. Releases everything now.
   */
  private finish(error: RtspError | null, startError?: RtspError): void {
    if (this.state === 'closed') return;
    this.transition('closed');
    this.endError = error ?? startError ?? new RtspError('CLOSED', 'closed');
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.ending.abort();
    this.stopTimers();
    this.firstUdpPacket?.();
    this.early = null;
    this.releaseSession(this.endError);
    // After the start() rejection has been delivered.
    setImmediate(() => {
      this.closeEmitted = true;
      this.emit('close', error ?? undefined);
      for (const l of this.closeListeners.splice(0)) l();
    });
  }

  /** Closes the connection and the media transport (releasing UDP ports). */
  private releaseSession(error: RtspError): void {
    this.media?.close();
    if (this.media !== null) this.bytesBefore += this.media.bytesIn;
    this.media = null;
    if (this.connection !== null) {
      this.bytesBefore += this.connection.bytesIn;
      this.connection.off('close', this.onConnectionClose);
      this.connection.off('request', this.onServerRequest);
      this.connection.destroy(error);
    }
    this.connection = null;
  }

  /** Throws the reason the player ended, if it has. */
  private checkOpen(): void {
    if (this.state === 'closed') throw this.endError ?? new RtspError('CLOSED', 'closed');
  }

  // ── start ────────────────────────────────────────────────────────────────

  private async run(): Promise<RtspTrack[]> {
    const url = parseRtspUrl(this.options.url);
    const mode = this.options.transport ?? 'tcp';
    if (mode !== 'auto') return this.attempt(url, mode, false);
    try {
      return await this.attempt(url, 'udp', true);
    } catch (err) {
      const refused = err instanceof RtspError && err.code === 'UNSUPPORTED_TRANSPORT';
      if (!(err instanceof UdpFallback) && !refused) throw err;
      this.checkOpen();
      this.abandonSession();
      return this.attempt(url, 'tcp', false);
    }
  }

  /** Drops a half-made UDP session for the TCP retry ('auto'). */
  private abandonSession(): void {
    if (this.connection !== null && this.session !== null) {
      this.connection.send('TEARDOWN', this.aggregateUrl, { Session: this.session.id });
    }
    this.releaseSession(new RtspError('CLOSED', 'switching to TCP'));
    this.receivers = [];
    this.session = null;
    this.early = [];
  }

  private credentialsFor(url: RtspUrl, previous: { url: RtspUrl; credentials?: Credentials } | null): Credentials | undefined {
    if (this.options.user !== undefined) return { user: this.options.user, password: this.options.password ?? '' };
    if (url.user !== undefined) return { user: url.user, password: url.password ?? '' };
    // A redirect keeps the credentials only on the same host: they are not sent elsewhere.
    if (previous !== null && previous.url.host === url.host) return previous.credentials;
    return undefined;
  }

  private async attempt(startUrl: RtspUrl, transport: 'tcp' | 'udp', fallback: boolean): Promise<RtspTrack[]> {
    let url = startUrl;
    let credentials = this.credentialsFor(url, null);
    let describe: RtspResponse;
    for (let redirects = 0; ; redirects++) {
      const connection = await this.open(url, credentials);
      const options = await connection.request('OPTIONS', url.href);
      this.checkOpen();
      let location = redirectLocation(options, url);
      if (location === undefined) {
        // Some servers refuse OPTIONS (405/501) and still play: only a 3xx or a 401 matters here.
        if (isSuccess(options.status)) this.publicMethods = parsePublic(options.headers.get('Public') ?? '');
        describe = await connection.request('DESCRIBE', url.href, { Accept: 'application/sdp' });
        this.checkOpen();
        location = redirectLocation(describe, url);
        if (location === undefined) break;
      }
      if (redirects >= MAX_REDIRECTS) throw new RtspError('TOO_MANY_REDIRECTS', `more than ${MAX_REDIRECTS} redirects (last to ${redactUrl(location)})`);
      const next = parseRtspUrl(location);
      credentials = this.credentialsFor(next, { url, credentials });
      this.releaseSession(new RtspError('CLOSED', 'redirected'));
      url = next;
    }
    expectSuccess(describe, 'DESCRIBE');
    const contentType = describe.headers.get('Content-Type');
    if (contentType !== undefined && !/application\/sdp/i.test(contentType)) {
      throw new RtspError('BAD_RESPONSE', `DESCRIBE returned ${contentType}, not application/sdp`);
    }
    this.sdp = parseSdp(bodyText(describe.body));
    const base = baseUrl(describe, url.href);
    const planned = planTracks(this.sdp, base);
    this.skipped = planned.skipped;
    this.aggregateUrl = planned.aggregateControl;
    if (planned.plans.length === 0) {
      const why = planned.skipped.map((s) => `${s.type} ${s.encoding}: ${s.reason}`).join('; ');
      throw new RtspError('NO_TRACKS', `no playable track in the SDP${why ? ` (${why})` : ''}`);
    }

    this.currentTransport = transport;
    const sink = this.sink();
    const connection = this.connection!;
    const media = transport === 'tcp' ? new InterleavedTransport(connection, sink) : new UdpTransport(sink);
    this.media = media;
    if (media instanceof UdpTransport && connection.remoteAddress !== undefined) media.allowHost(connection.remoteAddress);
    this.receivers = [];
    for (const plan of planned.plans) {
      const index = this.receivers.length;
      // Ready before SETUP: media may follow the reply in the same read.
      this.receivers.push(new TrackReceiver(index, plan, transport));
      await this.setup(index, plan, transport, media);
    }

    const firstPacket =
      transport === 'udp' && fallback ? new Promise<void>((resolve) => (this.firstUdpPacket = resolve)) : null;
    const play = await connection.request('PLAY', this.aggregateUrl, { Session: this.session!.id, Range: 'npt=0.000-' });
    this.checkOpen();
    if (play.status === 454) throw new RtspError('SESSION_TIMEOUT', `PLAY: 454 ${play.reason}`, { status: 454, reason: play.reason });
    expectSuccess(play, 'PLAY');
    this.rtpInfo = parseRtpInfo(play.headers.get('RTP-Info') ?? '');

    if (firstPacket !== null) {
      let timer: NodeJS.Timeout | undefined;
      const arrived = await Promise.race([
        firstPacket.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.fallbackMs))),
      ]);
      clearTimeout(timer);
      this.firstUdpPacket = null;
      this.checkOpen();
      if (!arrived) throw new UdpFallback(`no RTP over UDP within ${this.fallbackMs} ms`);
    }
    return this.tracks;
  }

  private async open(url: RtspUrl, credentials: Credentials | undefined): Promise<RtspConnection> {
    const connection = await RtspConnection.connect(
      {
        url,
        timeoutMs: this.timeoutMs,
        userAgent: this.options.userAgent ?? DEFAULT_USER_AGENT,
        ...(credentials === undefined ? {} : { credentials }),
        ...(this.options.tls === undefined ? {} : { tls: this.options.tls }),
      },
      this.ending.signal,
    );
    if (this.state === 'closed') {
      connection.destroy();
      this.checkOpen();
    }
    this.connection = connection;
    connection.on('close', this.onConnectionClose);
    connection.on('request', this.onServerRequest);
    return connection;
  }

  private readonly onConnectionClose = (error: RtspError): void => {
    this.finish(error);
  };

  private readonly onServerRequest = (method: string): void => {
    if (method === 'TEARDOWN') this.finish(new RtspError('TEARDOWN_BY_SERVER', 'the server sent TEARDOWN'));
  };

  private async setup(index: number, plan: TrackPlan, transport: 'tcp' | 'udp', media: MediaTransport): Promise<void> {
    const connection = this.connection!;
    let requested: TransportSpec;
    if (media instanceof InterleavedTransport) {
      requested = { profile: 'RTP/AVP', lowerTransport: 'TCP', delivery: 'unicast', interleaved: media.proposedChannels(index) };
    } else {
      const pair = await this.allocatePair(connection);
      (media as UdpTransport).add(index, pair);
      this.checkOpen();
      requested = { profile: 'RTP/AVP', lowerTransport: 'UDP', delivery: 'unicast', clientPort: [pair.rtpPort, pair.rtcpPort] };
    }
    const response = await connection.request('SETUP', plan.track.control, {
      Transport: serializeTransport(requested),
      Session: this.session?.id,
    });
    this.checkOpen();
    const what = `SETUP ${plan.track.control}`;
    if (response.status === 461) {
      throw new RtspError('UNSUPPORTED_TRANSPORT', `${what}: 461 ${response.reason} (asked for ${transport.toUpperCase()})`, {
        status: 461,
        reason: response.reason,
      });
    }
    expectSuccess(response, what);
    if (this.session === null) {
      const session = parseSession(response.headers.get('Session') ?? '');
      if (session === undefined) throw new RtspError('BAD_RESPONSE', `${what}: no usable Session header`);
      this.session = session;
    }
    const spec = parseTransport(response.headers.get('Transport') ?? '')[0];
    if (media instanceof InterleavedTransport) {
      // A reply without Transport keeps what we asked for; one with UDP is not what we can use.
      if (spec !== undefined && spec.lowerTransport !== 'TCP') {
        throw new RtspError('UNSUPPORTED_TRANSPORT', `${what}: the server answered with ${spec.lowerTransport} transport`);
      }
      media.bind(index, spec?.interleaved ?? requested.interleaved!);
      return;
    }
    const udp = media as UdpTransport;
    if (spec !== undefined && spec.lowerTransport !== 'UDP') {
      throw new RtspError('UNSUPPORTED_TRANSPORT', `${what}: the server answered with ${spec.lowerTransport} transport`);
    }
    if (spec?.delivery === 'multicast') throw new RtspError('UNSUPPORTED_TRANSPORT', `${what}: multicast is not supported`);
    const serverAddress = spec?.source ?? connection.remoteAddress;
    if (spec?.source !== undefined && net.isIP(spec.source) !== 0) udp.allowHost(spec.source);
    if (serverAddress !== undefined) udp.setServer(index, normalizeAddress(serverAddress), spec?.serverPort?.[1]);
  }

  /** A port pair from the injected allocator (or the built-in one), bounded by timeoutMs. */
  private async allocatePair(connection: RtspConnection): Promise<UdpPortPair> {
    this.checkOpen();
    const allocate =
      this.options.udpPorts ??
      (() => {
        const local = connection.localAddress;
        const type = local !== undefined && net.isIPv6(local) && !local.startsWith('::ffff:') ? 'udp6' : 'udp4';
        return createUdpPortPair({ ...(local === undefined ? {} : { address: normalizeAddress(local) }), type });
      });
    const pending = allocate();
    let timer: NodeJS.Timeout | undefined;
    let onEnd: (() => void) | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RtspError('TIMEOUT', `no UDP port pair within ${this.timeoutMs} ms`)), this.timeoutMs);
      onEnd = () => reject(this.endError ?? new RtspError('CLOSED', 'closed'));
      this.ending.signal.addEventListener('abort', onEnd, { once: true });
    });
    try {
      return await Promise.race([pending, timedOut]);
    } catch (err) {
      // A pair that shows up after we gave up is released at once.
      pending.then((late) => late.release(), () => undefined);
      if (err instanceof RtspError) throw err;
      throw new RtspError('SOCKET', `UDP port allocation failed: ${(err as Error).message}`, { cause: err });
    } finally {
      clearTimeout(timer);
      this.ending.signal.removeEventListener('abort', onEnd!);
    }
  }

  // ── media ────────────────────────────────────────────────────────────────

  private sink(): MediaSink {
    return {
      onRtp: (trackIndex, bytes) => this.onRtp(trackIndex, bytes),
      onRtcp: (trackIndex, bytes) => this.onRtcp(trackIndex, bytes),
      onForeignPacket: () => this.counters.foreignPackets++,
      onUnknownChannel: () => this.counters.badPackets++,
    };
  }

  private onRtp(trackIndex: number, bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    const receiver = this.receivers[trackIndex];
    if (receiver === undefined) {
      // Media for a track whose SETUP reply we are still reading: nothing to do with it yet.
      this.counters.badPackets++;
      return;
    }
    if (this.firstUdpPacket !== null && this.currentTransport === 'udp') {
      this.firstUdpPacket();
      this.firstUdpPacket = null;
    }
    const now = performance.now();
    this.deliver(receiver.onRtp(bytes, now));
    if (this.currentTransport === 'udp') {
      this.lastRtpAt = now;
      if (this.drainTimer === null) this.armDrain(UDP_REORDER_DELAY_MS + 1);
    }
  }

  private onRtcp(trackIndex: number, bytes: Uint8Array): void {
    if (this.state === 'closed') return;
    const receiver = this.receivers[trackIndex];
    if (receiver === undefined) return;
    let packets;
    try {
      packets = receiver.onRtcp(bytes, performance.now());
    } catch {
      this.counters.badPackets++;
      return;
    }
    if (packets.some((p) => p.type === 'bye')) {
      this.finish(new RtspError('TEARDOWN_BY_SERVER', `RTCP BYE on track ${trackIndex}`));
    }
  }

  private deliver(units: RtspAccessUnit[]): void {
    for (const unit of units) {
      if (this.state === 'closed') return;
      if (this.early !== null) {
        if (this.early.length >= MAX_EARLY_ACCESS_UNITS) {
          this.early.shift();
          this.counters.droppedEarly++;
        }
        this.early.push(unit);
      } else {
        this.emit('accessUnit', unit);
      }
    }
  }

  private releaseEarly(): void {
    const held = this.early;
    this.early = null;
    if (held !== null) this.deliver(held);
  }

  /**
   * Packets held behind a gap are given up by the reorder buffer on the next push
   * once they waited UDP_REORDER_DELAY_MS. This one timer covers a stream that goes
   * quiet: it drains once nothing arrived for that long. (One timer per player,
   * re-armed lazily, instead of one per packet.)
   */
  private armDrain(delayMs: number): void {
    this.drainTimer = setTimeout(() => this.drain(), delayMs);
  }

  private drain(): void {
    this.drainTimer = null;
    if (this.state === 'closed') return;
    const now = performance.now();
    const idle = now - this.lastRtpAt;
    if (idle <= UDP_REORDER_DELAY_MS) {
      this.armDrain(UDP_REORDER_DELAY_MS - idle + 1);
      return;
    }
    for (const r of this.receivers) this.deliver(r.drain(now));
  }

  // ── timers: keep-alive and receiver reports ──────────────────────────────

  private startTimers(): void {
    const session = this.session;
    if (session !== null) {
      // RFC 2326 section 12.37: the server drops the session after `timeout` seconds without a request.
      this.keepAliveTimer = setInterval(() => this.keepAlive(), (session.timeout * 1000) / 2);
    }
    this.reportTimer = setInterval(() => this.sendReports(), this.options.receiverReportIntervalMs ?? RECEIVER_REPORT_INTERVAL_MS);
  }

  private stopTimers(): void {
    if (this.keepAliveTimer !== null) clearInterval(this.keepAliveTimer);
    if (this.reportTimer !== null) clearInterval(this.reportTimer);
    if (this.drainTimer !== null) clearTimeout(this.drainTimer);
    this.keepAliveTimer = this.reportTimer = this.drainTimer = null;
  }

  /**
   * GET_PARAMETER when the server lists it, else OPTIONS. Not awaited: some
   * cameras never answer keep-alives; an answer of 454 means the session is gone.
   */
  private keepAlive(): void {
    const connection = this.connection;
    if (this.state !== 'playing' || connection === null || this.session === null) return;
    const method = this.publicMethods.has('GET_PARAMETER') ? 'GET_PARAMETER' : 'OPTIONS';
    connection.send(method, this.aggregateUrl, { Session: this.session.id }, (response) => {
      if (response.status === 454) {
        this.finish(new RtspError('SESSION_TIMEOUT', `keep-alive ${method}: 454 ${response.reason}`, { status: 454, reason: response.reason }));
      } else if (method === 'GET_PARAMETER' && (response.status === 405 || response.status === 501)) {
        this.publicMethods.delete('GET_PARAMETER');
      }
    });
  }

  /** RFC 3550 section 6.1: a compound packet of RR + SDES CNAME per track. */
  private sendReports(): void {
    if (this.state !== 'playing' || this.media === null) return;
    const now = performance.now();
    for (const r of this.receivers) {
      const block = r.reception.reportBlock(now);
      const rr = buildReceiverReport(this.ssrc, block === undefined ? [] : [block]);
      const sdes = buildSdesCname(this.ssrc, this.cname);
      const compound = new Uint8Array(rr.byteLength + sdes.byteLength);
      compound.set(rr, 0);
      compound.set(sdes, rr.byteLength);
      this.media.sendRtcp(r.index, compound);
    }
  }
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** Throws the typed error for a non-2xx status. */
function expectSuccess(response: RtspResponse, what: string): void {
  if (isSuccess(response.status)) return;
  const details = { status: response.status, reason: response.reason };
  const message = `${what}: ${response.status} ${response.reason}`;
  if (response.status === 404) throw new RtspError('NOT_FOUND', message, details);
  if (response.status === 454) throw new RtspError('NOT_FOUND', message, details);
  if (response.status === 461) throw new RtspError('UNSUPPORTED_TRANSPORT', message, details);
  throw new RtspError('REQUEST_FAILED', message, details);
}

/** The absolute Location of a 3xx response, undefined for other statuses. */
function redirectLocation(response: RtspResponse, url: RtspUrl): string | undefined {
  if (response.status < 300 || response.status >= 400 || response.status === 304) return undefined;
  const location = response.headers.get('Location');
  if (location === undefined) throw new RtspError('BAD_RESPONSE', `${response.status} ${response.reason} without Location`);
  try {
    return new URL(location, url.href).href;
  } catch {
    throw new RtspError('BAD_RESPONSE', `unusable Location: ${JSON.stringify(location.slice(0, 200))}`);
  }
}

/** RFC 2326 appendix C.1.1: Content-Base, else Content-Location, else the request URL. */
function baseUrl(describe: RtspResponse, requestUrl: string): string {
  for (const name of ['Content-Base', 'Content-Location']) {
    const value = describe.headers.get(name)?.trim();
    if (value === undefined || value === '') continue;
    try {
      return new URL(value, requestUrl).href;
    } catch {
      // unusable: try the next
    }
  }
  return requestUrl;
}

function toRtspError(err: unknown): RtspError {
  if (err instanceof RtspError) return err;
  if (err instanceof UdpFallback) return new RtspError('TIMEOUT', err.message);
  return new RtspError('BAD_RESPONSE', `unexpected error: ${String(err)}`, { cause: err });
}
