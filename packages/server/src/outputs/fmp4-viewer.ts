import type { FanoutSubscriber, FanoutSubscription, MediaSource, ViewerHandle, ViewerInfo } from '@sluice/core';
import type { Fmp4Batch, Fmp4Streams } from './fmp4-stream.js';

/**
 * One viewer attached to a stream's fMP4 output, the same for every transport
 * (HTTP, WebSocket, WebTransport): counted as a reader of the stream,
 * subscribed to its fan-out (which replays the cached group from its keyframe
 * at once), and detached exactly once, whichever ends first: the viewer's
 * transport (`detach`) or the stream (`onStreamClose` is called, then the
 * transport is expected to call `detach`).
 */
export class Fmp4ViewerAttachment {
  private readonly handle: ViewerHandle;
  private readonly subscription: FanoutSubscription;
  private detached = false;
  private readonly onClose = (): void => this.onStreamClose();

  constructor(
    private readonly source: MediaSource,
    streams: Fmp4Streams,
    viewer: FanoutSubscriber<Fmp4Batch>,
    info: ViewerInfo,
    private readonly onStreamClose: () => void,
  ) {
    this.handle = source.addViewer(info);
    source.on('close', this.onClose);
    this.subscription = streams.for(source).subscribe(viewer);
    // The replay inside subscribe may already have failed the viewer and detached it.
    if (this.detached) this.subscription.release();
  }

  /** Stops delivery and the reader count; false when it was already detached. */
  detach(): boolean {
    if (this.detached) return false;
    this.detached = true;
    // Undefined only while the constructor is still subscribing (see there).
    (this.subscription as FanoutSubscription | undefined)?.release();
    this.handle.release();
    this.source.off('close', this.onClose);
    return true;
  }
}
