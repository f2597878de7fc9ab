/**
 * RFC 4571 framing: RTP and RTCP packets over a TCP connection, each preceded by its
 * length (GB28181's "TCP passive / active" transport).
 *
 * Specification: RFC 4571 section 2
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   -----------------------------------------------------------------
 *   |             LENGTH            |  RTP or RTCP packet ...       |
 *   -----------------------------------------------------------------
 *
 * TCP delivers the bytes at arbitrary boundaries, so the deframer queues them until
 * a whole frame is there. A length alone cannot be checked, so while synchronised
 * each frame must look like RTP version 2 with the payload type and SSRC of the
 * previous one (or like RTCP). At the start and after a frame fails, the deframer
 * (re)synchronises on evidence: an RTP frame whose successor, where its length
 * points, is an RTP frame of the same payload type and SSRC. It drops one byte at a
 * time until it finds one (looking ahead in what it holds while a candidate's
 * length points past the data received) and counts the bytes skipped. A new SSRC
 * on the connection is picked up this way without skipping anything. Nothing ever
 * throws; memory is bounded by RFC4571_MAX_BUFFERED.
 */
import { ByteQueue } from './byte-queue.js';
import { RtpError } from './errors.js';
import { RTP_HEADER_SIZE } from './rtp-packet.js';

/** The 16-bit LENGTH field: no frame can be longer. */
export const RFC4571_MAX_FRAME = 0xffff;
/** The smallest RTCP packet (a header and an SSRC: RTCP RR without report blocks). */
const MIN_RTCP_SIZE = 8;
/** RTCP packet types 200..204 (SR, RR, SDES, BYE, APP) sit where an RTP header has M + PT. */
const RTCP_FIRST_TYPE = 200;
const RTCP_LAST_TYPE = 204;
/** Bytes of the next frame read to confirm a frame after a resynchronisation: LENGTH + the RTP fixed header. */
const CONFIRM_BYTES = 2 + RTP_HEADER_SIZE;

/** Lookahead for a resynchronisation point runs again after this many new bytes (keeps a stalled resync linear). */
const LOOKAHEAD_STEP = 1024;

export interface Rfc4571Stats {
  /** Frames returned. */
  frames: number;
  /** Times the stream lost synchronisation and bytes had to be skipped. */
  resyncs: number;
  /** Bytes skipped while resynchronising (garbage). */
  skippedBytes: number;
  /** Bytes held waiting for the rest of a frame (at most RFC4571_MAX_BUFFERED). */
  buffered: number;
}

/** The most held between reads: a whole frame and the bytes confirming its successor. */
export const RFC4571_MAX_BUFFERED = 2 + RFC4571_MAX_FRAME + CONFIRM_BYTES;

const u16 = (v: Uint8Array, i: number) => (v[i]! << 8) | v[i + 1]!;
const u32 = (v: Uint8Array, i: number) => v[i]! * 0x1000000 + v[i + 1]! * 0x10000 + v[i + 2]! * 0x100 + v[i + 3]!;
const isRtcpAt = (v: Uint8Array, off: number) => v[off + 3]! >= RTCP_FIRST_TYPE && v[off + 3]! <= RTCP_LAST_TYPE;

/**
 * Whether the frame at `off` looks like RTP (or, with `allowRtcp`, RTCP), with the
 * payload type and SSRC of `ref` when given. undefined: more bytes needed.
 */
function plausibleAt(v: Uint8Array, off: number, ref: FrameRef | undefined, allowRtcp: boolean): boolean | undefined {
  if (v.byteLength < off + 4) return undefined;
  const len = u16(v, off);
  if (v[off + 2]! >> 6 !== 2) return false;
  if (isRtcpAt(v, off)) return allowRtcp && len >= MIN_RTCP_SIZE && len % 4 === 0;
  if (len < RTP_HEADER_SIZE) return false;
  if (ref === undefined) return true;
  if (v.byteLength < off + CONFIRM_BYTES) return undefined;
  return (v[off + 3]! & 0x7f) === ref.payloadType && u32(v, off + 10) === ref.ssrc;
}

function refAt(v: Uint8Array, off: number): FrameRef {
  return { payloadType: v[off + 3]! & 0x7f, ssrc: u32(v, off + 10) };
}

/** RTCP frames that may sit between the two RTP frames of a resynchronisation. */
const MAX_RTCP_HOPS = 2;

/**
 * Whether an RTP frame at `off` is followed, where its length says (past up to
 * MAX_RTCP_HOPS RTCP frames), by an RTP frame of the same payload type and SSRC:
 * the evidence needed to (re)synchronise. undefined: more bytes needed.
 */
function confirmedAt(v: Uint8Array, off: number): boolean | undefined {
  const here = plausibleAt(v, off, undefined, false);
  if (here !== true) return here;
  if (v.byteLength < off + CONFIRM_BYTES) return undefined;
  const ref = refAt(v, off);
  let next = off + 2 + u16(v, off);
  for (let hop = 0; ; hop++) {
    if (v.byteLength < next + CONFIRM_BYTES) return undefined;
    if (hop < MAX_RTCP_HOPS && plausibleAt(v, next, undefined, true) === true && isRtcpAt(v, next)) {
      next += 2 + u16(v, next);
      continue;
    }
    return plausibleAt(v, next, ref, false) === true;
  }
}

interface FrameRef {
  readonly payloadType: number;
  readonly ssrc: number;
}

export class Rfc4571Deframer {
  readonly stats: Rfc4571Stats = { frames: 0, resyncs: 0, skippedBytes: 0, buffered: 0 };
  private readonly q = new ByteQueue();
  /** True after a confirmed frame, until a frame fails the checks. */
  private synced = false;
  /** The payload type and SSRC of the last RTP frame. */
  private ref: FrameRef | undefined;
  private skipping = false;
  /** Queue length when the last lookahead ran (a stalled resync looks ahead again after LOOKAHEAD_STEP more bytes). */
  private lookedAt = -Infinity;

  /**
   * Adds bytes read from the connection; returns the frames (RTP or RTCP packets,
   * without the length) now complete, as copies (the chunk can be reused).
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.q.append(chunk);
    for (;;) {
      const v = this.q.view();
      if (v.byteLength < 2) break;
      if (this.synced) {
        const here = plausibleAt(v, 0, this.ref, true);
        if (here === undefined) break;
        if (!here) {
          // A new SSRC may be legitimate: look again as if unsynchronised before skipping anything.
          this.synced = false;
          continue;
        }
        const len = u16(v, 0);
        if (v.byteLength < 2 + len) break;
        if (!isRtcpAt(v, 0)) this.ref = refAt(v, 0);
        this.emit(v, len, out);
        continue;
      }
      const confirmed = confirmedAt(v, 0);
      if (confirmed === true) {
        this.synced = true;
        this.ref = refAt(v, 0);
        this.skipping = false;
        this.lookedAt = -Infinity;
        continue;
      }
      if (confirmed === false) {
        this.skip(1);
        continue;
      }
      // Not decidable yet (the length points past the data): is there a confirmed frame further on?
      if (v.byteLength - this.lookedAt < LOOKAHEAD_STEP) break;
      this.lookedAt = v.byteLength;
      let p = 1;
      for (; p + CONFIRM_BYTES <= v.byteLength; p++) if (confirmedAt(v, p) === true) break;
      if (p + CONFIRM_BYTES > v.byteLength) break;
      this.skip(p);
      this.lookedAt = -Infinity;
    }
    // Nothing needs more than a frame and its successor's header (a safety net: the loop decides before).
    if (this.q.length > RFC4571_MAX_BUFFERED) this.skip(this.q.length - RFC4571_MAX_BUFFERED);
    this.stats.buffered = this.q.length;
    return out;
  }

  /** Forgets buffered bytes and the synchronisation (a new connection). */
  reset(): void {
    this.q.clear();
    this.synced = false;
    this.ref = undefined;
    this.skipping = false;
    this.lookedAt = -Infinity;
    this.stats.buffered = 0;
  }

  private emit(v: Uint8Array, len: number, out: Uint8Array[]): void {
    out.push(v.slice(2, 2 + len));
    this.q.consume(2 + len);
    this.stats.frames++;
  }

  private skip(n: number): void {
    this.synced = false;
    if (!this.skipping) this.stats.resyncs++;
    this.skipping = true;
    this.stats.skippedBytes += n;
    this.q.consume(n);
    if (this.lookedAt !== -Infinity) this.lookedAt -= n;
  }
}

/** RFC 4571 framing of one packet (for tests and senders). */
export function frameRfc4571(packet: Uint8Array): Uint8Array {
  if (packet.byteLength > RFC4571_MAX_FRAME) throw new RtpError('FIELD_OVERFLOW', `a ${packet.byteLength}-byte packet does not fit RFC 4571's 16-bit length`);
  const out = new Uint8Array(2 + packet.byteLength);
  out[0] = packet.byteLength >> 8;
  out[1] = packet.byteLength & 0xff;
  out.set(packet, 2);
  return out;
}
