/**
 * Where an RTP server's packets are remuxed: on the I/O thread (inline) or in a
 * worker thread (remux-pool.ts). Both run RemuxSession and report through the
 * same RemuxOutput, so the RTP server does not know which one it has.
 */
import type { RtpPacket } from '@sluice/rtp-receiver';
import type { FrameEvents } from './messages.js';
import { RemuxSession } from './remux-session.js';

/** Config `rtp_proxy.remux`. */
export type RemuxMode = 'inline' | 'worker';
export const REMUX_MODES: readonly RemuxMode[] = ['inline', 'worker'];

export function isRemuxMode(value: string): value is RemuxMode {
  return (REMUX_MODES as readonly string[]).includes(value);
}

/** What a remux path delivers to (on the I/O thread). */
export interface RemuxOutput extends FrameEvents {
  /** The demuxer threw on `count` packets (they are lost); `messages` are a sample for a rate-limited log. */
  demuxErrors(count: number, messages: readonly string[]): void;
}

export interface RemuxStats {
  /** Packets handed to the path. */
  packets: number;
  /** Elementary frames the demuxer delivered. */
  elementaryFrames: number;
  /** Packets the demuxer threw on. */
  demuxErrors: number;
  /** Worker path: packets dropped because the stream's queue was full or a batch failed (0 inline). */
  droppedPackets: number;
  /** Worker path: batches that carried this stream's packets. */
  batches: number;
}

export interface RemuxPath {
  readonly mode: RemuxMode;
  readonly stats: Readonly<RemuxStats>;
  /** One packet in sequence order (as the RTP receivers deliver them). */
  push(packet: RtpPacket): void;
  /** No more packets; output still under way is discarded. Idempotent. */
  close(): void;
}

export function newRemuxStats(): RemuxStats {
  return { packets: 0, elementaryFrames: 0, demuxErrors: 0, droppedPackets: 0, batches: 0 };
}

/** The I/O thread does the work at once: lowest delay, no copy, no messaging. */
export class InlineRemux implements RemuxPath {
  readonly mode = 'inline';
  private readonly session = new RemuxSession();
  private readonly s = newRemuxStats();
  private closed = false;

  constructor(private readonly out: RemuxOutput) {}

  get stats(): Readonly<RemuxStats> {
    this.s.elementaryFrames = this.session.elementaryFrames;
    this.s.demuxErrors = this.session.errors;
    return this.s;
  }

  push(packet: RtpPacket): void {
    if (this.closed) return;
    this.s.packets++;
    const error = this.session.push(packet, this.out);
    if (error !== undefined) this.out.demuxErrors(1, [error]);
  }

  close(): void {
    this.closed = true;
  }
}
