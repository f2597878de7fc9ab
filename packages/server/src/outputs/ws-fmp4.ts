import type { MediaSource } from '@sluice/core';
import type { FanoutSubscriber } from '@sluice/core';
import type { WebSocket } from 'ws';
import type { Fmp4Batch, Fmp4Streams } from './fmp4-stream.js';
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
  const handle = source.addViewer({ protocol: 'ws-fmp4', remoteAddress });
  const subscription = streams.for(source).subscribe(new WsViewer(ws, outputStats(source)));
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    subscription.release();
    handle.release();
    source.off('close', onSourceClose);
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'stream closed');
  };
  const onSourceClose = (): void => end();
  source.on('close', onSourceClose);
  ws.on('close', end);
  ws.on('error', end);
  // Viewers send nothing; anything they do send is ignored.
  ws.on('message', () => undefined);
}
