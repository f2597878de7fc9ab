import { CodecError, TruncatedError, type MediaFrame, type Track } from '@sluice/codec';

/** Where a protocol adapter delivers what it pulled. */
export interface IngestSink {
  setTracks(tracks: readonly Track[]): void;
  pushFrame(frame: MediaFrame): void;
}

export interface PullContext {
  readonly url: string;
  readonly signal: AbortSignal;
  /** Bound on connect + handshake + play. */
  readonly timeoutMs: number;
  readonly sink: IngestSink;
  /** Bytes read from the upstream so far are added here. */
  addBytesIn(n: number): void;
  /**
   * The upstream sent something unusable (a malformed sequence header, a frame
   * that does not parse): it was skipped. Counted and logged (rate-limited) by
   * the proxy; the session goes on.
   */
  badMedia(reason: string): void;
  /** RTSP transport choice (0 TCP, 1 UDP, 2 automatic: UDP, falling back to TCP); ignored by RTMP. */
  readonly rtpType: number;
  /** RTSP credentials when not in the URL (rtsp_user / rtsp_pwd). */
  readonly user?: string;
  readonly password?: string;
  /** Bound RTP/RTCP port pairs for RTSP over UDP, from the relay's port pool. */
  readonly udpPorts?: () => Promise<UdpPortPair>;
}

export interface UdpPortPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: import('node:dgram').Socket;
  readonly rtcp: import('node:dgram').Socket;
  release(): void;
}

/**
 * A pull source runs one upstream session: it resolves when the upstream ends
 * cleanly and rejects with the reason otherwise. The proxy supervisor decides
 * what happens next (retry, fail, idle). Cancellation is the context's signal.
 */
export type PullSource = (ctx: PullContext) => Promise<void>;

export class UpstreamEndedError extends Error {
  override readonly name = 'UpstreamEndedError';
}

/**
 * A failure that retrying cannot fix (wrong credentials): the proxy goes to
 * `failed` at once instead of retrying, so a misconfigured camera neither spins
 * nor locks its account with repeated bad logins.
 */
export function isPermanentFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'AUTH_FAILED';
}

/**
 * Runs a protocol adapter's media handlers, which the clients call from inside
 * their socket handlers, where a throw would escape into Node's event loop and
 * end the process with every stream in it. Media that does not parse (a
 * CodecError or TruncatedError: a malformed sequence header, a bad
 * AudioSpecificConfig) is
 * reported through `ctx.badMedia` and skipped; anything else ends this session
 * through `endSession` (the proxy reconnects) and is kept in `error` as its reason.
 */
export class MediaHandlerGuard {
  error: Error | undefined;

  constructor(
    private readonly ctx: Pick<PullContext, 'badMedia'>,
    private readonly endSession: () => void,
  ) {}

  wrap<T>(handle: (value: T) => void): (value: T) => void {
    return (value) => {
      if (this.error) return;
      try {
        handle(value);
      } catch (err) {
        if (err instanceof CodecError || err instanceof TruncatedError) {
          this.ctx.badMedia(err.message);
          return;
        }
        this.error = new Error(`could not relay the upstream's media: ${(err as Error).message}`, { cause: err });
        this.endSession();
      }
    };
  }
}
