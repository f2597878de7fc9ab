import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { MediaSource, PortPair, StreamKey, StreamRegistry } from '@sluice/core';
import { RtpTcpReceiver, RtpUdpReceiver, type RtpPacket, type RtpReceiverStats } from '@sluice/rtp-receiver';
import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';
import { TrackGate } from '../sources/track-gate.js';
import { InlineRemux, type RemuxOutput, type RemuxPath, type RemuxStats } from '../workers/remux-path.js';
import type { RemuxPool } from '../workers/remux-pool.js';

/** ZLMediaKit's tcp_mode: 0 UDP only, 1 TCP passive (we listen), 2 TCP active (we connect). */
export type TcpMode = 0 | 1 | 2;
/** ZLMediaKit's only_track: 0 both, 1 audio only, 2 video only. */
export type OnlyTrack = 0 | 1 | 2;

export interface RtpServerSpec {
  readonly streamId: string;
  readonly key: StreamKey;
  readonly tcpMode: TcpMode;
  readonly ssrc: number;
  readonly onlyTrack: OnlyTrack;
  /** The port asked for (0: any from the pool). */
  readonly requestedPort: number;
}

export interface RtpServerEvents {
  /** The first RTP packet arrived (ZLMediaKit sends on_publish then). */
  publish: [peer: { address: string; port: number }];
  closed: [reason: string];
}

/**
 * One open RTP port (openRtpServer): receives RTP over UDP and/or TCP, demuxes
 * PS / TS / raw ES, and publishes the stream `rtp/<stream_id>` from the first
 * frame on. It owns its port pair and gives it back in close(), on every path.
 *
 * Receiving (socket, RTP header, SSRC filter, reorder buffer) and publishing
 * (TrackGate, MediaSource) run on the I/O thread; the remux in between
 * (demux → frames) runs there too, or on a worker thread when a RemuxPool is
 * given (rtp_proxy.remux = worker).
 */
export class RtpServer extends EventEmitter<RtpServerEvents> {
  readonly createdAt = Date.now();
  ssrc: number;
  peer: { address: string; port: number; transport: 'udp' | 'tcp' } | undefined;
  lastPacketAt: number | undefined;
  closed = false;
  closeReason: string | undefined;

  private readonly udp: RtpUdpReceiver;
  private tcp: RtpTcpReceiver | undefined;
  private source: MediaSource | undefined;
  private readonly gate: TrackGate;
  private readonly mediaLog: RateLimitedLog;
  private readonly remux: RemuxPath;

  constructor(
    readonly spec: RtpServerSpec,
    readonly pair: PortPair,
    private readonly registry: StreamRegistry,
    private readonly log: Logger,
    remuxPool?: RemuxPool,
  ) {
    super();
    this.ssrc = spec.ssrc;
    this.mediaLog = new RateLimitedLog(log, 30_000);
    this.gate = new TrackGate(() => this.ensureSource(), { video: spec.onlyTrack !== 1, audio: spec.onlyTrack !== 2 });
    const output: RemuxOutput = {
      setTrack: (track) => this.gate.setTrack(track),
      pushFrame: (frame, timescale) => this.gate.pushFrame(frame, timescale),
      demuxErrors: (count, messages) =>
        this.mediaLog.log('warn', 'rtp demux error', { stream: this.spec.streamId, count, err: messages[0] }),
    };
    this.remux = remuxPool ? remuxPool.attach(output) : new InlineRemux(output);
    this.udp = new RtpUdpReceiver(pair.rtp, { ssrc: spec.ssrc });
    this.udp.on('packet', (packet: RtpPacket, remote: { address: string; port: number }) =>
      this.onPacket(packet, remote, 'udp'),
    );
    pair.tcp?.on('connection', (socket) => this.attachTcp(socket));
  }

  /** Remux counters: elementary frames, demux errors, packets dropped waiting for a worker. */
  get remuxStats(): Readonly<RemuxStats> & { mode: RemuxPath['mode'] } {
    return { mode: this.remux.mode, ...this.remux.stats };
  }

  /** Elementary frames demuxed, and packets the demuxer could not take. */
  get counters(): { frames: number; badFrames: number } {
    const s = this.remux.stats;
    return { frames: s.elementaryFrames, badFrames: s.demuxErrors };
  }

  get port(): number {
    return this.pair.rtpPort;
  }

  get state(): 'waiting' | 'receiving' {
    return this.lastPacketAt === undefined ? 'waiting' : 'receiving';
  }

  /** RTP counters over UDP and the current TCP connection together. */
  get receiverStats(): RtpReceiverStats {
    const udp = this.udp.stats;
    const tcp = this.tcp?.stats;
    if (!tcp) return { ...udp };
    const sum = { ...udp };
    for (const k of Object.keys(sum) as Array<keyof RtpReceiverStats>) sum[k] = udp[k] + tcp[k];
    return sum;
  }

  setSsrc(ssrc: number): void {
    this.ssrc = ssrc;
    this.udp.setSsrc(ssrc);
    this.tcp?.setSsrc(ssrc);
  }

  /** tcp_mode=2: connect to the camera (connectRtpServer) from our RTP port. */
  connectTo(host: string, port: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, localPort: this.pair.rtpPort, localAddress: undefined });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        this.attachTcp(socket);
        resolve();
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(err);
      };
      socket.once('error', onError);
    });
  }

  private attachTcp(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // A camera that reconnects replaces its old connection (which may be half dead).
    this.tcp?.close();
    const receiver = new RtpTcpReceiver(socket, { ssrc: this.ssrc });
    this.tcp = receiver;
    const remote = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    receiver.on('packet', (packet: RtpPacket) => this.onPacket(packet, remote, 'tcp'));
    socket.on('error', () => undefined);
  }

  private onPacket(packet: RtpPacket, remote: { address: string; port: number }, transport: 'udp' | 'tcp'): void {
    if (this.closed) return;
    const first = this.lastPacketAt === undefined;
    this.lastPacketAt = Date.now();
    if (first) {
      this.peer = { ...remote, transport };
      this.emit('publish', remote);
    }
    this.remux.push(packet);
  }

  private ensureSource(): MediaSource {
    if (!this.source) this.source = this.registry.get(this.spec.key) ?? this.registry.create(this.spec.key);
    return this.source;
  }

  /** Stops receiving, unregisters the stream, and returns the ports. Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.udp.close();
    this.tcp?.close();
    this.remux.close();
    this.pair.release();
    if (this.source && this.registry.get(this.spec.key) === this.source) this.registry.remove(this.spec.key, reason);
    this.log.info('rtp server closed', { stream: this.spec.streamId, port: this.port, reason });
    this.emit('closed', reason);
  }
}
