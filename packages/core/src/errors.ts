/**
 * Errors thrown by `@sluice/core`. Callers branch on `code`, never on `message`:
 * messages are for people and may change, codes are stable.
 */
export type CoreErrorCode =
  /** `StreamRegistry.create` for a key that is already registered. */
  | 'STREAM_EXISTS'
  /** `StreamRegistry.waitReady` gave up after its timeout. */
  | 'TIMEOUT'
  /** `StreamRegistry.waitReady` was cancelled through its AbortSignal. */
  | 'ABORTED'
  /** An operation on a `MediaSource` that has been closed. */
  | 'CLOSED'
  /** A stream key, or one of its parts, that `validateStreamKeyPart` rejects. */
  | 'INVALID_STREAM_KEY'
  /** `MediaSource.setTracks` with no tracks or with duplicate / non-positive ids. */
  | 'INVALID_TRACKS'
  /** An option or argument out of its range (negative byte bound, bad timeout, ...). */
  | 'INVALID_ARGUMENT'
  /** `PortPool.allocate` found no free pair in its whole range. */
  | 'PORTS_EXHAUSTED'
  /** `PortPool.allocate` for an explicit port that is taken (by us or another process). */
  | 'PORT_IN_USE';

export class CoreError extends Error {
  override readonly name = 'CoreError';
  readonly code: CoreErrorCode;

  constructor(code: CoreErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** True when `error` is a CoreError (with the given code, if one is passed). */
export function isCoreError(error: unknown, code?: CoreErrorCode): error is CoreError {
  return error instanceof CoreError && (code === undefined || error.code === code);
}
