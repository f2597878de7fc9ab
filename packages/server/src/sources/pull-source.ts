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
  /** RTSP transport choice (0 TCP, 1 UDP); ignored by RTMP. */
  readonly rtpType: number;
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
