/**
 * Errors the packager hands to the HTTP layer. Each code maps to one status, so
 * the relay answers with `res.statusCode = err.status` and nothing else to decide.
 */
export type HlsErrorCode =
  /** Malformed `_HLS_msn` / `_HLS_part`, or a request too far ahead of the live edge (RFC 8216bis 6.2.5.2). */
  | 'BAD_REQUEST'
  /** A name that is neither published nor the preload-hinted part (RFC 8216bis 6.2.6: "Not Found"). */
  | 'NOT_FOUND'
  /** The part left memory, or the stream ended before the hinted part was made. */
  | 'GONE'
  /** Nothing arrived within the blocking time (RFC 8216bis 6.2.5.2: "Service Unavailable"). */
  | 'TIMEOUT'
  /** The caller's AbortSignal fired (the client went away); nobody reads the status. */
  | 'ABORTED';

const STATUS: Record<HlsErrorCode, number> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  GONE: 410,
  TIMEOUT: 503,
  // nginx's "client closed request": only logs ever see it.
  ABORTED: 499,
};

export class HlsError extends Error {
  override readonly name = 'HlsError';
  readonly status: number;
  constructor(
    readonly code: HlsErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.status = STATUS[code];
  }
}
