// Specification: RFC 3550, section 5.1: the RTP timestamp is a 32-bit clock that
// wraps. Differences between two nearby timestamps are taken on the circle, with
// arithmetic only (2^32 does not fit the 32-bit integers of bitwise operators).

const MODULUS = 2 ** 32;

/** The signed distance from `from` to `to` (32-bit RTP timestamps), in [-2^31, 2^31). */
export function rtpTimestampDelta(from: number, to: number): number {
  let d = (((to - from) % MODULUS) + MODULUS) % MODULUS;
  if (d >= MODULUS / 2) d -= MODULUS;
  return d;
}
