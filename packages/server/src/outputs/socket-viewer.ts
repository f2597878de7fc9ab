import type { Socket } from 'node:net';
import type { FanoutSubscriber } from '@sluice/core';
import type { Fmp4Batch } from './fmp4-stream.js';
import type { OutputStats } from './output-stats.js';

/**
 * Writes fMP4 chunks straight to a TCP socket (after the HTTP headers): one
 * corked burst per fragment so moof, mdat header and payload leave in one
 * writev, with no per-viewer copy of the payload. Node's chunked `res.write`
 * costs a third more CPU per viewer (see shared performance notes), and a live
 * stream has no length to chunk anyway: the body ends when the connection does.
 */
export class SocketViewer implements FanoutSubscriber<Fmp4Batch> {
  private lastInit: Uint8Array | undefined;
  bytesOut = 0;

  constructor(
    private readonly socket: Socket,
    private readonly stats: OutputStats,
  ) {}

  deliver(batch: Fmp4Batch): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    if (batch.init !== this.lastInit) {
      // First batch, or new codec parameters: the init segment goes first, in the same burst.
      this.lastInit = batch.init;
      socket.cork();
      socket.write(batch.init);
      socket.write(batch.data);
      socket.uncork();
      this.bytesOut += batch.init.byteLength;
      this.stats.bytesOut += batch.init.byteLength;
    } else {
      socket.write(batch.data);
    }
    this.bytesOut += batch.byteLength;
    this.stats.bytesOut += batch.byteLength;
  }

  pendingBytes(): number {
    return this.socket.writableLength;
  }
}
