import type { Socket } from 'node:net';
import type { FanoutSubscriber } from '@sluice/core';
import type { Fmp4Batch } from './fmp4-stream.js';
import type { OutputStats } from './output-stats.js';

/**
 * What a transport writes for one message: the bytes themselves (HTTP), or them
 * in a frame (WebSocket); undefined when the transport takes no more messages.
 */
export type WireForm = (message: Buffer) => Buffer | undefined;

const asIs: WireForm = (message) => message;

/**
 * Writes fMP4 batches straight to a TCP socket (after the HTTP headers or the
 * WebSocket handshake): one write per batch of the buffer the stream joined
 * once for all viewers, no per-viewer copy. Node's chunked `res.write` costs a
 * third more CPU per viewer (see shared performance notes), and a live stream
 * has no length to chunk anyway: an HTTP body ends when the connection does.
 */
export class SocketViewer implements FanoutSubscriber<Fmp4Batch> {
  private lastInit: Uint8Array | undefined;
  bytesOut = 0;

  constructor(
    private readonly socket: Socket,
    private readonly stats: OutputStats,
    /** Must return the same buffer for the same message to every viewer (no per-viewer work). */
    private readonly wire: WireForm = asIs,
  ) {}

  deliver(batch: Fmp4Batch): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    const data = this.wire(batch.data);
    if (data === undefined) return;
    if (batch.init !== this.lastInit) {
      // First batch, or new codec parameters: the init segment goes first, in the same burst.
      this.lastInit = batch.init;
      socket.cork();
      socket.write(this.wire(batch.init)!);
      socket.write(data);
      socket.uncork();
      this.bytesOut += batch.init.byteLength;
      this.stats.bytesOut += batch.init.byteLength;
    } else {
      socket.write(data);
    }
    this.bytesOut += batch.byteLength;
    this.stats.bytesOut += batch.byteLength;
  }

  pendingBytes(): number {
    return this.socket.writableLength;
  }
}
