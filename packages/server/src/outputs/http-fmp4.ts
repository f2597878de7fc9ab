import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MediaSource } from '@sluice/core';
import type { Fmp4Streams } from './fmp4-stream.js';
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
  const handle = source.addViewer({ protocol: 'http-fmp4', remoteAddress: socket.remoteAddress });
  const subscription = streams.for(source).subscribe(viewer);
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    subscription.release();
    handle.release();
    source.off('close', onSourceClose);
    if (!socket.destroyed) res.end();
  };
  const onSourceClose = (): void => end();
  source.on('close', onSourceClose);
  socket.on('close', end);
  socket.on('error', end);
}
