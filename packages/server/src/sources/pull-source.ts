import type { MediaFrame, Track } from '@sluice/codec';

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
