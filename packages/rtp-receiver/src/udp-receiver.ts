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
import { RtpIntake, type IntakeHooks, type RemoteInfo, type RtpReceiverStats } from './rtp-intake.js';
import type { RtpPacket } from './rtp-packet.js';

export interface RtpUdpReceiverOptions {
  /** Accept only this SSRC; 0 or absent: the first sender, then locked to it. */
  ssrc?: number;
  reorder?: ReorderOptions;
}

export interface RtpReceiverEvents {
  /**
   * An RTP packet, in sequence order, from the accepted SSRC, with the address of
   * the datagram that carried it. The same RemoteInfo object comes with every packet
   * while the sender's address and port stay the same.
   */
  packet: [packet: RtpPacket, remote: RemoteInfo];
}

/**
 * Listens to 'message' on an injected dgram socket and emits 'packet' in sequence
 * order (through the reorder buffer). `close()` stops listening and drops what is
 * held; the socket stays open (it belongs to the caller).
 */
export class RtpUdpReceiver extends EventEmitter<RtpReceiverEvents> {
  private readonly intake: RtpIntake;
  /**
   * The sender of the latest datagram, reused while its address and port stay the
   * same: a camera sends every packet from one address, so this is allocated once,
   * not per packet (and never a copy of the packet's `rinfo`, which Node allocates anyway).
   */
  private sender: RemoteInfo | undefined;
  /** Where the packets that the reorder buffer holds came from (only those: an in-order packet needs no lookup). */
  private heldFrom: WeakMap<RtpPacket, RemoteInfo> | undefined;
  /** Reused per datagram for what the reorder buffer releases; `emitting` guards against a listener re-entering. */
  private readonly released: RtpPacket[] = [];
  private emitting = false;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private peerInfo: RemoteInfo | undefined;
  private readonly onMessage = (msg: Buffer, rinfo: DgramRemoteInfo) => this.handle(msg, rinfo);
  private readonly hooks: IntakeHooks = { locked: () => (this.peerInfo = this.sender) };

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
    this.heldFrom = undefined;
  }

  private handle(msg: Buffer, rinfo: DgramRemoteInfo): void {
    if (this.closed) return;
    this.intake.countBytes(msg.byteLength);
    const last = this.sender;
    const remote =
      last !== undefined && last.port === rinfo.port && last.address === rinfo.address
        ? last
        : (this.sender = { address: rinfo.address, port: rinfo.port });
    const out = this.emitting ? [] : this.released;
    const accepted = this.intake.acceptInto(msg, performance.now(), out, this.hooks);
    // Held for a gap: remember its sender until the reorder buffer releases it.
    if (accepted !== undefined && !out.includes(accepted)) (this.heldFrom ??= new WeakMap()).set(accepted, remote);
    try {
      this.emitAll(out, accepted, remote);
    } finally {
      out.length = 0;
    }
    this.schedule();
  }

  /** Emits `packets`; `current` came in the datagram from `remote`, the others were held (see heldFrom). */
  private emitAll(packets: readonly RtpPacket[], current: RtpPacket | undefined, remote: RemoteInfo | undefined): void {
    const outer = this.emitting;
    this.emitting = true;
    try {
      for (const p of packets) {
        if (this.closed) return;
        const from = p === current ? remote : this.heldFrom?.get(p);
        if (from) this.emit('packet', p, from);
      }
    } finally {
      this.emitting = outer;
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
      this.emitAll(this.intake.reorder.drain(performance.now()), undefined, undefined);
      this.schedule();
    }, Math.max(0, Math.ceil(deadline - performance.now())));
    this.timer.unref();
  }
}
