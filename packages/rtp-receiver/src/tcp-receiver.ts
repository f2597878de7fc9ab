/**
 * RTP over one TCP connection with RFC 4571 framing: passive (the relay accepted
 * the camera's connection, ZLMediaKit tcp_mode=1) or active (the relay connected to
 * the camera, tcp_mode=2; see `connectRtpTcp`).
 *
 * Specification: RFC 4571 section 2
 */
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { RtpError } from './errors.js';
import { Rfc4571Deframer } from './rfc4571.js';
import { RtpIntake, type RemoteInfo, type RtpReceiverStats } from './rtp-intake.js';
import type { RtpPacket } from './rtp-packet.js';

export interface RtpTcpReceiverOptions {
  /** Accept only this SSRC; 0 or absent: the first sender, then locked to it. */
  ssrc?: number;
}

export interface RtpTcpReceiverEvents {
  /** An RTP packet from the accepted SSRC, in the order sent. */
  packet: [packet: RtpPacket, remote: RemoteInfo];
  /** The connection ended: `error` when it failed or the peer closed it, none after `close()`. */
  close: [error?: RtpError];
}

/**
 * Reads RFC 4571 frames from a connected socket and emits 'packet'. TCP keeps the
 * order, so there is no reorder delay (a sequence gap still counts as lost). Garbage
 * in the byte stream is skipped and counted (stats.resyncs / skippedBytes). The
 * receiver owns the socket: `close()` destroys it.
 */
export class RtpTcpReceiver extends EventEmitter<RtpTcpReceiverEvents> {
  private readonly intake: RtpIntake;
  private readonly deframer = new Rfc4571Deframer();
  private closed = false;
  readonly remote: RemoteInfo;

  constructor(
    private readonly socket: Socket,
    options: RtpTcpReceiverOptions = {},
  ) {
    super();
    this.intake = new RtpIntake(options.ssrc, { maxDelayMs: 0, maxPackets: 0 });
    this.intake.framing = this.deframer.stats;
    this.remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    let failure: Error | undefined;
    socket.on('data', (chunk: Buffer) => this.handle(chunk));
    socket.on('error', (err) => {
      failure = err;
    });
    socket.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      const error = failure
        ? new RtpError('CONNECTION_LOST', `RTP over TCP from ${this.describe()} failed: ${failure.message}`, { cause: failure })
        : new RtpError('CONNECTION_LOST', `RTP over TCP from ${this.describe()} closed by the peer`);
      this.emit('close', error);
    });
  }

  /** The sender's address (the connection's remote end). */
  get peer(): RemoteInfo {
    return this.remote;
  }

  get ssrc(): number | undefined {
    return this.intake.ssrc;
  }

  get stats(): RtpReceiverStats {
    return this.intake.stats;
  }

  setSsrc(ssrc: number): void {
    this.intake.setSsrc(ssrc);
  }

  /** Destroys the connection; emits 'close' without an error. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.deframer.reset();
    this.emit('close');
  }

  private handle(chunk: Buffer): void {
    if (this.closed) return;
    this.intake.countBytes(chunk.byteLength);
    const now = performance.now();
    // One array per chunk, not one per frame.
    const packets: RtpPacket[] = [];
    for (const frame of this.deframer.push(chunk)) {
      this.intake.acceptInto(frame, now, packets);
      for (const p of packets) {
        if (this.closed) return;
        this.emit('packet', p, this.remote);
      }
      packets.length = 0;
    }
  }

  private describe(): string {
    return `${this.remote.address}:${this.remote.port}`;
  }
}

export interface ConnectRtpTcpOptions extends RtpTcpReceiverOptions {
  host: string;
  port: number;
  /** Bind the local end (GB28181 active mode connects from the server's allocated port). */
  localAddress?: string;
  localPort?: number;
  /** Default 5000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** Default time allowed for an active connection to a camera. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/**
 * Active mode: connects to the sender and wraps the connection. Rejects with
 * RtpError CONNECT_FAILED when the connection is refused, times out or is aborted.
 */
export function connectRtpTcp(options: ConnectRtpTcpOptions): Promise<RtpTcpReceiver> {
  const { host, port, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS, signal } = options;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new RtpError('CONNECT_FAILED', `connect to ${host}:${port} aborted`, { cause: signal.reason }));
      return;
    }
    const socket = connect({
      host,
      port,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      ...(options.localPort === undefined ? {} : { localPort: options.localPort }),
    });
    const fail = (message: string, cause?: unknown) => {
      cleanup();
      socket.destroy();
      reject(new RtpError('CONNECT_FAILED', `connect to ${host}:${port}: ${message}`, { cause }));
    };
    const onError = (err: Error) => fail(err.message, err);
    const onAbort = () => fail('aborted', signal?.reason);
    const timer = setTimeout(() => fail(`no connection after ${timeoutMs} ms`), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => {
      cleanup();
      resolve(new RtpTcpReceiver(socket, options.ssrc === undefined ? {} : { ssrc: options.ssrc }));
    });
  });
}
