import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isRunning, output, spawnTracked, stop as stopChild, waitForLine } from './child.js';
import { freePort } from './free-port.js';

/**
 * A throwaway RTSP camera: GStreamer's gst-rtsp-server run by
 * test/helpers/gst-rtsp-server.py through /usr/bin/python3 (python3-gi). Listens
 * on 127.0.0.1 only; mounts /h264 (H.264 + AAC), /h264-video, /h265, /g711 (PCMA)
 * and /pcmu. Debian packages it needs: python3-gi, gir1.2-gst-rtsp-server-1.0
 * (pulls libgstrtspserver-1.0-0), gstreamer1.0-plugins-base (test sources,
 * audioconvert), gstreamer1.0-plugins-good (RTP payloaders, alaw/mulaw),
 * gstreamer1.0-plugins-ugly (x264enc), gstreamer1.0-plugins-bad (x265enc, voaacenc)
 * and gstreamer1.0-libav (avenc_aac, preferred). gstreamer1.0-rtsp (rtspclientsink)
 * and gstreamer1.0-tools (gst-inspect-1.0) are not used by it.
 *
 * The server prints one line per RTSP response it sends ("RESPONSE <status>
 * cseq=<n> <reason>"), so tests can count requests and 401s.
 */

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./gst-rtsp-server.py', import.meta.url));
const START_TIMEOUT_MS = 15_000;
/** Port races (freePort → bind) are retried this many times with new ports. */
const START_ATTEMPTS = 3;

export interface GstRtspServerOptions {
  readonly auth?: 'basic' | 'digest';
  readonly user?: string;
  readonly password?: string;
  /** One pipeline per mount shared by all clients (faster repeated connects). */
  readonly shared?: boolean;
  /** Lower transports the server allows; default both. */
  readonly protocols?: 'tcp' | 'udp' | 'both';
  /** Fixed port (e.g. to restart where clients reconnect); a free one otherwise. */
  readonly port?: number;
}

export interface GstResponse {
  readonly status: number;
  readonly cseq: number;
}

export interface GstRtspServer {
  readonly port: number;
  /** rtsp://127.0.0.1:<port><path>, with `user:password@` when `credentials` is given. */
  url(path: string, credentials?: { user: string; password: string }): string;
  /** Responses sent since start (or the last restart), in order. */
  responses(): GstResponse[];
  /** Recent server output, for failure messages. */
  log(): string;
  /** SIGTERM (then SIGKILL); idempotent. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes without closing sessions. */
  kill(): Promise<void>;
  /** Stops and starts again on the same port. */
  restart(): Promise<void>;
}

class Server implements GstRtspServer {
  private child: ChildProcess | null = null;
  private readonly seen: GstResponse[] = [];
  private readonly onLine = (line: string): void => {
    const m = /^RESPONSE (\d+) cseq=(\d+)/.exec(line);
    if (m !== null) this.seen.push({ status: Number(m[1]), cseq: Number(m[2]) });
  };

  constructor(
    readonly port: number,
    private readonly options: GstRtspServerOptions,
  ) {}

  url(path: string, credentials?: { user: string; password: string }): string {
    const auth = credentials === undefined ? '' : `${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@`;
    return `rtsp://${auth}127.0.0.1:${this.port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  responses(): GstResponse[] {
    return [...this.seen];
  }

  log(): string {
    return this.child === null ? '' : output(this.child);
  }

  async launch(): Promise<void> {
    const o = this.options;
    const args = [SCRIPT, '--port', String(this.port), '--protocols', o.protocols ?? 'both'];
    if (o.auth !== undefined) args.push('--auth', o.auth, '--user', o.user ?? 'user', '--password', o.password ?? 'password');
    if (o.shared) args.push('--shared');
    this.seen.length = 0;
    const child = spawnTracked(PYTHON, args, { name: 'gst-rtsp-server' });
    this.child = child;
    let partial = '';
    child.stdout!.on('data', (text: string) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) this.onLine(line.trim());
    });
    try {
      await waitForLine(child, /^READY \d+/, START_TIMEOUT_MS);
    } catch (err) {
      if (/FAILED to listen/.test(output(child))) throw new Error(`gst-rtsp-server: port ${this.port} already in use`);
      throw err;
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child !== null && isRunning(child)) await stopChild(child);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || !isRunning(child)) return;
    child.kill('SIGKILL');
    await stopChild(child, 3000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}

export async function startGstRtspServer(options: GstRtspServerOptions = {}): Promise<GstRtspServer> {
  for (let attempt = 1; ; attempt++) {
    const server = new Server(options.port ?? (await freePort()), options);
    try {
      await server.launch();
      return server;
    } catch (err) {
      await server.stop();
      const portRace = err instanceof Error && /already in use/.test(err.message);
      if (options.port !== undefined || !portRace || attempt >= START_ATTEMPTS) throw err;
    }
  }
}
