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
    socket.cork();
    for (const chunk of batch.chunks) {
      if (chunk.init !== this.lastInit) {
        this.lastInit = chunk.init;
        socket.write(chunk.init);
        this.bytesOut += chunk.init.byteLength;
        this.stats.bytesOut += chunk.init.byteLength;
      }
      for (const b of chunk.buffers) socket.write(b);
    }
    this.bytesOut += batch.byteLength;
    this.stats.bytesOut += batch.byteLength;
    socket.uncork();
  }

  pendingBytes(): number {
    return this.socket.writableLength;
  }
}
