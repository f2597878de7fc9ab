/**
 * RTP over UDP on a socket the caller owns (the relay's port pool binds it).
 *
 * Specification: RFC 3550 section 11 (RTP over UDP); RFC 5761 section 4 (RTCP on
 * the RTP port is recognised and ignored).
 */
import type { Socket, RemoteInfo as DgramRemoteInfo } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { ReorderOptions } from './reorder-buffer.js';
import { RtpIntake, type RemoteInfo, type RtpReceiverStats } from './rtp-intake.js';
import type { RtpPacket } from './rtp-packet.js';

export interface RtpUdpReceiverOptions {
  /** Accept only this SSRC; 0 or absent: the first sender, then locked to it. */
  ssrc?: number;
  reorder?: ReorderOptions;
}

export interface RtpReceiverEvents {
  /** An RTP packet, in sequence order, from the accepted SSRC. */
  packet: [packet: RtpPacket, remote: RemoteInfo];
}

/**
 * Listens to 'message' on an injected dgram socket and emits 'packet' in sequence
 * order (through the reorder buffer). `close()` stops listening and drops what is
 * held; the socket stays open (it belongs to the caller).
 */
export class RtpUdpReceiver extends EventEmitter<RtpReceiverEvents> {
  private readonly intake: RtpIntake;
  private readonly remotes = new WeakMap<RtpPacket, RemoteInfo>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private peerInfo: RemoteInfo | undefined;
  private readonly onMessage = (msg: Buffer, rinfo: DgramRemoteInfo) => this.handle(msg, rinfo);

  constructor(
    private readonly socket: Socket,
    options: RtpUdpReceiverOptions = {},
  ) {
    super();
    this.intake = new RtpIntake(options.ssrc, options.reorder ?? {});
    socket.on('message', this.onMessage);
  }

  /** The address of the accepted sender, once one has sent. */
  get peer(): RemoteInfo | undefined {
    return this.peerInfo;
  }

  /** The SSRC accepted now (the configured one, or the one locked to). */
  get ssrc(): number | undefined {
    return this.intake.ssrc;
  }

  get stats(): RtpReceiverStats {
    return this.intake.stats;
  }

  /** A new SSRC filter (the API's updateRtpServerSSRC); 0 = lock to the next sender. */
  setSsrc(ssrc: number): void {
    this.intake.setSsrc(ssrc);
    this.peerInfo = undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.off('message', this.onMessage);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.intake.reorder.reset();
  }

  private handle(msg: Buffer, rinfo: DgramRemoteInfo): void {
    if (this.closed) return;
    this.intake.countBytes(msg.byteLength);
    const remote: RemoteInfo = { address: rinfo.address, port: rinfo.port };
    const packets = this.intake.accept(msg, performance.now(), {
      locked: () => (this.peerInfo = remote),
      accepted: (p) => this.remotes.set(p, remote),
    });
    this.emitAll(packets);
    this.schedule();
  }

  private emitAll(packets: RtpPacket[]): void {
    for (const p of packets) {
      if (this.closed) return;
      const remote = this.remotes.get(p);
      if (remote) this.emit('packet', p, remote);
    }
  }

  private schedule(): void {
    const deadline = this.intake.reorder.deadlineMs;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (deadline === undefined || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.emitAll(this.intake.reorder.drain(performance.now()));
      this.schedule();
    }, Math.max(0, Math.ceil(deadline - performance.now())));
    this.timer.unref();
  }
}
