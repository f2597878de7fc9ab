/**
 * MPEG-2 systems timestamps: the 33-bit PTS / DTS of a PES header on the 90 kHz
 * system clock, and the program timeline built from them.
 *
 * Specification: ISO/IEC 13818-1 section 2.4.3.7 (PTS, DTS) and 2.4.2.1 (system
 * time clock)
 *
 *   | prefix (4) | TS[32..30] (3) | marker (1) |
 *   |        TS[29..15] (15)       | marker (1) |
 *   |        TS[14..0]  (15)       | marker (1) |
 *
 * Values are assembled with `*` and `+`: 33 bits do not fit the 32-bit integers of
 * JavaScript's bitwise operators. The marker bits are not checked: some encoders
 * get them wrong, and nothing depends on them.
 */
import { ByteReader } from '@sluice/codec';
import { TimestampUnwrapper } from './sequence.js';

/** 2^33: PTS / DTS / SCR base wrap here (about 26.5 hours at 90 kHz). */
export const PTS_MODULUS = 2 ** 33;

/** Reads a 5-byte PTS or DTS field (its 4-bit prefix is the caller's business). */
export function readTimestamp(r: ByteReader): number {
  const b0 = r.u8();
  const mid = r.u16();
  const low = r.u16();
  return ((b0 >> 1) & 0x07) * 2 ** 30 + (mid >> 1) * 2 ** 15 + (low >> 1);
}

/** The 4-bit prefix of a PTS / DTS field ('0010' PTS only, '0011' PTS of a pair, '0001' DTS). */
export function timestampPrefix(byte: number): number {
  return byte >> 4;
}

/**
 * A decoding time going back further than this (1 s) is a restart of the sender's
 * clock (a camera reboot, a new sender after an SSRC change), not jitter: decoding
 * times never go back in a valid stream, so anything beyond a rounding glitch means
 * a new timeline.
 */
export const CLOCK_RESTART_THRESHOLD = 90_000;

/**
 * One program's clock: 33-bit PTS/DTS → unwrapped 90 kHz values shared by all its
 * streams (one unwrapper per clock keeps audio and video in step across a wrap),
 * plus an offset that a sender clock restart moves so that time keeps going
 * forward. Streams hold unwrapped values and add `offset` when they emit, so a
 * rebase seen by one stream applies to all.
 */
export class ProgramTimeline {
  private readonly unwrapper = new TimestampUnwrapper(33);
  /** Added to every unwrapped value on output. */
  offset = 0;
  /** Times the offset moved because the sender's clock jumped back. */
  restarts = 0;

  unwrap(ts33: number): number {
    return this.unwrapper.unwrap(ts33);
  }

  /** The sender's clock went back by `by` ticks: shift everything from now on by `by + step`. */
  rebase(by: number, step: number): void {
    this.offset += by + step;
    this.restarts++;
  }

  reset(): void {
    this.unwrapper.reset();
    this.offset = 0;
  }
}
