import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaSource } from '@sluice/core';
import type { Fmp4Streams } from './fmp4-stream.js';
import { Fmp4ViewerAttachment } from './fmp4-viewer.js';
import { SocketViewer } from './socket-viewer.js';
import { outputStats } from './output-stats.js';

/**
 * Progressive HTTP fMP4 (`/<app>/<stream>.live.mp4`): headers, then the init
 * segment and fragments from the latest keyframe, until either side closes.
 */
export function serveHttpFmp4(
  req: IncomingMessage,
  res: ServerResponse,
  source: MediaSource,
  streams: Fmp4Streams,
  cors: boolean,
): void {
  // No Content-Length and no chunking: the connection closing ends the body.
  res.useChunkedEncodingByDefault = false;
  res.shouldKeepAlive = false;
  res.writeHead(200, {
    'content-type': 'video/mp4',
    'cache-control': 'no-cache, no-store',
    ...(cors ? { 'access-control-allow-origin': '*' } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.flushHeaders();
  const socket = res.socket!;
  socket.setNoDelay(true);
  const viewer = new SocketViewer(socket, outputStats(source));
  const end = (): void => {
    if (attachment.detach() && !socket.destroyed) res.end();
  };
  const attachment = new Fmp4ViewerAttachment(source, streams, viewer, { protocol: 'http-fmp4', remoteAddress: socket.remoteAddress }, end);
  socket.on('close', end);
  socket.on('error', end);
}
