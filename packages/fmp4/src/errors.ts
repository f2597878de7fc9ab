/**
 * Errors thrown by the fMP4 writer. They all mean the caller handed in something
 * the format cannot carry (a programming error upstream, not a per-packet
 * problem), so they throw instead of being counted.
 */
export type Fmp4ErrorCode =
  /** An init segment was asked for without tracks. */
  | 'NO_TRACKS'
  /** A track id is not a 32-bit integer >= 1, or is used twice in one init segment. */
  | 'BAD_TRACK_ID'
  /** A fragment has no samples at all. */
  | 'EMPTY_FRAGMENT'
  /** A timestamp or duration does not fit its field (negative, fractional, or too large). */
  | 'BAD_TIMESTAMP'
  /** A field that is 32 bits wide on the wire got a value that does not fit. */
  | 'FIELD_OVERFLOW'
  /** `writeTo` was handed a buffer too small for the box. */
  | 'BUFFER_TOO_SMALL';

export class Fmp4Error extends Error {
  override readonly name = 'Fmp4Error';
  constructor(
    readonly code: Fmp4ErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
