import { EventEmitter } from 'node:events';
import { isCoreError, type PortPool, type StreamKey, type StreamRegistry } from '@sluice/core';
import type { Logger } from '../log.js';
import type { RemuxMode } from '../workers/remux-path.js';
import { RemuxPool } from '../workers/remux-pool.js';
import { RtpServer, type OnlyTrack, type TcpMode } from './rtp-server.js';

export interface OpenRtpServerRequest {
  readonly streamId: string;
  /** 0: any port from the pool. */
  readonly port: number;
  readonly tcpMode: TcpMode;
  readonly ssrc: number;
  readonly onlyTrack: OnlyTrack;
}

export class RtpServerConflictError extends Error {
  override readonly name = 'RtpServerConflictError';
  constructor(
    message: string,
    readonly existingPort: number,
  ) {
    super(message);
  }
}

export class RtpPortError extends Error {
  override readonly name = 'RtpPortError';
}

export interface RtpServerManagerOptions {
  readonly vhost: string;
  readonly app: string;
  /** Close a server that received nothing this long after opening. */
  readonly openTimeoutMs: number;
  /** Close a server whose data stopped this long ago. */
  readonly dataTimeoutMs: number;
  /** Where servers remux (rtp_proxy.remux); default inline. */
  readonly remux?: RemuxMode;
}

export interface RtpServerManagerEvents {
  publish: [server: RtpServer, peer: { address: string; port: number }];
  timeout: [server: RtpServer, reason: 'no data' | 'data stopped'];
  closed: [server: RtpServer, reason: string];
}

/**
 * The one registry behind openRtpServer, listRtpServer, getRtpInfo and
 * closeRtpServer, so they can never disagree. An entry exists from the moment
 * an open starts (so a concurrent open of the same stream_id joins it rather
 * than opening a second port) until its ports are back in the pool.
 */
export class RtpServerManager extends EventEmitter<RtpServerManagerEvents> {
  private readonly servers = new Map<string, RtpServer>();
  private readonly opening = new Map<string, { request: OpenRtpServerRequest; done: Promise<RtpServer> }>();
  private readonly sweep: NodeJS.Timeout;
  /** rtp_proxy.remux = worker: started with the first server, stopped in closeAll(). */
  private remuxPool: RemuxPool | undefined;

  /** Packets queued for the remux worker pool (0 inline, or before the pool starts). */
  get remuxQueuedPackets(): number {
    return this.remuxPool?.queuedPackets ?? 0;
  }

  constructor(
    private readonly pool: PortPool,
    private readonly registry: StreamRegistry,
    private readonly options: RtpServerManagerOptions,
    private readonly log: Logger,
  ) {
    super();
    this.sweep = setInterval(() => this.reclaimIdle(), Math.min(1000, Math.max(50, options.dataTimeoutMs / 4)));
    this.sweep.unref();
  }

  keyFor(streamId: string): StreamKey {
    return { vhost: this.options.vhost, app: this.options.app, stream: streamId };
  }

  get(streamId: string): RtpServer | undefined {
    return this.servers.get(streamId);
  }

  list(): RtpServer[] {
    return [...this.servers.values()];
  }

  /**
   * Opens a server, or returns the open one for the same stream_id when the
   * request is compatible with it. Incompatible (another explicit port, another
   * tcp_mode) → RtpServerConflictError naming the existing port.
   */
  async open(request: OpenRtpServerRequest): Promise<{ server: RtpServer; created: boolean }> {
    const existing = this.servers.get(request.streamId);
    if (existing) return { server: this.checkCompatible(existing.port, existing.spec.tcpMode, request, existing), created: false };
    const pending = this.opening.get(request.streamId);
    if (pending) {
      const server = await pending.done;
      return { server: this.checkCompatible(server.port, server.spec.tcpMode, request, server), created: false };
    }
    const key = this.keyFor(request.streamId);
    if (this.registry.get(key)) {
      throw new RtpServerConflictError(`stream ${key.app}/${key.stream} already exists and is not an RTP server`, 0);
    }
    const done = this.create(request, key);
    this.opening.set(request.streamId, { request, done });
    try {
      return { server: await done, created: true };
    } finally {
      this.opening.delete(request.streamId);
    }
  }

  private checkCompatible(port: number, tcpMode: TcpMode, request: OpenRtpServerRequest, server: RtpServer): RtpServer {
    if (request.port !== 0 && request.port !== port) {
      throw new RtpServerConflictError(`stream_id ${request.streamId} is already open on port ${port}, not ${request.port}`, port);
    }
    if (request.tcpMode !== tcpMode) {
      throw new RtpServerConflictError(
        `stream_id ${request.streamId} is already open on port ${port} with tcp_mode ${tcpMode}, not ${request.tcpMode}`,
        port,
      );
    }
    return server;
  }

  private async create(request: OpenRtpServerRequest, key: StreamKey): Promise<RtpServer> {
    let pair;
    try {
      pair = await this.pool.allocate({ tcp: request.tcpMode === 1, port: request.port || undefined });
    } catch (err) {
      if (isCoreError(err)) throw new RtpPortError(err.message);
      throw err;
    }
    const server = new RtpServer(
      { streamId: request.streamId, key, tcpMode: request.tcpMode, ssrc: request.ssrc, onlyTrack: request.onlyTrack, requestedPort: request.port },
      pair,
      this.registry,
      this.log.child({ stream: `${key.vhost}/${key.app}/${key.stream}` }),
      this.options.remux === 'worker' ? (this.remuxPool ??= new RemuxPool({ log: this.log })) : undefined,
    );
    server.on('publish', (peer) => this.emit('publish', server, peer));
    server.once('closed', (reason) => {
      if (this.servers.get(request.streamId) === server) this.servers.delete(request.streamId);
      this.emit('closed', server, reason);
    });
    this.servers.set(request.streamId, server);
    this.log.info('rtp server opened', { streamId: request.streamId, port: server.port, tcpMode: request.tcpMode });
    return server;
  }

  /** Closes a server; false when there is none. */
  close(streamId: string, reason = 'closeRtpServer'): boolean {
    const server = this.servers.get(streamId);
    if (!server) return false;
    server.close(reason);
    return true;
  }

  /** Closes every server and stops the remux workers, if any. */
  async closeAll(reason: string): Promise<void> {
    for (const s of this.list()) s.close(reason);
    clearInterval(this.sweep);
    const pool = this.remuxPool;
    this.remuxPool = undefined;
    await pool?.destroy();
  }

  private reclaimIdle(): void {
    const now = Date.now();
    for (const server of this.servers.values()) {
      if (server.lastPacketAt === undefined) {
        if (now - server.createdAt > this.options.openTimeoutMs) this.timeout(server, 'no data');
      } else if (now - server.lastPacketAt > this.options.dataTimeoutMs) {
        this.timeout(server, 'data stopped');
      }
    }
  }

  private timeout(server: RtpServer, reason: 'no data' | 'data stopped'): void {
    this.emit('timeout', server, reason);
    server.close(`timeout: ${reason}`);
  }
}
