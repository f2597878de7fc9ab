import type { MediaSource } from '@sluice/core';
import type { FanoutSubscriber } from '@sluice/core';
import type { WebSocket } from 'ws';
import type { Fmp4Batch, Fmp4Streams } from './fmp4-stream.js';
import { Fmp4ViewerAttachment } from './fmp4-viewer.js';
import { outputStats, type OutputStats } from './output-stats.js';

/** WebSocket fMP4: the init segment, then one binary message per batch of fragments. */
class WsViewer implements FanoutSubscriber<Fmp4Batch> {
  private lastInit: Uint8Array | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly stats: OutputStats,
  ) {}

  deliver(batch: Fmp4Batch): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (batch.init !== this.lastInit) {
      this.lastInit = batch.init;
      this.ws.send(batch.init, { binary: true });
      this.stats.bytesOut += batch.init.byteLength;
    }
    // One message per batch (one or more whole fragments): MSE appends them as they come.
    this.ws.send(batch.data, { binary: true });
    this.stats.bytesOut += batch.byteLength;
  }

  pendingBytes(): number {
    return this.ws.bufferedAmount;
  }
}

export function serveWsFmp4(ws: WebSocket, source: MediaSource, streams: Fmp4Streams, remoteAddress?: string): void {
  const end = (): void => {
    if (!attachment.detach()) return;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'stream closed');
  };
  const attachment = new Fmp4ViewerAttachment(source, streams, new WsViewer(ws, outputStats(source)), { protocol: 'ws-fmp4', remoteAddress }, end);
  ws.on('close', end);
  ws.on('error', end);
  // Viewers send nothing; anything they do send is ignored.
  ws.on('message', () => undefined);
}
