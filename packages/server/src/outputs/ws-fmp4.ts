import type { Socket } from 'node:net';
import type { MediaSource } from '@sluice/core';
import type { WebSocket } from 'ws';
import type { Fmp4Streams } from './fmp4-stream.js';
import { Fmp4ViewerAttachment } from './fmp4-viewer.js';
import { outputStats } from './output-stats.js';
import { SocketViewer } from './socket-viewer.js';
import { SharedFrames } from './ws-frame.js';

/** Every WebSocket viewer's frames, shared: a batch is framed once whatever the number of viewers. */
const frames = new SharedFrames();

/**
 * WebSocket fMP4: the init segment, then one binary message per batch of
 * fragments (MSE appends them as they come). `ws` did the handshake and reads
 * what the viewer sends (close, ping); the media frames are written to the
 * upgraded socket directly, framed once per batch for all viewers (ws-frame.ts).
 * Each frame is one socket write, so the pongs and the close frame `ws` writes
 * to the same socket fall between frames, never inside one.
 */
export function serveWsFmp4(ws: WebSocket, socket: Socket, source: MediaSource, streams: Fmp4Streams): void {
  const end = (): void => {
    if (!attachment.detach()) return;
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'stream closed');
  };
  // Nothing after a close frame, ours or the viewer's (RFC 6455, 5.5.1): only an open connection gets media.
  const asFrame = (message: Buffer): Buffer | undefined => (ws.readyState === ws.OPEN ? frames.of(message) : undefined);
  const viewer = new SocketViewer(socket, outputStats(source), asFrame);
  const attachment = new Fmp4ViewerAttachment(source, streams, viewer, { protocol: 'ws-fmp4', remoteAddress: socket.remoteAddress }, end);
  ws.on('close', end);
  ws.on('error', end);
  // Viewers send nothing; anything they do send is ignored.
  ws.on('message', () => undefined);
}
