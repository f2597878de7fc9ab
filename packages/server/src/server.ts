import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { resolve } from 'node:path';
import { WebSocketServer } from 'ws';
import { DEFAULT_VHOST, PortPool, StreamRegistry, validateStreamKeyPart, type MediaSource, type StreamKey } from '@sluice/core';
import { ConfigError, type Config } from './config.js';
import { RtpServerManager } from './rtp/rtp-server-manager.js';
import { REMUX_MODES, isRemuxMode, type RemuxMode } from './workers/remux-path.js';
import { registerRtpApi } from './api/rtp-handlers.js';
import { Logger } from './log.js';
import { ApiRouter, secretMatches } from './api/router.js';
import { registerApi } from './api/handlers.js';
import { ProxyManager } from './proxy/manager.js';
import type { PullSource } from './sources/pull-source.js';
import { runRtmpPull } from './sources/rtmp-source.js';
import { runRtspPull } from './sources/rtsp-source.js';
import { Fmp4Streams } from './outputs/fmp4-stream.js';
import { serveHttpFmp4 } from './outputs/http-fmp4.js';
import { serveWsFmp4 } from './outputs/ws-fmp4.js';
import { HlsOutput } from './outputs/hls-output.js';
import { serveStatic } from './outputs/static-files.js';
import { startWebTransportOutput, type WebTransportOutput } from './outputs/webtransport.js';
import { readFileSync } from 'node:fs';
import { resolveSecret } from './secret.js';
import { FileProxyStore } from './store/file-store.js';
import type { ProxyStore } from './store/proxy-store.js';
import { HookDispatcher, type HookName } from './hooks/dispatcher.js';
import { NoneReaderWatch } from './proxy/none-reader.js';
import type { StreamProxy } from './proxy/stream-proxy.js';
import { maskUrl, OriginType, type Origin } from './api/media-info.js';
import { VERSION } from './version.js';
import { createMetrics } from './metrics.js';
import type { Registry as MetricsRegistry } from 'prom-client';

const LIVE_MP4_SUFFIX = '.live.mp4';

export interface SluiceServerOptions {
  config: Config;
  log?: Logger;
  /** Replaces the embedded file store (e.g. a shared store for several nodes). */
  store?: ProxyStore;
}

const HOOK_NAMES = [
  'on_stream_changed',
  'on_stream_none_reader',
  'on_stream_not_found',
  'on_server_started',
  'on_server_keepalive',
  'on_proxy_state_changed',
  'on_play',
  'on_publish',
  'on_rtp_server_timeout',
] as const satisfies readonly HookName[];

/** `rtp_proxy.port_range` "30000-35000" → bounds. */
export function parsePortRange(text: string): { min: number; max: number } {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2]) : NaN;
  if (!m || min < 1024 || max > 65535 || max - min < 1) {
    throw new ConfigError(`config rtp_proxy.port_range: "${text}" is not a range like 30000-35000 within 1024-65535`);
  }
  return { min, max };
}

/** `rtp_proxy.remux`: inline | worker. */
export function parseRemuxMode(text: string): RemuxMode {
  const mode = text.trim().toLowerCase();
  if (!isRemuxMode(mode)) throw new ConfigError(`config rtp_proxy.remux: "${text}" is not one of ${REMUX_MODES.join(', ')}`);
  return mode;
}

/** Why a player could not get a stream: maps to 404 (unknown) or 503 (known, but not available). */
class StreamUnavailable extends Error {
  constructor(
    readonly status: 404 | 503,
    message: string,
  ) {
    super(message);
  }
}

/** The relay process: registry, proxies, HTTP API and outputs on one HTTP server. */
export class SluiceServer {
  readonly config: Config;
  readonly log: Logger;
  readonly registry: StreamRegistry;
  readonly proxies: ProxyManager;
  readonly fmp4: Fmp4Streams;
  readonly hooks: HookDispatcher;
  readonly store: ProxyStore;
  readonly ports: PortPool;
  readonly rtp: RtpServerManager;
  readonly hls: HlsOutput;
  readonly startedAt = Date.now();
  secret = '';
  /** True once the store is restored and the HTTP port is bound (readiness). */
  ready = false;
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private noneReader: NoneReaderWatch | undefined;
  private metrics: MetricsRegistry | undefined;
  webTransport: WebTransportOutput | undefined;
  private keepalive: NodeJS.Timeout | undefined;

  constructor(options: SluiceServerOptions) {
    this.config = options.config;
    this.log =
      options.log ??
      new Logger({ level: this.config['log.level'] as 'info', format: this.config['log.format'] as 'json' });
    this.registry = new StreamRegistry({ maxPendingBytes: this.config['proxy.maxPendingBytes'] });
    const pullers = new Map<string, PullSource>([
      ['rtmp', runRtmpPull],
      ['rtmps', runRtmpPull],
      ['rtsp', runRtspPull],
      ['rtsps', runRtspPull],
    ]);
    const c = this.config;
    this.store = options.store ?? new FileProxyStore(resolve(c['general.dataDir']));
    this.ports = new PortPool({ ...parsePortRange(c['rtp_proxy.port_range']), bindIp: c['http.bindIp'] });
    this.proxies = new ProxyManager(this.registry, pullers, this.store, this.log, c['proxy.startConcurrency'], () =>
      this.ports.allocate(),
    );
    this.hls = new HlsOutput({
      cors: c['http.allow_cross_domains'],
      segmentDurationMs: c['hls.segDur'] * 1000,
      segmentCount: c['hls.segNum'],
      partDurationMs: c['hls.partDurationMS'],
      lowLatency: c['hls.lowLatency'],
      sessionIdleMs: c['hls.sessionIdleMS'],
    });
    this.fmp4 = new Fmp4Streams({ maxPendingBytes: c['proxy.maxPendingBytes'], mergeWriteMs: c['general.mergeWriteMS'] });
    this.rtp = new RtpServerManager(
      this.ports,
      this.registry,
      {
        vhost: DEFAULT_VHOST,
        app: c['rtp_proxy.app'],
        openTimeoutMs: c['rtp_proxy.openTimeoutSec'] * 1000,
        dataTimeoutMs: c['rtp_proxy.timeoutSec'] * 1000,
        remux: parseRemuxMode(c['rtp_proxy.remux']),
      },
      this.log,
    );
    this.hooks = new HookDispatcher({
      enabled: c['hook.enable'],
      mediaServerId: c['general.mediaServerId'],
      urls: Object.fromEntries(HOOK_NAMES.map((n) => [n, c[`hook.${n}` as keyof Config]])) as Partial<Record<HookName, string>>,
      timeoutMs: c['hook.timeoutSec'] * 1000,
      retries: c['hook.retry'],
      retryDelayMs: c['hook.retry_delay'] * 1000,
      maxInFlight: 256,
      log: this.log,
    });
  }

  get port(): number {
    const address = this.http?.address();
    return address && typeof address === 'object' ? address.port : 0;
  }

  async start(): Promise<void> {
    const dataDir = resolve(this.config['general.dataDir']);
    const secret = resolveSecret(this.config['api.secret'], dataDir);
    this.secret = secret.secret;
    if (secret.file) {
      this.log.info(secret.generated ? 'generated an API secret' : 'using the API secret from the data directory', {
        secretFile: secret.file,
      });
    }
    const router = new ApiRouter({
      secret: this.secret,
      maxBodyBytes: this.config['http.maxReqSize'],
      allowCrossDomains: this.config['http.allow_cross_domains'],
      log: this.log,
    });
    registerApi(router, {
      config: this.config,
      registry: this.registry,
      proxies: this.proxies,
      version: VERSION,
      startedAt: this.startedAt,
      originOf: (source) => this.originOf(source),
    });
    registerRtpApi(router, this.rtp, this.config['http.bindIp']);
    if (this.config['metrics.enable']) {
      this.metrics = createMetrics({
        fmp4: this.fmp4,
        registry: this.registry,
        proxies: this.proxies,
        rtp: this.rtp,
        ports: this.ports,
        hooks: this.hooks,
      });
    }
    this.wireEvents();
    const restored = await this.proxies.restore();
    if (restored > 0) this.log.info('restored stream proxies', { count: restored });

    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
    const http = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => {
      this.onRequest(req, res, router).catch((err: Error) => {
        this.log.error('request failed', { url: req.url, err });
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    http.on('clientError', (_err, socket) => socket.destroy());
    this.http = http;
    await new Promise<void>((resolveListen, reject) => {
      http.once('error', reject);
      http.listen(this.config['http.port'], this.config['http.bindIp'], () => {
        http.off('error', reject);
        resolveListen();
      });
    });
    if (this.config['webtransport.enable']) {
      const c = this.config;
      this.webTransport = await startWebTransportOutput(
        {
          host: c['http.bindIp'],
          port: c['webtransport.port'],
          cert: c['webtransport.cert'] ? readFileSync(c['webtransport.cert'], 'utf8') : undefined,
          key: c['webtransport.key'] ? readFileSync(c['webtransport.key'], 'utf8') : undefined,
        },
        {
          fmp4: this.fmp4,
          log: this.log,
          resolveStream: (app, stream, vhost, signal) => this.findSource({ vhost, app, stream }, signal),
        },
      );
      this.log.info('webtransport listening', { port: this.webTransport.port, mode: this.webTransport.mode });
    }
    this.ready = true;
    this.log.info('sluice listening', { host: this.config['http.bindIp'], port: this.port, version: VERSION });
    this.hooks.fire('on_server_started', { ...this.configForHooks() });
    this.keepalive = setInterval(
      () => this.hooks.fire('on_server_keepalive', { data: { streams: this.registry.size, proxies: this.proxies.size } }),
      this.config['hook.alive_interval'] * 1000,
    );
    this.keepalive.unref();
  }

  private async serveMetrics(req: IncomingMessage, res: ServerResponse, url: URL, metrics: MetricsRegistry): Promise<void> {
    if (this.config['metrics.requireSecret']) {
      const auth = req.headers.authorization;
      const header = req.headers['secret'];
      const given =
        url.searchParams.get('secret') ??
        (typeof header === 'string' ? header : undefined) ??
        (auth?.startsWith('Bearer ') ? auth.slice(7) : undefined);
      if (!secretMatches(given, this.secret)) {
        res.writeHead(401, { 'content-type': 'text/plain' });
        res.end('metrics need the API secret\n');
        return;
      }
    }
    const body = await metrics.metrics();
    res.writeHead(200, { 'content-type': metrics.contentType });
    res.end(body);
  }

  private originOf(source: MediaSource): Origin {
    const proxy = this.proxies.get(source.keyString);
    if (proxy) return { type: OriginType.Pull, url: maskUrl(proxy.spec.url) };
    const rtp = source.key.app === this.config['rtp_proxy.app'] ? this.rtp.get(source.key.stream) : undefined;
    if (rtp?.peer) return { type: OriginType.RtpPush, url: `rtp://${rtp.peer.address}:${rtp.peer.port}` };
    return { type: OriginType.Unknown, url: '' };
  }

  private firePlay(source: MediaSource, req: IncomingMessage, protocol: string): void {
    this.hooks.fire('on_play', {
      vhost: source.key.vhost,
      app: source.key.app,
      stream: source.key.stream,
      schema: protocol,
      ip: req.socket.remoteAddress,
      params: new URL(req.url ?? '/', 'http://localhost').search.slice(1),
    });
  }

  private configForHooks(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.config).filter(([k]) => k !== 'api.secret'));
  }

  private wireEvents(): void {
    const streamPayload = (s: MediaSource, regist: boolean): Record<string, unknown> => {
      return {
        regist,
        vhost: s.key.vhost,
        app: s.key.app,
        stream: s.key.stream,
        schema: 'fmp4',
        originType: this.originOf(s).type,
        originUrl: this.originOf(s).url,
        tracks: s.tracks.map((t) => ({ codec: t.codec, codec_string: t.codecString })),
      };
    };
    this.registry.on('registered', (s) => {
      this.log.info('stream registered', { stream: s.keyString });
      this.hooks.fire('on_stream_changed', streamPayload(s, true));
    });
    this.registry.on('unregistered', (s) => {
      this.log.info('stream unregistered', { stream: s.keyString });
      this.hooks.fire('on_stream_changed', streamPayload(s, false));
    });
    this.proxies.on('state', (proxy, to, from, reason) => {
      this.hooks.fire('on_proxy_state_changed', {
        key: proxy.keyString,
        vhost: proxy.key.vhost,
        app: proxy.key.app,
        stream: proxy.key.stream,
        url: maskUrl(proxy.spec.url),
        from,
        to,
        reason: reason ?? null,
        consecutiveFailures: proxy.consecutiveFailures,
        nextRetryAt: proxy.nextRetryAt ? new Date(proxy.nextRetryAt).toISOString() : null,
      });
    });
    this.rtp.on('publish', (server, peer) => {
      const payload = {
        vhost: server.spec.key.vhost,
        app: server.spec.key.app,
        stream: server.spec.key.stream,
        schema: 'rtp',
        ip: peer.address,
        port: peer.port,
        params: '',
        id: server.spec.streamId,
      };
      if (!this.hooks.has('on_publish')) return;
      // The stream starts at once; a platform that refuses it (code != 0) closes it.
      void this.hooks.call('on_publish', payload).then((reply) => {
        if (reply && typeof reply.code === 'number' && reply.code !== 0) {
          this.log.warn('on_publish refused an RTP stream', { stream: server.spec.streamId, code: reply.code });
          server.close('refused by on_publish');
        }
      });
    });
    this.rtp.on('timeout', (server, reason) => {
      this.hooks.fire('on_rtp_server_timeout', {
        local_port: server.port,
        re_use_port: false,
        ssrc: server.ssrc,
        stream_id: server.spec.streamId,
        tcp_mode: server.spec.tcpMode,
        reason,
      });
    });
    this.noneReader = new NoneReaderWatch(
      this.registry,
      this.proxies,
      this.hooks,
      this.config['general.streamNoneReaderDelayMS'],
      this.log,
    );
  }

  async stop(): Promise<void> {
    this.ready = false;
    clearInterval(this.keepalive);
    this.noneReader?.dispose();
    await this.proxies.shutdown('server shutting down');
    await this.rtp.closeAll('server shutting down');
    this.hls.close();
    await this.webTransport?.close();
    for (const source of this.registry.list()) this.registry.remove(source.key, 'server shutting down');
    for (const client of this.wss?.clients ?? []) client.terminate();
    this.wss?.close();
    const http = this.http;
    if (http) {
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    }
    this.log.info('sluice stopped');
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse, router: ApiRouter): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (router.matches(url.pathname)) return router.handle(req, res, url);
    const cors = this.config['http.allow_cross_domains'];
    if (url.pathname === '/healthz' || url.pathname === '/readyz') {
      const ok = url.pathname === '/healthz' || this.ready;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : 'not ready\n');
      return;
    }
    if (url.pathname === '/metrics' && this.metrics) return this.serveMetrics(req, res, url, this.metrics);
    if (req.method === 'GET' && serveStatic(url.pathname, res)) return;
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': '*',
      });
      res.end();
      return;
    }
    const key = this.liveMp4Key(url);
    if (key && (req.method === 'GET' || req.method === 'HEAD')) {
      const source = await this.sourceForPlayer(key, req, res);
      if (!source) return;
      this.firePlay(source, req, 'http-fmp4');
      serveHttpFmp4(req, res, source, this.fmp4, cors);
      return;
    }
    const hls = this.hlsRequest(url);
    if (hls && (req.method === 'GET' || req.method === 'HEAD')) {
      const source = await this.sourceForPlayer(hls.key, req, res);
      if (!source) return;
      if (hls.rest === 'hls.m3u8') this.firePlay(source, req, 'hls');
      await this.hls.serve(req, res, source, hls.rest, url);
      return;
    }
    notFound(res, 'not found');
  }

  /**
   * findSource for an HTTP player: answers 404/503 itself (with the reason) and
   * returns undefined when there is no stream, or when the player left while waiting.
   */
  private async sourceForPlayer(key: StreamKey, req: IncomingMessage, res: ServerResponse): Promise<MediaSource | undefined> {
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      const source = await this.findSource(key, abort.signal, req);
      return abort.signal.aborted ? undefined : source;
    } catch (err) {
      if (abort.signal.aborted) return undefined;
      const status = err instanceof StreamUnavailable ? err.status : 503;
      const cors = this.config['http.allow_cross_domains'] ? { 'access-control-allow-origin': '*' } : {};
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...cors });
      res.end(`${(err as Error).message}\n`);
      return undefined;
    }
  }

  /** `/<app>/<stream>/hls.m3u8` or `/<app>/<stream>/hls/<sid>/<file>` → stream key and the HLS part of the path. */
  private hlsRequest(url: URL): { key: StreamKey; rest: string } | undefined {
    const parts = url.pathname.split('/').slice(1).map(safeDecode);
    if (parts.some((p) => p === undefined)) return undefined;
    if (!(parts.length === 3 && parts[2] === 'hls.m3u8') && !(parts.length === 5 && parts[2] === 'hls')) return undefined;
    const key = { vhost: url.searchParams.get('vhost') || DEFAULT_VHOST, app: parts[0]!, stream: parts[1]! };
    for (const part of ['vhost', 'app', 'stream'] as const) if (validateStreamKeyPart(part, key[part])) return undefined;
    return { key, rest: parts.slice(2).join('/') };
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const key = this.liveMp4Key(url);
    if (!key) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const abort = new AbortController();
    socket.once('close', () => abort.abort());
    this.findSource(key, abort.signal, req).then(
      (source) => {
        if (abort.signal.aborted) return;
        this.firePlay(source, req, 'ws-fmp4');
        this.wss!.handleUpgrade(req, socket, head, (ws) => serveWsFmp4(ws, socket as Socket, source, this.fmp4));
      },
      (err: Error) => {
        if (abort.signal.aborted) return;
        const status = err instanceof StreamUnavailable ? err.status : 503;
        const text = status === 404 ? 'Not Found' : 'Service Unavailable';
        socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      },
    );
  }

  /** `/<app>/<stream>.live.mp4[?vhost=]` → stream key, or undefined for any other path. */
  private liveMp4Key(url: URL): StreamKey | undefined {
    if (!url.pathname.endsWith(LIVE_MP4_SUFFIX)) return undefined;
    const path = safeDecode(url.pathname.slice(1, -LIVE_MP4_SUFFIX.length));
    if (path === undefined) return undefined;
    const slash = path.indexOf('/');
    if (slash <= 0) return undefined;
    const key = { vhost: url.searchParams.get('vhost') || DEFAULT_VHOST, app: path.slice(0, slash), stream: path.slice(slash + 1) };
    for (const part of ['vhost', 'app', 'stream'] as const) if (validateStreamKeyPart(part, key[part])) return undefined;
    return key;
  }

  /**
   * The stream for a player. Ready: at once. A proxy that is idle (on-demand)
   * or failed is started; one connecting or retrying is waited for. An unknown
   * stream gets `on_stream_not_found`, and the player waits in case the
   * platform creates it. Every wait is bounded by general.maxStreamWaitMS.
   */
  private async findSource(key: StreamKey, signal: AbortSignal, req?: IncomingMessage): Promise<MediaSource> {
    const ready = this.registry.get(key);
    if (ready?.ready) return ready;
    const keyString = `${key.vhost}/${key.app}/${key.stream}`;
    if (!this.proxies.get(key) && !ready) {
      if (!this.hooks.has('on_stream_not_found')) throw new StreamUnavailable(404, `stream ${key.app}/${key.stream} not found`);
      this.hooks.fire('on_stream_not_found', {
        vhost: key.vhost,
        app: key.app,
        stream: key.stream,
        schema: 'fmp4',
        ip: req?.socket.remoteAddress,
        params: req ? new URL(req.url ?? '/', 'http://localhost').search.slice(1) : '',
      });
    }
    const timeoutMs = this.config['general.maxStreamWaitMS'];
    return new Promise<MediaSource>((resolvePromise, reject) => {
      const local = new AbortController();
      const finish = (): void => {
        local.abort();
        signal.removeEventListener('abort', onAbort);
        this.proxies.off('added', onAdded);
        watched?.off('state', onState);
      };
      const onAbort = (): void => {
        finish();
        reject(new StreamUnavailable(503, 'player went away'));
      };
      let watched: StreamProxy | undefined;
      const onState = (to: string): void => {
        // An on-demand start that fails answers the waiting player now, with the reason.
        if ((to === 'retrying' || to === 'failed') && watched) {
          const reason = watched.lastError ?? to;
          finish();
          reject(new StreamUnavailable(503, `stream ${key.app}/${key.stream} is unavailable: ${reason}`));
        }
      };
      const watch = (proxy: StreamProxy): void => {
        if (watched) return;
        watched = proxy;
        proxy.on('state', onState);
        if (proxy.state === 'idle' || proxy.state === 'failed') proxy.start();
      };
      const onAdded = (proxy: StreamProxy): void => {
        if (proxy.keyString === keyString) watch(proxy);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.proxies.on('added', onAdded);
      const existing = this.proxies.get(key);
      if (existing) watch(existing);
      this.registry.waitReady(key, { timeoutMs, signal: local.signal }).then(
        (source) => {
          finish();
          resolvePromise(source);
        },
        () => {
          if (local.signal.aborted) return;
          finish();
          reject(new StreamUnavailable(watched ? 503 : 404, `stream ${key.app}/${key.stream} not ready within ${timeoutMs} ms`));
        },
      );
    });
  }
}

/** decodeURIComponent that answers undefined for malformed escapes (a client must not crash the server). */
function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function notFound(res: ServerResponse, message: string): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message + '\n');
}
