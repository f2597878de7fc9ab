/**
 * The one error type of this package for connection-level failures. A `code` is
 * stable and meant for programs (the relay decides on retries and status from it);
 * the message is for people. Per-packet problems never throw out of the player:
 * they go to counters (see `RtspPlayer.stats`).
 */
export type RtspErrorCode =
  /** The URL is not rtsp:// or rtsps://, or cannot be parsed. */
  | 'BAD_URL'
  /** 401 after we sent credentials (or no credentials to send); `reason` is the server's reason phrase. */
  | 'AUTH_FAILED'
  /** 404 (or 454 Session Not Found while setting up). */
  | 'NOT_FOUND'
  /** Another non-2xx status; `status` and `reason` say which. */
  | 'REQUEST_FAILED'
  /** A response (or SDP) that cannot be parsed or breaks a cap (header block, body size). */
  | 'BAD_RESPONSE'
  /**
   * A packet parser (RTCP) was given something that is not that packet. Only
   * callers of the parsers see it: the player counts such packets in
   * `stats.badPackets` and never ends a session for one.
   */
  | 'BAD_PACKET'
  /** No usable track in the SDP (none we can depacketize). */
  | 'NO_TRACKS'
  /** More 3xx redirects than MAX_REDIRECTS, or a redirect without Location. */
  | 'TOO_MANY_REDIRECTS'
  /** Connect, a request, or the whole setup took longer than `timeoutMs`. */
  | 'TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'ABORTED'
  /** close() was called while start() was pending. */
  | 'CLOSED'
  /** TCP/TLS connect failed, or the socket errored; UDP sockets failed to bind. */
  | 'SOCKET'
  /** The server closed the RTSP connection. */
  | 'CLOSED_BY_PEER'
  /** 461 Unsupported Transport, or a SETUP reply with a transport we did not ask for. */
  | 'UNSUPPORTED_TRANSPORT'
  /** The session expired: a keep-alive got 454 Session Not Found, or no answer. */
  | 'SESSION_TIMEOUT'
  /** The server ended the session: RTCP BYE, or a TEARDOWN request from the server. */
  | 'TEARDOWN_BY_SERVER';

export interface RtspErrorDetails {
  /** The RTSP status code of the response that caused the error. */
  readonly status?: number;
  /** Its reason phrase, e.g. `Unauthorized`. */
  readonly reason?: string;
  readonly cause?: unknown;
}

export class RtspError extends Error {
  override readonly name = 'RtspError';
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(
    readonly code: RtspErrorCode,
    message: string,
    details: RtspErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.reason = details.reason;
  }
}
