/**
 * The one error type of this package. A `code` is stable and meant for programs
 * (the relay decides on retries and status from it); the message is for people.
 */
export type RtmpErrorCode =
  /** The URL is not rtmp:// or rtmps://, or has no app or stream name. */
  | 'BAD_URL'
  /** TCP/TLS connect failed or the socket errored. */
  | 'SOCKET'
  /** The server closed the connection. */
  | 'CLOSED_BY_PEER'
  /** The player was closed locally while start() was pending. */
  | 'CLOSED'
  /** Connect + handshake + play did not complete within the timeout. */
  | 'TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'ABORTED'
  /** The server's handshake is not RTMP (wrong version byte). */
  | 'HANDSHAKE'
  /** The chunk stream or a control/command message makes no sense. */
  | 'PROTOCOL'
  /** A message is longer than this client is willing to reassemble. */
  | 'MESSAGE_TOO_LARGE'
  /** `connect` was answered with `_error` or a NetConnection error status. */
  | 'CONNECT_REJECTED'
  /** onStatus `NetStream.Play.StreamNotFound`. */
  | 'STREAM_NOT_FOUND'
  /** Any other error status or `_error` while creating or playing the stream. */
  | 'PLAY_FAILED';

export interface RtmpErrorDetails {
  /** The server's status code, e.g. `NetStream.Play.StreamNotFound`. */
  readonly serverCode?: string;
  /** The server's status description, e.g. `No such stream`. */
  readonly description?: string;
  readonly cause?: unknown;
}

export class RtmpError extends Error {
  override readonly name = 'RtmpError';
  readonly serverCode: string | undefined;
  readonly description: string | undefined;

  constructor(
    readonly code: RtmpErrorCode,
    message: string,
    details: RtmpErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.serverCode = details.serverCode;
    this.description = details.description;
  }
}
