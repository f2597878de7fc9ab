/**
 * Typed errors of @sluice/rtp-receiver, with stable codes callers can switch on.
 *
 * Parsers (`parseRtpPacket`, the PS / PES / TS / PSI header parsers) throw them for
 * input they cannot read. The receivers and demuxers never let them escape: a bad
 * packet there is a per-packet problem and goes to a counter. What reaches a
 * caller as an error is connection-level (a TCP connection that fails or closes,
 * a bad option).
 */
export type RtpErrorCode =
  /** Not a valid RTP packet (version != 2, truncated header, padding longer than the payload...). */
  | 'BAD_RTP'
  /** A program stream structure (pack header, system header, PSM) that cannot be read. */
  | 'BAD_PS'
  /** A PES packet header that cannot be read. */
  | 'BAD_PES'
  /** A transport stream packet, adaptation field or PSI section that cannot be read. */
  | 'BAD_TS'
  /** A field handed to a writer does not fit on the wire. */
  | 'FIELD_OVERFLOW'
  /** An option outside its allowed range (named in the message). */
  | 'BAD_OPTION'
  /** An active TCP connection to the sender could not be made (refused, unreachable, timed out, aborted). */
  | 'CONNECT_FAILED'
  /** An established TCP connection failed or was closed by the peer. */
  | 'CONNECTION_LOST';

export class RtpError extends Error {
  override readonly name = 'RtpError';
  constructor(
    readonly code: RtpErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${message}`, options);
  }
}
