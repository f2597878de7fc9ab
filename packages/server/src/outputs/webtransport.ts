/**
 * WebTransport fMP4: `https://host:port/<app>/<stream>.live.mp4[?vhost=]` opened as a
 * WebTransport session. The server opens ONE unidirectional stream and writes the
 * init segment, then every fragment from the latest keyframe, in order — the same
 * bytes as the HTTP fMP4 output, so a player feeds them to MSE unchanged.
 *
 * Transports (all from @fails-components/webtransport):
 * - HTTP/3 over QUIC (UDP), when the optional native package
 *   @fails-components/webtransport-transport-http3-quiche loads (`mode: 'http3'`);
 * - always, on TCP at the same port number: the library's HTTP/2 server, which speaks
 *   WebTransport over HTTP/2 (extended CONNECT + capsules; the library's Node client
 *   with `forceReliable`) and its WebSocket mapping of those capsules (HTTP/1.1 upgrade
 *   or HTTP/2 extended CONNECT; the library's browser ponyfill/polyfill). Alone, this
 *   is `mode: 'http2'`.
 *
 * Why a server-initiated unidirectional stream: the viewer sends nothing, and every
 * client handles it alike (browsers' native WebTransport, the library's Node client
 * and its ponyfill), while a client-opened bidirectional stream would make each
 * player open and half-close a stream it never writes to.
 *
 * Specification: draft-ietf-webtrans-http3, draft-ietf-webtrans-http2 (capsules);
 * the WebSocket mapping is draft-richter-webtransport-websocket.
 */
import { execFile } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Server as NetServer, isIP, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { HttpServer, WebTransportSession } from '@fails-components/webtransport';
import {
  DEFAULT_VHOST,
  validateStreamKeyPart,
  type FanoutSubscriber,
  type MediaSource,
} from '@sluice/core';
import type { Logger } from '../log.js';
import type { Fmp4Batch, Fmp4Streams } from './fmp4-stream.js';
import { Fmp4ViewerAttachment } from './fmp4-viewer.js';
import { outputStats, type OutputStats } from './output-stats.js';

export interface WebTransportOutputOptions {
  host: string;
  /** 0 = any free port (the HTTP/3 UDP port and the HTTP/2 TCP port are the same number). */
  port: number;
  /** PEM certificate (chain) and key. Both absent: a self-signed one is made at start and renewed. */
  cert?: string;
  key?: string;
}

export interface WebTransportOutput {
  readonly port: number;
  /** 'http3': QUIC on UDP plus HTTP/2 and the WebSocket mapping on TCP; 'http2': TCP only. */
  readonly mode: 'http3' | 'http2';
  /**
   * SHA-256 of the current certificate's DER, for a browser's `serverCertificateHashes`
   * (or the library client's). Changes when a self-signed certificate is renewed.
   */
  readonly certificateHash?: Uint8Array;
  close(): Promise<void>;
}

export interface WebTransportOutputDeps {
  fmp4: Fmp4Streams;
  /** Rejects when the stream is unknown or not available in time; `status` 503 on the error means "unavailable". */
  resolveStream: (app: string, stream: string, vhost: string, signal: AbortSignal) => Promise<MediaSource>;
  log: Logger;
}

/**
 * Session close codes sent to viewers (WebTransport application error codes). The
 * protocol leaves them to the application; HTTP's numbers make them self-explaining.
 */
export const WebTransportCloseCode = {
  /** The stream ended: its source closed. */
  streamEnded: 0,
  /** No such stream, or the path is not `/<app>/<stream>.live.mp4`. */
  notFound: 404,
  /** Writing to the viewer failed. */
  viewerFailed: 500,
  /** The stream exists but did not become ready in time, or the relay is stopping. */
  unavailable: 503,
} as const;

export type WebTransportOutputErrorCode = 'CERTIFICATE' | 'START_FAILED';

export class WebTransportOutputError extends Error {
  constructor(
    readonly code: WebTransportOutputErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WebTransportOutputError';
  }
}

const LIVE_MP4_SUFFIX = '.live.mp4';
/**
 * Every accepted session is routed to this one internal path by the request callback
 * (the library only matches registered paths exactly); the stream it asked for
 * travels along as `userData`.
 */
const SESSION_PATH = '/sluice-live-mp4';
/** A transport that has not listened by then never will (the library logs and waits forever). */
const START_TIMEOUT_MS = 10_000;
/** How long an ended stream's queued fragments may take to leave before the session closes anyway. */
const FLUSH_TIMEOUT_MS = 2_000;
/** At close(): time for clients to drop their connections after the close capsule, before they are cut. */
const SHUTDOWN_GRACE_MS = 1_000;
/** Browsers accept at most 14 days for `serverCertificateHashes`; a day less absorbs clock skew. */
const SELF_SIGNED_DAYS = 13;
/** Renewed well before expiry, so clients that fetched the hash recently still connect. */
const SELF_SIGNED_RENEW_MS = 12 * 24 * 3600 * 1000;
const SELF_SIGNED_RETRY_MS = 3600 * 1000;
const OPENSSL_TIMEOUT_MS = 15_000;
const HTTP3_PACKAGE = '@fails-components/webtransport-transport-http3-quiche';

interface LiveTarget {
  readonly vhost: string;
  readonly app: string;
  readonly stream: string;
}

/** `/<app>/<stream>.live.mp4[?vhost=]` → the stream it names, or undefined (same rules as the HTTP output). */
export function parseLiveMp4Path(path: string): LiveTarget | undefined {
  let url: URL;
  let name: string;
  try {
    url = new URL(path, 'https://localhost');
    if (!url.pathname.endsWith(LIVE_MP4_SUFFIX)) return undefined;
    name = decodeURIComponent(url.pathname.slice(1, -LIVE_MP4_SUFFIX.length));
  } catch {
    return undefined; // malformed percent-encoding or URL
  }
  const slash = name.indexOf('/');
  if (slash <= 0) return undefined;
  const target = { vhost: url.searchParams.get('vhost') || DEFAULT_VHOST, app: name.slice(0, slash), stream: name.slice(slash + 1) };
  for (const part of ['vhost', 'app', 'stream'] as const) if (validateStreamKeyPart(part, target[part])) return undefined;
  return target;
}

/**
 * Writes fragments to the session's send stream. `pendingBytes` counts what was
 * handed to the writer and not yet taken by the transport (whose flow control
 * follows the client's reading), so the fan-out drops a slow viewer to the next
 * keyframe instead of queueing without bound.
 */
class WebTransportViewer implements FanoutSubscriber<Fmp4Batch> {
  private lastInit: Uint8Array | undefined;
  private queued = 0;
  private failed = false;

  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly stats: OutputStats,
    private readonly onError: (error: unknown) => void,
  ) {}

  deliver(batch: Fmp4Batch): void {
    if (this.failed) return;
    if (batch.init !== this.lastInit) {
      this.lastInit = batch.init;
      this.write(batch.init);
    }
    // One write per batch: the stream joined the batch's fragments once for all viewers.
    this.write(batch.data);
  }

  pendingBytes(): number {
    return this.queued;
  }

  private write(buffer: Uint8Array): void {
    const n = buffer.byteLength;
    this.queued += n;
    this.stats.bytesOut += n;
    this.writer.write(buffer).then(
      () => {
        this.queued -= n;
      },
      (error: unknown) => {
        if (this.failed) return;
        this.failed = true;
        this.onError(error);
      },
    );
  }
}

/** One viewer's session, from the handshake to its close. */
class LiveSession {
  private readonly abort = new AbortController();
  private attachment: Fmp4ViewerAttachment | undefined;
  private writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  private ended = false;

  constructor(
    private readonly session: WebTransportSession,
    private readonly deps: WebTransportOutputDeps,
    private readonly log: Logger,
    private readonly onDone: (s: LiveSession) => void,
  ) {}

  async run(target: LiveTarget | undefined): Promise<void> {
    // The client going away ends everything, including a wait for an on-demand stream.
    this.session.closed.then(
      () => this.end(WebTransportCloseCode.streamEnded, 'closed by viewer', false),
      () => this.end(WebTransportCloseCode.streamEnded, 'closed by viewer', false),
    );
    if (!target) return this.end(WebTransportCloseCode.notFound, 'not a /<app>/<stream>.live.mp4 path', false);
    await this.session.ready;
    discardIncoming(this.session);
    let source: MediaSource;
    try {
      source = await this.deps.resolveStream(target.app, target.stream, target.vhost, this.abort.signal);
    } catch (error) {
      const unavailable = (error as { status?: unknown }).status === 503;
      const code = unavailable ? WebTransportCloseCode.unavailable : WebTransportCloseCode.notFound;
      return this.end(code, error instanceof Error ? error.message : `stream ${target.app}/${target.stream} not found`, false);
    }
    if (this.ended) return;
    const send = await this.session.createUnidirectionalStream();
    if (this.ended) return;
    // Checked after the last wait: from here on the source's 'close' event ends the session.
    if (source.closed) return this.end(WebTransportCloseCode.streamEnded, 'stream ended', false);
    const writer = send.getWriter();
    this.writer = writer;
    const viewer = new WebTransportViewer(writer, outputStats(source), (error) => {
      this.log.debug('webtransport viewer write failed', { error: error instanceof Error ? error.message : String(error) });
      this.end(WebTransportCloseCode.viewerFailed, 'write failed', false);
    });
    this.attachment = new Fmp4ViewerAttachment(
      source,
      this.deps.fmp4,
      viewer,
      { protocol: 'webtransport-fmp4', remoteAddress: peerHost(this.session) },
      () => this.end(WebTransportCloseCode.streamEnded, 'stream ended', true),
    );
    // A write that failed during the replay ended the session before the attachment was stored.
    if (this.ended) this.attachment.detach();
    this.log.debug('webtransport viewer started', { stream: source.keyString });
  }

  /** Stops serving; `flush` lets fragments already queued leave before the session closes. */
  end(code: number, reason: string, flush: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    this.attachment?.detach();
    this.onDone(this);
    const close = (): void => {
      try {
        this.session.close({ closeCode: code, reason });
      } catch (error) {
        this.log.debug('webtransport session close failed', { error: String(error) });
      }
    };
    const writer = this.writer;
    if (!flush || !writer) return close();
    let timer: NodeJS.Timeout | undefined;
    const flushed = writer.close().catch(() => undefined);
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FLUSH_TIMEOUT_MS);
    });
    void Promise.race([flushed, timedOut]).then(() => {
      clearTimeout(timer);
      close();
    });
  }

  /** Closes at once, for close(). Returns when the session has reported itself closed. */
  shutdown(): Promise<unknown> {
    this.end(WebTransportCloseCode.unavailable, 'server shutting down', false);
    return this.session.closed.catch(() => undefined);
  }
}

/**
 * Viewers send nothing. What a client sends anyway is dropped as it arrives: the
 * library queues unread datagrams without bound, and unread streams hold buffers.
 */
function discardIncoming(session: WebTransportSession): void {
  const ignore = (): undefined => undefined;
  void (async () => {
    const reader = session.datagrams.readable.getReader();
    while (!(await reader.read()).done);
  })().catch(ignore);
  void (async () => {
    for await (const stream of session.incomingUnidirectionalStreams) void stream.cancel().catch(ignore);
  })().catch(ignore);
  void (async () => {
    for await (const stream of session.incomingBidirectionalStreams) {
      void stream.readable.cancel().catch(ignore);
      void stream.writable.abort().catch(ignore);
    }
  })().catch(ignore);
}

function peerHost(session: WebTransportSession): string | undefined {
  const peer = (session as { peerAddress?: unknown }).peerAddress;
  if (typeof peer !== 'string') return undefined;
  // The library reports "address:port".
  const colon = peer.lastIndexOf(':');
  return colon > 0 ? peer.slice(0, colon) : peer;
}

/**
 * A self-signed ECDSA P-256 certificate valid for SELF_SIGNED_DAYS: what browsers accept
 * through `serverCertificateHashes`. node:crypto cannot build X.509, the library ships no
 * generator, so the openssl command line makes it.
 */
export async function generateSelfSignedCertificate(host: string): Promise<{ cert: string; key: string }> {
  const names = new Set(['DNS:localhost', 'IP:127.0.0.1', 'IP:::1']);
  if (host && host !== '0.0.0.0' && host !== '::') names.add(isIP(host) ? `IP:${host}` : `DNS:${host}`);
  const dir = await mkdtemp(join(tmpdir(), 'sluice-wt-cert-'));
  try {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    await new Promise<void>((resolve, reject) => {
      execFile(
        'openssl',
        [
          'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
          '-days', String(SELF_SIGNED_DAYS), '-subj', '/CN=sluice', '-addext', `subjectAltName=${[...names].join(',')}`,
          '-keyout', keyPath, '-out', certPath,
        ],
        { timeout: OPENSSL_TIMEOUT_MS },
        (error, _stdout, stderr) => (error ? reject(new Error(`${error.message} ${stderr}`.trim())) : resolve()),
      );
    });
    return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8') };
  } catch (error) {
    throw new WebTransportOutputError(
      'CERTIFICATE',
      `no WebTransport cert/key configured, and openssl could not make a self-signed one: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function certificateHashOf(cert: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(new X509Certificate(cert).raw).digest());
}

/** True when the optional native HTTP/3 transport loads (its binary exists for this platform). */
async function http3Available(log: Logger): Promise<boolean> {
  try {
    // A variable specifier: the package is optional, absent at build time on most machines.
    const name: string = HTTP3_PACKAGE;
    await import(name);
    return true;
  } catch (error) {
    log.info('webtransport: HTTP/3 transport not available, serving HTTP/2 and its WebSocket mapping only', {
      reason: error instanceof Error ? error.message.split('\n')[0] : String(error),
    });
    return false;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WebTransportOutputError('START_FAILED', `${what} after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The node:http2 server inside the library's HTTP/2 transport. Its stopServer() stops
 * listening but leaves open connections alone (a TODO in the library), so close()
 * tracks and ends them itself; this is the one place that reaches inside the library.
 */
function http2ServerOf(server: HttpServer): NetServer | undefined {
  const inner = (server as { transportInt?: { serverInt?: unknown } }).transportInt?.serverInt;
  return inner instanceof NetServer ? inner : undefined;
}

interface Transport {
  readonly server: HttpServer;
  readonly sessions: ReadableStreamDefaultReader<WebTransportSession>;
  /** The loop taking sessions off `sessions`; ends when the server stops. */
  readonly accepting: Promise<void>;
  listening: boolean;
}

interface RequestResult {
  status: number;
  path: string;
  userData?: { target: LiveTarget };
}

export async function startWebTransportOutput(
  options: WebTransportOutputOptions,
  deps: WebTransportOutputDeps,
): Promise<WebTransportOutput> {
  const log = deps.log.child({ output: 'webtransport' });
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new WebTransportOutputError('CERTIFICATE', 'WebTransport needs both cert and key, or neither (self-signed)');
  }
  const selfSigned = options.cert === undefined;
  let pem = selfSigned ? await generateSelfSignedCertificate(options.host) : { cert: options.cert!, key: options.key! };
  try {
    // The library builds its TLS context inside an async step whose errors it only logs.
    createSecureContext({ cert: pem.cert, key: pem.key });
  } catch (error) {
    throw new WebTransportOutputError('CERTIFICATE', `WebTransport cert/key unusable: ${(error as Error).message}`, { cause: error });
  }
  let certificateHash = certificateHashOf(pem.cert);

  const live = new Set<LiveSession>();
  const sockets = new Set<Socket>();
  const transports: Transport[] = [];
  let closing = false;

  // Runs inside the library's handshake; must not throw or reject (the library would
  // leave the request hanging).
  const onRequest = async ({ header }: { header: Record<string, unknown> }): Promise<RequestResult> => {
    if (closing) return { status: 503, path: SESSION_PATH };
    const path = header[':path'];
    const target = typeof path === 'string' ? parseLiveMp4Path(path) : undefined;
    return target ? { status: 200, path: SESSION_PATH, userData: { target } } : { status: 404, path: SESSION_PATH };
  };

  const accept = async (sessions: ReadableStreamDefaultReader<WebTransportSession>): Promise<void> => {
    for (;;) {
      const { value: session, done } = await sessions.read();
      if (done) return;
      if (closing) {
        session.close({ closeCode: WebTransportCloseCode.unavailable, reason: 'server shutting down' });
        continue;
      }
      const target = (session.userData as { target?: LiveTarget } | null | undefined)?.target;
      const s = new LiveSession(session, deps, log.child({ peer: peerHost(session) }), (finished) => live.delete(finished));
      live.add(s);
      s.run(target).catch((error: unknown) => {
        log.debug('webtransport session failed', { error: error instanceof Error ? error.message : String(error) });
        s.end(WebTransportCloseCode.viewerFailed, 'session failed', false);
      });
    }
  };

  // Loaded here, not at module load: the library probes for the HTTP/3 package when it
  // loads and prints the failure to the console, which only matters when this output runs.
  const lib = await import('@fails-components/webtransport');

  const start = async (kind: 'http2' | 'http3', port: number): Promise<Transport> => {
    const init = {
      host: options.host,
      port,
      // Keys QUIC's stateless tokens; required by the HTTP/2 transport too, unused there.
      secret: randomBytes(32).toString('hex'),
      cert: pem.cert,
      privKey: pem.key,
      defaultDatagramsReadableMode: 'bytes' as const,
    };
    const server = kind === 'http3' ? new lib.Http3Server(init) : new lib.Http2Server(init);
    server.setRequestCallback(onRequest);
    const sessions = server.sessionStream(SESSION_PATH).getReader();
    const transport: Transport = { server, sessions, accepting: accept(sessions), listening: false };
    transports.push(transport);
    server.startServer();
    await withTimeout(server.ready, START_TIMEOUT_MS, `WebTransport ${kind} server on ${options.host}:${port} not listening`);
    transport.listening = true;
    const track = (socket: Socket): void => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    };
    // Both the TCP socket (a handshake in progress) and the TLS socket on top of it: the
    // TLS socket owns the connection once it exists, destroying the TCP one would not end it.
    http2ServerOf(server)?.on('connection', track).on('secureConnection', track);
    return transport;
  };

  let mode: 'http3' | 'http2' = 'http2';
  let port = options.port;
  try {
    if (await http3Available(log)) {
      try {
        const h3 = await start('http3', options.port);
        mode = 'http3';
        port = h3.server.address()?.port ?? options.port;
      } catch (error) {
        log.warn('webtransport: HTTP/3 transport failed to start, serving HTTP/2 only', { error: (error as Error).message });
        stop(transports.pop());
      }
    }
    // The TCP side listens on the UDP side's port number, so one URL reaches both.
    const h2 = await start('http2', port);
    port = h2.server.address()?.port ?? port;
  } catch (error) {
    closing = true;
    for (const transport of transports) stop(transport);
    for (const socket of sockets) socket.destroy();
    throw error instanceof WebTransportOutputError
      ? error
      : new WebTransportOutputError('START_FAILED', `WebTransport output failed to start: ${(error as Error).message}`, { cause: error });
  }

  let renewTimer: NodeJS.Timeout | undefined;
  const scheduleRenewal = (ms: number): void => {
    renewTimer = setTimeout(() => {
      generateSelfSignedCertificate(options.host).then(
        (next) => {
          pem = next;
          certificateHash = certificateHashOf(next.cert);
          for (const { server } of transports) server.updateCert(next.cert, next.key, false);
          log.info('webtransport: self-signed certificate renewed');
          scheduleRenewal(SELF_SIGNED_RENEW_MS);
        },
        (error: unknown) => {
          log.warn('webtransport: self-signed certificate renewal failed, retrying', { error: (error as Error).message });
          scheduleRenewal(SELF_SIGNED_RETRY_MS);
        },
      );
    }, ms);
    renewTimer.unref();
  };
  if (selfSigned) scheduleRenewal(SELF_SIGNED_RENEW_MS);

  log.info('webtransport output listening', { host: options.host, port, mode, selfSigned });

  let closed: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    closing = true;
    clearTimeout(renewTimer);
    // Close capsules first, so clients learn why; then stop listening.
    const sessionsClosed = Promise.all([...live].map((s) => s.shutdown()));
    for (const transport of transports) stop(transport);
    // Clients drop their connections once their session closed; cutting a connection
    // before that can leave the client's socket half-open (Node's HTTP/2 client stops
    // reading it), so they get a moment. Whatever is still open then is cut.
    const socketsClosed = (): Promise<unknown> =>
      Promise.all([...sockets].map((s) => new Promise((r) => (s.destroyed ? r(undefined) : s.once('close', r)))));
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      sessionsClosed.then(socketsClosed),
      new Promise((r) => {
        grace = setTimeout(r, SHUTDOWN_GRACE_MS);
      }),
    ]);
    clearTimeout(grace);
    for (const socket of sockets) socket.destroy();
    await socketsClosed();
    const listening = transports.filter((t) => t.listening);
    await Promise.all(listening.map((t) => withTimeout(t.server.closed, START_TIMEOUT_MS, 'WebTransport server not closed').catch(() => undefined)));
    await Promise.all(transports.map((t) => t.accepting.catch(() => undefined)));
    log.info('webtransport output closed');
  };

  return {
    port,
    mode,
    get certificateHash() {
      return certificateHash;
    },
    close() {
      closed ??= close();
      return closed;
    },
  };
}

/** Stops listening and ends the session loop, also for a transport that never started. */
function stop(transport: Transport | undefined): void {
  if (!transport) return;
  try {
    transport.server.stopServer();
  } catch {
    // Never started (no transport inside the library's server): nothing listens.
  }
  transport.sessions.cancel().catch(() => undefined);
}
