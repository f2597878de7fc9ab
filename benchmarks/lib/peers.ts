/**
 * The fan-out benchmark's peers, each a process of its own on loopback that pulls the
 * origin's stream the way Sluice does (one RTMP pull) and serves it to the viewers:
 *
 * - nginx-rtmp (Debian's nginx + libnginx-mod-rtmp): a second nginx, not the origin, with
 *   `pull rtmp://origin/live/src name=src static` — the pull starts with nginx and stays,
 *   so its 0-viewer baseline holds the ingest only. Single process (`master_process off`).
 *   Viewers play rtmp://127.0.0.1:PORT/live/src.
 * - node-media-server 4.x from npm (lib/nms-server.ts): its RTMP pull relay task into
 *   /live/src; viewers GET http://127.0.0.1:PORT/live/src.flv (HTTP-FLV).
 *
 * Both are stopped on exit, on error and on Ctrl-C (lib/cleanup.ts).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { isRunning, output, spawnTracked, stop as stopChild } from '../../test/helpers/child.js';
import { freePort } from '../../test/helpers/free-port.js';
import { parseRtmpStat } from '../../test/helpers/nginx-rtmp.js';
import { onCleanup } from './cleanup.js';

const NGINX = '/usr/sbin/nginx';
const RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const TSX = import.meta.resolve('tsx');
const NMS_SCRIPT = fileURLToPath(new URL('./nms-server.ts', import.meta.url));

export interface PeerServer {
  readonly pid: number;
  /** The port the viewers connect to. */
  readonly port: number;
  /** What the results call it, with its version. */
  readonly version: string;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function nginxVersion(): string {
  // `nginx -v` prints "nginx version: nginx/1.22.1" to stderr.
  const r = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  return `${r.stderr ?? ''}${r.stdout ?? ''}`.trim().replace(/^nginx version: /, '') || 'unknown';
}

function nginxRtmpModuleVersion(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'libnginx-mod-rtmp'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

/**
 * A second nginx-rtmp that pulls `originUrl` (rtmp://…/live/src) into its own live/src at
 * start. Resolves once its stat page lists the stream as published.
 */
export async function startNginxPeer(originUrl: string): Promise<PeerServer> {
  for (let attempt = 1; ; attempt++) {
    const rtmpPort = await freePort();
    const httpPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-nginx-peer-'));
    const conf = join(dir, 'nginx.conf');
    // chunk_size as the origin's (test/helpers/nginx-rtmp.ts); everything else nginx-rtmp's defaults.
    writeFileSync(
      conf,
      `load_module ${RTMP_MODULE};
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 8192;
pid ${dir}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
rtmp {
    server {
        listen 127.0.0.1:${rtmpPort};
        chunk_size 4096;
        application live {
            live on;
            pull ${originUrl} name=src static;
        }
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
        listen 127.0.0.1:${httpPort};
        location /stat { rtmp_stat all; }
    }
}
`,
    );
    const child = spawnTracked(NGINX, ['-p', `${dir}/`, '-c', conf, '-e', 'stderr'], { name: 'nginx peer' });
    const stop = onCleanup('nginx-rtmp peer', async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    });
    const deadline = Date.now() + 20_000;
    let published = false;
    while (Date.now() < deadline && isRunning(child)) {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/stat`, { signal: AbortSignal.timeout(2000) });
        const stat = parseRtmpStat(await res.text());
        if (stat.streams.some((s) => s.app === 'live' && s.name === 'src' && s.publishing)) {
          published = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    if (published) {
      return { pid: child.pid!, port: rtmpPort, version: `${nginxVersion()}, libnginx-mod-rtmp ${nginxRtmpModuleVersion()}`, stop };
    }
    const log = output(child);
    await stop();
    if (!/Address already in use/.test(log) || attempt >= 3) throw new Error(`nginx-rtmp peer did not start pulling:\n${log}`);
  }
}

/** node-media-server in its own process (lib/nms-server.ts), pulling `originUrl` into /live/src. */
export async function startNms(originUrl: string): Promise<PeerServer> {
  for (let attempt = 1; ; attempt++) {
    const rtmpPort = await freePort();
    const httpPort = await freePort();
    // Plain node with tsx's loader, so the pid measured is the server itself (as for the load generator).
    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', TSX, NMS_SCRIPT, '--rtmp-port', String(rtmpPort), '--http-port', String(httpPort), '--pull', originUrl],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const exited = once(child, 'exit');
    const log: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (t: string) => log.push(t));
    const stop = onCleanup('node-media-server', async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    });
    let version = '';
    const state = await new Promise<'publishing' | 'failed'>((resolve) => {
      const t = setTimeout(() => resolve('failed'), 30_000);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const m = /^listening (.+)$/.exec(line);
        if (m) version = m[1]!;
        else if (line === 'publishing') {
          clearTimeout(t);
          resolve('publishing');
        } else log.push(`${line}\n`);
      });
      child.once('exit', () => {
        clearTimeout(t);
        resolve('failed');
      });
    });
    if (state === 'publishing') return { pid: child.pid!, port: httpPort, version, stop };
    await stop();
    const text = log.join('');
    if (!/EADDRINUSE|already in use/.test(text) || attempt >= 3) throw new Error(`node-media-server did not start pulling:\n${text}`);
  }
}
