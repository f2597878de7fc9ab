import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { MediaFrame, Track } from '@sluice/codec';
import type { FanoutSubscription, FrameReader, MediaSource, ViewerHandle } from '@sluice/core';
import { HlsError, HlsPackager, multivariantPlaylist, parseHlsQuery, type HlsOptions } from '@sluice/hls';
import { outputStats } from './output-stats.js';

/**
 * HLS / LL-HLS for every stream, packaged on demand: the first request for a
 * stream starts its packager (fed from the stream's frame fan-out, starting at
 * the cached GOP), and the packager goes away when nobody has asked for it for
 * a while.
 *
 * URLs (ZLMediaKit's entry point, then a per-player session directory):
 *   /<app>/<stream>/hls.m3u8                     multivariant playlist → hls/<sid>/index.m3u8
 *   /<app>/<stream>/hls/<sid>/index.m3u8         media playlist (_HLS_msn/_HLS_part: blocking reload)
 *   /<app>/<stream>/hls/<sid>/init.mp4 | seg-N.m4s | part-N.i.m4s
 *
 * HLS has no connection per viewer; the session id in the path lets Sluice count
 * a player as a viewer while it keeps requesting, so on-demand pulls stay up
 * while someone watches HLS and close after the none-reader delay once they stop.
 */
export interface HlsOutputOptions extends Partial<HlsOptions> {
  cors: boolean;
  /** Sessions idle longer than this stop counting as viewers. */
  sessionIdleMs: number;
}

const SESSION_ID = /^[A-Za-z0-9_-]{8,32}$/;
/** Sessions per stream: bounds memory when clients never reuse their session (each new request to hls.m3u8 makes one). */
const MAX_SESSIONS_PER_STREAM = 10_000;

class HlsStream implements FrameReader {
  readonly packager: HlsPackager;
  private readonly subscription: FanoutSubscription;
  readonly sessions = new Map<string, { lastSeen: number; handle: ViewerHandle }>();
  lastRequestAt = Date.now();

  constructor(
    readonly source: MediaSource,
    options: Partial<HlsOptions>,
  ) {
    this.packager = new HlsPackager(options);
    this.subscription = source.addReader(this);
  }

  onTracks(tracks: readonly Track[]): void {
    this.packager.setTracks(tracks);
  }
  onFrame(frame: MediaFrame): void {
    this.packager.pushFrame(frame);
  }
  onClose(): void {
    this.packager.end();
  }
  pendingBytes(): number {
    return 0;
  }

  touch(sid: string, req: IncomingMessage): boolean {
    const now = Date.now();
    this.lastRequestAt = now;
    const session = this.sessions.get(sid);
    if (session) {
      session.lastSeen = now;
      return true;
    }
    if (this.sessions.size >= MAX_SESSIONS_PER_STREAM || this.source.closed) return false;
    this.sessions.set(sid, {
      lastSeen: now,
      handle: this.source.addViewer({ protocol: 'hls', remoteAddress: req.socket.remoteAddress, id: sid }),
    });
    return true;
  }

  expireSessions(idleMs: number): void {
    const now = Date.now();
    for (const [sid, s] of this.sessions) {
      if (now - s.lastSeen > idleMs) {
        s.handle.release();
        this.sessions.delete(sid);
      }
    }
  }

  close(): void {
    for (const s of this.sessions.values()) s.handle.release();
    this.sessions.clear();
    this.subscription.release();
    this.packager.end();
  }
}

export class HlsOutput {
  private readonly streams = new Map<MediaSource, HlsStream>();
  private readonly sweep: NodeJS.Timeout;

  constructor(private readonly options: HlsOutputOptions) {
    this.sweep = setInterval(() => this.expire(), 1000);
    this.sweep.unref();
  }

  private streamFor(source: MediaSource): HlsStream {
    let s = this.streams.get(source);
    if (!s) {
      s = new HlsStream(source, this.options);
      this.streams.set(source, s);
      source.once('close', () => {
        this.streams.get(source)?.close();
        this.streams.delete(source);
      });
    }
    return s;
  }

  private expire(): void {
    for (const [source, s] of this.streams) {
      s.expireSessions(this.options.sessionIdleMs);
      // No session and no request for a while: stop packaging (the next request starts again).
      if (s.sessions.size === 0 && Date.now() - s.lastRequestAt > this.options.sessionIdleMs) {
        s.close();
        this.streams.delete(source);
      }
    }
  }

  close(): void {
    clearInterval(this.sweep);
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
  }

  /**
   * Serves `rest`, the path after `/<app>/<stream>/`: `hls.m3u8` or
   * `hls/<sid>/<file>`. The caller found the (ready) source.
   */
  async serve(req: IncomingMessage, res: ServerResponse, source: MediaSource, rest: string, url: URL): Promise<void> {
    const stream = this.streamFor(source);
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      if (rest === 'hls.m3u8') {
        const sid = randomBytes(12).toString('base64url');
        await stream.packager.playlistWhenReady(0, undefined, abort.signal);
        const video = source.tracks.find((t) => t.kind === 'video');
        const text = multivariantPlaylist({
          codecs: stream.packager.codecs,
          bandwidth: estimateBandwidth(source),
          width: video?.kind === 'video' ? video.width : undefined,
          height: video?.kind === 'video' ? video.height : undefined,
          mediaUrl: `hls/${sid}/index.m3u8`,
        });
        stream.touch(sid, req);
        return this.send(res, 200, 'application/vnd.apple.mpegurl', [Buffer.from(text)], 'no-cache');
      }
      const m = /^hls\/([^/]+)\/([^/]+)$/.exec(rest);
      if (!m || !SESSION_ID.test(m[1]!)) return this.send(res, 404, 'text/plain', [Buffer.from('not found\n')], 'no-cache');
      const [, sid, file] = m as unknown as [string, string, string];
      if (!stream.touch(sid, req)) return this.send(res, 503, 'text/plain', [Buffer.from('too many HLS sessions\n')], 'no-cache');
      if (file === 'index.m3u8') {
        const { msn, part } = parseHlsQuery(url.searchParams);
        const text =
          msn !== undefined
            ? await stream.packager.playlistWhenReady(msn, part, abort.signal)
            : stream.packager.stats.segments === 0
              ? await stream.packager.playlistWhenReady(0, undefined, abort.signal)
              : stream.packager.playlist();
        return this.send(res, 200, 'application/vnd.apple.mpegurl', [Buffer.from(text)], 'no-cache');
      }
      if (file.startsWith('init')) {
        const init = stream.packager.init(file);
        if (!init) return this.send(res, 404, 'text/plain', [Buffer.from('not found\n')], 'no-cache');
        return this.sendMedia(res, source, [init]);
      }
      if (file.startsWith('seg-')) {
        const seg = stream.packager.segment(file);
        if (!seg) return this.send(res, 404, 'text/plain', [Buffer.from('not found\n')], 'no-cache');
        return this.sendMedia(res, source, seg);
      }
      if (file.startsWith('part-')) {
        // Answers at once for a part that exists; blocks for the preload-hinted one.
        return this.sendMedia(res, source, await stream.packager.partWhenReady(file, abort.signal));
      }
      return this.send(res, 404, 'text/plain', [Buffer.from('not found\n')], 'no-cache');
    } catch (err) {
      if (abort.signal.aborted) return;
      if (err instanceof HlsError) return this.send(res, err.status, 'text/plain', [Buffer.from(`${err.message}\n`)], 'no-cache');
      throw err;
    }
  }

  private sendMedia(res: ServerResponse, source: MediaSource, buffers: readonly Uint8Array[]): void {
    const length = buffers.reduce((n, b) => n + b.byteLength, 0);
    outputStats(source).bytesOut += length;
    // Segment and part names are reused only after the stream restarts: a short cache life is safe.
    this.send(res, 200, 'video/mp4', buffers, 'max-age=6');
  }

  private send(res: ServerResponse, status: number, type: string, buffers: readonly Uint8Array[], cache: string): void {
    if (res.destroyed) return;
    const length = buffers.reduce((n, b) => n + b.byteLength, 0);
    res.writeHead(status, {
      'content-type': type,
      'content-length': length,
      'cache-control': cache,
      ...(this.options.cors ? { 'access-control-allow-origin': '*' } : {}),
    });
    const socket = res.socket;
    socket?.cork();
    for (const b of buffers) res.write(b);
    res.end();
    socket?.uncork();
  }
}

function estimateBandwidth(source: MediaSource): number {
  const seconds = Math.max(1, (Date.now() - source.createdAt) / 1000);
  return Math.max(100_000, Math.round((source.stats.bytesIn * 8) / seconds));
}
