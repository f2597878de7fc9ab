import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isRunning, output, spawnTracked, stop as stopChild } from './child.js';
import { freePort } from './free-port.js';
import { childText, childrenNamed, hasChild, parseXml, type XmlElement } from './xml.js';
import { waitFor } from './wait.js';

/**
 * A throwaway nginx-rtmp origin (Debian's nginx + libnginx-mod-rtmp) for end-to-end
 * tests: foreground, single process, everything (config, pid, logs, temp paths,
 * certificate) in a temp dir, listening on 127.0.0.1 only.
 */

const NGINX = '/usr/sbin/nginx';
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';
const START_TIMEOUT_MS = 10_000;
/** Port races (freePort → nginx bind) are retried this many times with new ports. */
const START_ATTEMPTS = 3;

export interface NginxRtmpOptions {
  /**
   * nginx-rtmp's `idle_streams` (default on: a player of a stream nobody publishes
   * just waits). Off: such a play fails with onStatus NetStream.Play.StreamNotFound.
   */
  readonly idleStreams?: boolean;
  /** Also run an RTMPS front: nginx `stream` TLS termination proxying to the RTMP port. */
  readonly rtmps?: boolean;
  /** Applications with `live on`; default ['live']. */
  readonly apps?: readonly string[];
  /** Fixed ports (e.g. to restart a server where clients reconnect); free ones otherwise. */
  readonly rtmpPort?: number;
  readonly httpPort?: number;
  readonly rtmpsPort?: number;
}

export interface StatStream {
  readonly app: string;
  readonly name: string;
  readonly publishing: boolean;
  /** Clients of the stream that are not publishing. */
  readonly subscribers: number;
}

export interface NginxStat {
  readonly streams: StatStream[];
}

export class NginxRtmp {
  private child: ChildProcess | null = null;
  private dir: string | null = null;

  private constructor(
    readonly rtmpPort: number,
    readonly httpPort: number,
    readonly rtmpsPort: number | undefined,
    private readonly options: NginxRtmpOptions,
  ) {}

  /** Starts nginx; prefer `startNginxRtmp`. */
  static async start(options: NginxRtmpOptions = {}): Promise<NginxRtmp> {
    const fixed = options.rtmpPort !== undefined || options.httpPort !== undefined || options.rtmpsPort !== undefined;
    for (let attempt = 1; ; attempt++) {
      const server = new NginxRtmp(
        options.rtmpPort ?? (await freePort()),
        options.httpPort ?? (await freePort()),
        options.rtmps ? (options.rtmpsPort ?? (await freePort())) : undefined,
        options,
      );
      try {
        await server.launch();
        return server;
      } catch (err) {
        await server.stop();
        const portRace = err instanceof Error && /Address already in use/.test(err.message);
        if (fixed || !portRace || attempt >= START_ATTEMPTS) throw err;
      }
    }
  }

  rtmpUrl(app: string, stream: string): string {
    return `rtmp://127.0.0.1:${this.rtmpPort}/${app}/${stream}`;
  }

  rtmpsUrl(app: string, stream: string): string {
    if (this.rtmpsPort === undefined) throw new Error('nginx-rtmp started without rtmps: true');
    return `rtmps://127.0.0.1:${this.rtmpsPort}/${app}/${stream}`;
  }

  /** Recent nginx log lines (error_log goes to stderr), for failure messages. */
  log(): string {
    return this.child ? output(this.child) : '';
  }

  /** Streams as the `rtmp_stat all` page lists them. */
  async stat(): Promise<NginxStat> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/stat`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`nginx stat: HTTP ${res.status}`);
    return parseRtmpStat(await res.text());
  }

  /** Players of app/stream (0 when the stream is not listed). */
  async subscribers(app: string, stream: string): Promise<number> {
    const s = (await this.stat()).streams.find((x) => x.app === app && x.name === stream);
    return s?.subscribers ?? 0;
  }

  /** Stops nginx (SIGTERM, then SIGKILL) and removes its temp dir. Idempotent. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child !== null) await stopChild(child);
    if (this.dir !== null) await rm(this.dir, { recursive: true, force: true });
    this.dir = null;
  }

  /** Stops and starts again on the same ports (clients see the server go away and come back). */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  private async launch(): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-nginx-rtmp-'));
    this.dir = dir;
    if (this.rtmpsPort !== undefined) await makeSelfSignedCert(dir);
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, this.config(dir));
    const child = spawnTracked(NGINX, ['-p', `${dir}/`, '-c', conf, '-e', 'stderr'], { name: 'nginx' });
    this.child = child;
    const state = await waitFor(
      async () => {
        if (!isRunning(child)) return 'exited';
        await this.stat(); // throws until nginx listens; waitFor polls again
        return 'ready';
      },
      START_TIMEOUT_MS,
      'nginx-rtmp to serve /stat',
    );
    // The exit reason (e.g. "bind() … failed (98: Address already in use)") is in its log.
    if (state === 'exited') throw new Error(`nginx-rtmp exited at startup:\n${output(child)}`);
  }

  private config(dir: string): string {
    const apps = (this.options.apps ?? ['live'])
      .map(
        (app) => `
        application ${app} {
            live on;
            idle_streams ${this.options.idleStreams === false ? 'off' : 'on'};
        }`,
      )
      .join('');
    const rtmps =
      this.rtmpsPort === undefined
        ? ''
        : `
stream {
    server {
        listen 127.0.0.1:${this.rtmpsPort} ssl;
        ssl_certificate ${dir}/cert.pem;
        ssl_certificate_key ${dir}/key.pem;
        proxy_pass 127.0.0.1:${this.rtmpPort};
    }
}`;
    return `
load_module ${RTMP_MODULE};
${this.rtmpsPort === undefined ? '' : `load_module ${STREAM_MODULE};`}
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr notice;
events { worker_connections 256; }
rtmp {
    server {
        listen 127.0.0.1:${this.rtmpPort};
        chunk_size 4096;${apps}
    }
}
http {
    access_log off;
    client_body_temp_path ${dir}/client_body;
    proxy_temp_path ${dir}/proxy;
    fastcgi_temp_path ${dir}/fastcgi;
    uwsgi_temp_path ${dir}/uwsgi;
    scgi_temp_path ${dir}/scgi;
    server {
        listen 127.0.0.1:${this.httpPort};
        location /stat { rtmp_stat all; }
    }
}
${rtmps}
`;
  }
}

export function startNginxRtmp(options: NginxRtmpOptions = {}): Promise<NginxRtmp> {
  return NginxRtmp.start(options);
}

async function makeSelfSignedCert(dir: string): Promise<void> {
  // An EC key: generated in milliseconds, unlike RSA.
  await promisify(execFile)(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { timeout: 10_000 },
  );
}

/** Parses the `rtmp_stat all` XML: rtmp > server > application > live > stream > client. */
export function parseRtmpStat(xml: string): NginxStat {
  const root = parseXml(xml);
  if (root.name !== 'rtmp') throw new Error(`nginx stat: root element <${root.name}>, expected <rtmp>`);
  const streams: StatStream[] = [];
  for (const server of childrenNamed(root, 'server')) {
    for (const application of childrenNamed(server, 'application')) {
      const app = childText(application, 'name') ?? '';
      for (const live of childrenNamed(application, 'live')) {
        for (const stream of childrenNamed(live, 'stream')) streams.push(streamOf(app, stream));
      }
    }
  }
  return { streams };
}

function streamOf(app: string, stream: XmlElement): StatStream {
  const clients = childrenNamed(stream, 'client');
  return {
    app,
    name: childText(stream, 'name') ?? '',
    publishing: hasChild(stream, 'publishing'),
    subscribers: clients.filter((c) => !hasChild(c, 'publishing')).length,
  };
}
