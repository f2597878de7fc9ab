/**
 * Wrap-aware unwrapping of the RTP sequence number (16 bits), the RTP timestamp
 * (32 bits) and the MPEG PTS/DTS (33 bits) into plain, monotonic JavaScript numbers.
 *
 * Specification: RFC 3550 appendix A.1 (extended sequence numbers: cycles of 2^16
 * added when the sequence wraps, a packet slightly "behind" after a wrap belongs to
 * the previous cycle); ISO/IEC 13818-1 section 2.4.3.7 (PTS/DTS modulo 2^33).
 *
 * Each value is placed in the cycle that puts it nearest to the reference (the
 * highest sequence number seen / the last timestamp seen): within half the range
 * forward it is ahead, otherwise behind. Arithmetic only (`*`, `+`, `%`), no bitwise
 * operators: 2^32 and 2^33 do not fit the 32-bit integers those operators use.
 */

/** The signed distance from `from` to `to` on a circle of `modulus` values, in [-modulus/2, modulus/2). */
export function wrapDelta(from: number, to: number, modulus: number): number {
  const half = modulus / 2;
  let d = (((to - from) % modulus) + modulus) % modulus;
  if (d >= half) d -= modulus;
  return d;
}

class WrapUnwrapper {
  private ref: number | undefined;

  constructor(
    private readonly modulus: number,
    /** true: the reference only moves forward (sequence numbers); false: it follows the last value (timestamps). */
    private readonly followHighest: boolean,
  ) {}

  unwrap(value: number): number {
    const m = this.modulus;
    // Wire values are integers in range already (once per packet: skip the two modulo operations).
    const v = value >= 0 && value < m && Number.isInteger(value) ? value : ((Math.trunc(value) % m) + m) % m;
    if (this.ref === undefined) {
      this.ref = v;
      return v;
    }
    const refMod = ((this.ref % this.modulus) + this.modulus) % this.modulus;
    const ext = this.ref + wrapDelta(refMod, v, this.modulus);
    if (!this.followHighest || ext > this.ref) this.ref = ext;
    return ext;
  }

  /** The reference value (highest or last unwrapped), undefined before the first value. */
  get current(): number | undefined {
    return this.ref;
  }

  reset(): void {
    this.ref = undefined;
  }
}

/**
 * 16-bit RTP sequence number → extended sequence number (RFC 3550 A.1: cycles *
 * 65536 + seq). The first value is returned as is; later ones are placed nearest to
 * the highest seen so far, so a wrap 65535 → 0 continues at 65536, and a packet
 * reordered across the wrap maps below it. A packet older than the first one can
 * map below zero.
 */
export class SequenceUnwrapper {
  private readonly inner = new WrapUnwrapper(0x10000, true);
  unwrap(seq16: number): number {
    return this.inner.unwrap(seq16);
  }
  /** The highest extended sequence number seen (RFC 3550 "extended highest sequence number received"). */
  get highest(): number | undefined {
    return this.inner.current;
  }
  reset(): void {
    this.inner.reset();
  }
}

/**
 * An RTP timestamp (32 bits, default) or an MPEG PTS/DTS (`bits` 33) → a monotonic
 * extended value. Each value is placed nearest to the previous one, so the clock can
 * wrap forward (0xffffff00 → 0x00000100 continues at 2^32 + 0x100) and a value from
 * just before the wrap arriving after it (B-frames, audio interleaved with video)
 * maps back below 2^32. One instance per clock.
 */
export class TimestampUnwrapper {
  private readonly inner: WrapUnwrapper;
  constructor(bits: 32 | 33 = 32) {
    this.inner = new WrapUnwrapper(2 ** bits, false);
  }
  unwrap(ts: number): number {
    return this.inner.unwrap(ts);
  }
  reset(): void {
    this.inner.reset();
  }
}
