import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Authenticator, pickChallenge, type Credentials } from '../auth/authenticator.js';
import { RtspHeaders } from '../base/headers.js';
import { serializeRequest, serializeResponse, type RtspResponse } from '../base/message.js';
import { RtspStreamReader, type RtspStreamItem } from '../base/stream-reader.js';
import { RtspError } from '../errors.js';
import { parseWwwAuthenticate } from '../headers/www-authenticate.js';
import type { RtspUrl } from '../url.js';

// Specification: RFC 2326, section 10 (methods over one connection, matched by
// CSeq, 12.17) and 10.12 (interleaved data on the same connection); RFC 7235
// section 3.1 (401 and the retry with Authorization).

export interface RtspConnectionOptions {
  readonly url: RtspUrl;
  /** Bound on the TCP/TLS connect and on each request. */
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly credentials?: Credentials;
  readonly tls?: tls.ConnectionOptions;
}

export interface RtspConnectionEvents {
  interleaved: [channel: number, payload: Uint8Array];
  /** A request from the server (answered already); TEARDOWN ends the session. */
  request: [method: string];
  /** The socket ended or failed; not emitted after destroy(). */
  close: [error: RtspError];
}

/**
 * Authorized attempts per request: the retry after the first 401, and one more
 * when the server says the nonce went stale (or rotated a nonce that worked).
 * A wrong password therefore costs exactly one retry, never a loop.
 */
const MAX_AUTH_RETRIES = 2;
/** Unanswered fire-and-forget requests (keep-alives) whose CSeq we still recognize. */
const MAX_UNANSWERED = 8;

interface Pending {
  readonly cseq: number;
  resolve(response: RtspResponse): void;
  reject(err: RtspError): void;
  readonly timer: NodeJS.Timeout;
}

/**
 * One RTSP control connection: serialized requests with CSeq, authentication,
 * interleaved frames out and in, and answers to the few requests servers send.
 */
export class RtspConnection extends EventEmitter<RtspConnectionEvents> {
  /** Bytes read from the socket (after TLS). */
  bytesIn = 0;
  /** Requests written, retries included. */
  requestsSent = 0;
  private readonly reader = new RtspStreamReader();
  private cseq = 0;
  private pending: Pending | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private auth: Authenticator | null = null;
  /** A request authorized with `auth` succeeded: a later 401 means an expired nonce, not a wrong password. */
  private authConfirmed = false;
  private readonly unanswered = new Map<number, (response: RtspResponse) => void>();
  private destroyed = false;

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: RtspConnectionOptions,
  ) {
    super();
    // Plain Uint8Array views (no copy): payloads handed out are never Buffers.
    socket.on('data', (data: Buffer) => this.onData(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    socket.on('error', (err) => this.onSocketEnd(new RtspError('SOCKET', `${this.describe()}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.onSocketEnd(new RtspError('CLOSED_BY_PEER', `${this.describe()}: the server closed the connection`)));
  }

  /** Opens TCP (rtsp://) or TLS (rtsps://). Rejects with SOCKET, TIMEOUT or ABORTED. */
  static connect(options: RtspConnectionOptions, signal?: AbortSignal): Promise<RtspConnection> {
    const { url } = options;
    return new Promise((resolve, reject) => {
      const socket =
        url.protocol === 'rtsps'
          ? tls.connect({
              host: url.host,
              port: url.port,
              // SNI takes a host name only; Node warns when given an IP address.
              ...(net.isIP(url.host) === 0 ? { servername: url.host } : {}),
              ...options.tls,
            })
          : net.connect({ host: url.host, port: url.port });
      const where = `${url.protocol}://${url.host}:${url.port}`;
      const done = (err: RtspError | null): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        if (err !== null) {
          socket.destroy();
          reject(err);
          return;
        }
        socket.setNoDelay(true);
        resolve(new RtspConnection(socket, options));
      };
      const onError = (err: Error): void => done(new RtspError('SOCKET', `${where}: ${err.message}`, { cause: err }));
      const onAbort = (): void => done(new RtspError('ABORTED', 'aborted while connecting', { cause: signal?.reason }));
      const timer = setTimeout(() => done(new RtspError('TIMEOUT', `${where}: no connection within ${options.timeoutMs} ms`)), options.timeoutMs);
      socket.once('error', onError);
      socket.once(url.protocol === 'rtsps' ? 'secureConnect' : 'connect', () => done(null));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }

  /** The server's address as connected (used to filter UDP packets). */
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }

  get isOpen(): boolean {
    return !this.destroyed;
  }

  /**
   * Sends a request and resolves with its response: any status except a 401 that
   * authentication cannot fix, which rejects with AUTH_FAILED (carrying the reason).
   * Requests are sent one at a time, in call order.
   */
  request(method: string, uri: string, headers: Record<string, string | undefined> = {}): Promise<RtspResponse> {
    const run = (): Promise<RtspResponse> => this.authorizedExchange(method, uri, headers);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Sends a request without waiting for its answer (keep-alives: some cameras never
   * answer them). `onResponse` runs if an answer comes.
   */
  send(method: string, uri: string, headers: Record<string, string | undefined>, onResponse?: (r: RtspResponse) => void): void {
    if (this.destroyed) return;
    const cseq = ++this.cseq;
    this.write(this.buildRequest(method, uri, headers, cseq));
    if (onResponse !== undefined) {
      this.unanswered.set(cseq, onResponse);
      if (this.unanswered.size > MAX_UNANSWERED) this.unanswered.delete(this.unanswered.keys().next().value!);
    }
  }

  /** Writes one interleaved frame ('$', channel, length, payload). */
  writeInterleaved(channel: number, payload: Uint8Array): void {
    if (this.destroyed || payload.byteLength > 0xffff) return;
    const frame = new Uint8Array(4 + payload.byteLength);
    frame[0] = 0x24;
    frame[1] = channel;
    frame[2] = Math.floor(payload.byteLength / 256);
    frame[3] = payload.byteLength % 256;
    frame.set(payload, 4);
    this.write(frame);
  }

  /** Closes the socket; a pending request rejects with `error` (default CLOSED). */
  destroy(error: RtspError = new RtspError('CLOSED', 'connection closed')): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.failPending(error);
    this.socket.destroy();
  }

  private describe(): string {
    return `${this.options.url.protocol}://${this.options.url.host}:${this.options.url.port}`;
  }

  private write(bytes: Uint8Array): void {
    if (!this.destroyed && !this.socket.destroyed) this.socket.write(bytes);
  }

  private buildRequest(method: string, uri: string, extra: Record<string, string | undefined>, cseq: number): Uint8Array {
    const headers = new RtspHeaders({ CSeq: String(cseq) });
    if (this.auth !== null) headers.append('Authorization', this.auth.authorize(method, uri));
    headers.append('User-Agent', this.options.userAgent);
    for (const [name, value] of Object.entries(extra)) if (value !== undefined) headers.append(name, value);
    this.requestsSent++;
    return serializeRequest({ method, uri, headers });
  }

  private async authorizedExchange(method: string, uri: string, headers: Record<string, string | undefined>): Promise<RtspResponse> {
    for (let retries = 0; ; retries++) {
      const sentAuth = this.auth !== null;
      const response = await this.exchange(method, uri, headers);
      if (response.status !== 401) {
        if (sentAuth && response.status < 400) this.authConfirmed = true;
        return response;
      }
      const reason = response.reason;
      const fail = (why: string): RtspError =>
        new RtspError('AUTH_FAILED', `${method} ${uri}: 401 ${reason}: ${why}`, { status: 401, reason });
      const credentials = this.options.credentials;
      if (credentials === undefined) throw fail('the server wants credentials and none were given');
      const challenges = parseWwwAuthenticate(response.headers.getAll('WWW-Authenticate'));
      const challenge = pickChallenge(challenges);
      if (challenge === undefined) {
        const offered = challenges.map((c) => c.scheme).join(', ') || 'none';
        throw fail(`no supported authentication scheme (offered: ${offered})`);
      }
      // A retry is worth it only when the credentials were not the problem: first
      // challenge, a stale nonce, or a nonce expiring after it had worked.
      const worthRetrying = !sentAuth || Authenticator.isStale(challenge) || this.authConfirmed;
      if (!worthRetrying || retries >= MAX_AUTH_RETRIES) throw fail('the credentials were rejected');
      this.auth = new Authenticator(challenge, credentials);
      this.authConfirmed = false;
    }
  }

  private exchange(method: string, uri: string, headers: Record<string, string | undefined>): Promise<RtspResponse> {
    if (this.destroyed) return Promise.reject(new RtspError('CLOSED', `${method}: connection closed`));
    return new Promise((resolve, reject) => {
      const cseq = ++this.cseq;
      const timer = setTimeout(() => {
        this.pending = null;
        reject(new RtspError('TIMEOUT', `${method} ${uri}: no response within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending = { cseq, resolve, reject, timer };
      this.write(this.buildRequest(method, uri, headers, cseq));
    });
  }

  private failPending(error: RtspError): void {
    const p = this.pending;
    this.pending = null;
    if (p === null) return;
    clearTimeout(p.timer);
    p.reject(error);
  }

  private onSocketEnd(error: RtspError): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.failPending(error);
    this.socket.destroy();
    this.emit('close', error);
  }

  private onData(data: Uint8Array): void {
    if (this.destroyed) return;
    this.bytesIn += data.byteLength;
    let items: RtspStreamItem[];
    try {
      items = this.reader.push(data);
    } catch (err) {
      this.onSocketEnd(err instanceof RtspError ? err : new RtspError('BAD_RESPONSE', String(err), { cause: err }));
      return;
    }
    for (const item of items) {
      if (this.destroyed) return;
      if (item.kind === 'interleaved') {
        this.emit('interleaved', item.channel, item.payload);
        continue;
      }
      const head = item.head;
      if (head.kind === 'request') {
        this.answer(head.method, head.headers.get('CSeq'));
        continue;
      }
      const response: RtspResponse = { status: head.status, reason: head.reason, headers: head.headers, body: item.body };
      const cseqText = head.headers.get('CSeq');
      const cseq = cseqText === undefined ? undefined : Number(cseqText);
      const p = this.pending;
      if (p !== null && (cseq === undefined || cseq === p.cseq)) {
        this.pending = null;
        clearTimeout(p.timer);
        p.resolve(response);
      } else if (cseq !== undefined && this.unanswered.has(cseq)) {
        const handler = this.unanswered.get(cseq)!;
        this.unanswered.delete(cseq);
        handler(response);
      }
      // Anything else answers a request that already timed out: ignored.
    }
  }

  /**
   * Requests from the server (RFC 2326 section 10: OPTIONS, GET_PARAMETER and
   * SET_PARAMETER may go both ways; RFC 7826 lets it send TEARDOWN / PLAY_NOTIFY).
   */
  private answer(method: string, cseq: string | undefined): void {
    const known = ['OPTIONS', 'GET_PARAMETER', 'SET_PARAMETER', 'ANNOUNCE', 'TEARDOWN', 'PLAY_NOTIFY'].includes(method);
    const headers = new RtspHeaders();
    if (cseq !== undefined && /^\d{1,10}$/.test(cseq)) headers.append('CSeq', cseq);
    headers.append('User-Agent', this.options.userAgent);
    this.write(serializeResponse({ status: known ? 200 : 501, reason: known ? 'OK' : 'Not Implemented', headers }));
    this.emit('request', method);
  }
}
