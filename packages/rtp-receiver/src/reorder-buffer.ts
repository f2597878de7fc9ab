/**
 * A bounded reorder (jitter) buffer for RTP over UDP: packets come out in sequence
 * order; a gap is waited for at most `maxDelayMs` (or until `maxPackets` are held)
 * and then given up on and counted as lost.
 *
 *   push(7) push(9) push(8)  →  [7] [] [8, 9]
 *   push(7) push(9) ...100 ms, drain()  →  [7] [] [9]   (8 counted lost)
 *
 * Sequence restarts (a sender that restarted with a new random sequence number) are
 * told from loss the way RFC 3550 appendix A.1 does: a jump of more than MAX_DROPOUT
 * ahead or MAX_MISORDER behind is held aside; when the next packet follows it, the
 * stream restarted (what was held is released and numbering starts over), otherwise
 * the stray packet is dropped (counted late).
 *
 * The first packet pushed (after construction or `reset`) sets where the sequence
 * starts: a packet numbered before it that arrives later is counted late.
 */
import { RtpError } from './errors.js';
import type { RtpPacket } from './rtp-packet.js';
import { wrapDelta } from './sequence.js';

export interface ReorderStats {
  /** Packets pushed. */
  received: number;
  /** Packets returned in order. */
  delivered: number;
  /** Sequence numbers given up on (never arrived within the delay or the buffer filled). */
  lost: number;
  /** A sequence number that was already delivered or is already held. */
  duplicates: number;
  /** Packets dropped because their place had already been given up on (they arrived after the gap was counted lost), or a stray far jump that no packet followed. */
  late: number;
  /** Packets that arrived behind a higher sequence number but in time. */
  reordered: number;
  /** Sequence restarts detected (RFC 3550 A.1 probation of a large jump). */
  restarts: number;
}

export interface ReorderOptions {
  /** How long the oldest held packet may wait for a gap before it is given up (default 100 ms; 0 = never wait). */
  maxDelayMs?: number;
  /** How many packets may be held behind a gap (default 256). */
  maxPackets?: number;
}

export const DEFAULT_REORDER_DELAY_MS = 100;
export const DEFAULT_REORDER_PACKETS = 256;
/** Upper bound for maxPackets: beyond it a buffer only adds latency and memory (4096 × 1.4 KB ≈ 6 MB). */
export const MAX_REORDER_PACKETS = 4096;
/** RFC 3550 A.1: a jump further ahead than this is a possible restart, not loss. */
const MAX_DROPOUT = 3000;
/** RFC 3550 A.1: a packet further behind than this is a possible restart, not reordering. */
const MAX_MISORDER = 100;
/** Delivered sequence numbers remembered to tell duplicates from late packets (must exceed MAX_MISORDER). */
const HISTORY = 1024;
const SEQ_MOD = 0x10000;

interface Held {
  readonly ext: number;
  readonly packet: RtpPacket;
  readonly arrivalMs: number;
}

export class ReorderBuffer {
  readonly stats: ReorderStats = { received: 0, delivered: 0, lost: 0, duplicates: 0, late: 0, reordered: 0, restarts: 0 };
  private readonly maxDelayMs: number;
  private readonly maxPackets: number;
  /** The extended sequence number expected next, undefined before the first packet. */
  private next: number | undefined;
  private highest = -1;
  /** Held packets, sorted by extended sequence number, all > next. */
  private held: Held[] = [];
  private readonly history = new Float64Array(HISTORY).fill(-1);
  private jump: { readonly packet: RtpPacket; readonly follower: number; readonly arrivalMs: number } | undefined;

  constructor(options: ReorderOptions = {}) {
    const { maxDelayMs = DEFAULT_REORDER_DELAY_MS, maxPackets = DEFAULT_REORDER_PACKETS } = options;
    if (!(maxDelayMs >= 0 && Number.isFinite(maxDelayMs))) throw new RtpError('BAD_OPTION', `maxDelayMs ${maxDelayMs}: a finite number >= 0`);
    if (!(Number.isInteger(maxPackets) && maxPackets >= 0 && maxPackets <= MAX_REORDER_PACKETS)) {
      throw new RtpError('BAD_OPTION', `maxPackets ${maxPackets}: an integer 0..${MAX_REORDER_PACKETS}`);
    }
    this.maxDelayMs = maxDelayMs;
    this.maxPackets = maxPackets;
  }

  /** Packets currently held behind a gap. */
  get size(): number {
    return this.held.length;
  }

  /** When `drain` will next release something (ms, same clock as nowMs), undefined when nothing waits. */
  get deadlineMs(): number | undefined {
    if (this.held.length === 0) return undefined;
    return this.oldestArrival() + this.maxDelayMs;
  }

  push(packet: RtpPacket, nowMs: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.pushInto(packet, nowMs, out);
    return out;
  }

  /** `push` that appends what is deliverable to `out` (an array the caller reuses per packet) instead of returning a new array. */
  pushInto(packet: RtpPacket, nowMs: number, out: RtpPacket[]): void {
    this.stats.received++;
    this.place(packet, nowMs, out);
  }

  /** Releases what waited too long; call from a timer (see `deadlineMs`). */
  drain(nowMs: number): RtpPacket[] {
    const out: RtpPacket[] = [];
    this.release(nowMs, out);
    return out;
  }

  /** Forgets the sequence state and drops held packets (a new SSRC); counters stay. */
  reset(): void {
    this.next = undefined;
    this.highest = -1;
    this.held = [];
    this.history.fill(-1);
    this.jump = undefined;
  }

  private place(packet: RtpPacket, nowMs: number, out: RtpPacket[]): void {
    // Numbering starts one cycle up so that packets reordered before the first one stay >= 0.
    if (this.next === undefined) this.next = this.highest = packet.sequenceNumber + SEQ_MOD;
    const delta = wrapDelta(this.next % SEQ_MOD, packet.sequenceNumber, SEQ_MOD);
    if (delta >= MAX_DROPOUT || delta < -MAX_MISORDER) {
      const jump = this.jump;
      if (jump && packet.sequenceNumber === jump.follower) {
        // RFC 3550 A.1: two sequential packets after the jump, the source restarted.
        this.stats.restarts++;
        this.jump = undefined;
        this.flushAll(out);
        this.reset();
        this.place(jump.packet, jump.arrivalMs, out);
        this.place(packet, nowMs, out);
        return;
      }
      if (jump) this.stats.late++;
      this.jump = { packet, follower: (packet.sequenceNumber + 1) % SEQ_MOD, arrivalMs: nowMs };
      this.release(nowMs, out);
      return;
    }
    if (this.jump) {
      this.stats.late++;
      this.jump = undefined;
    }
    const ext = this.next + delta;
    if (ext < this.next) {
      if (this.history[ext % HISTORY] === ext) this.stats.duplicates++;
      else this.stats.late++;
    } else if (ext === this.next && this.held.length === 0) {
      // The common case: in order, nothing waiting (and nothing allocated).
      this.deliver(ext, packet, out);
    } else {
      const i = this.indexOf(ext);
      if (i < this.held.length && this.held[i]!.ext === ext) {
        this.stats.duplicates++;
      } else {
        if (ext < this.highest) this.stats.reordered++;
        this.held.splice(i, 0, { ext, packet, arrivalMs: nowMs });
        if (ext > this.highest) this.highest = ext;
      }
    }
    this.release(nowMs, out);
  }

  private release(nowMs: number, out: RtpPacket[]): void {
    if (this.next === undefined) return;
    for (;;) {
      while (this.held.length > 0 && this.held[0]!.ext === this.next) {
        const h = this.held.shift()!;
        this.deliver(h.ext, h.packet, out);
      }
      if (this.held.length === 0) return;
      if (this.held.length <= this.maxPackets && nowMs - this.oldestArrival() < this.maxDelayMs) return;
      // Give up the gap before the first held packet.
      const first = this.held[0]!;
      this.stats.lost += first.ext - this.next;
      this.next = first.ext;
    }
  }

  private flushAll(out: RtpPacket[]): void {
    for (const h of this.held) {
      if (this.next !== undefined && h.ext > this.next) this.stats.lost += h.ext - this.next;
      this.deliver(h.ext, h.packet, out);
    }
    this.held = [];
  }

  private deliver(ext: number, packet: RtpPacket, out: RtpPacket[]): void {
    out.push(packet);
    this.stats.delivered++;
    this.history[ext % HISTORY] = ext;
    if (ext > this.highest) this.highest = ext;
    this.next = ext + 1;
  }

  private oldestArrival(): number {
    let t = Infinity;
    for (const h of this.held) if (h.arrivalMs < t) t = h.arrivalMs;
    return t;
  }

  /** First index whose ext is >= `ext` (binary search). */
  private indexOf(ext: number): number {
    let lo = 0;
    let hi = this.held.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.held[mid]!.ext < ext) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
