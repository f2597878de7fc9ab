/** Drives the many-streams load generator (`many-viewers.ts`) in a child process of its own. */
import { fileURLToPath } from 'node:url';
import { startChildRpc } from './child-rpc.js';

const SCRIPT = fileURLToPath(new URL('./many-viewers.ts', import.meta.url));

export interface StreamViewersStatus {
  count: number;
  connected: number;
  receiving: number;
  ended: number;
  failed: number;
  badStatus: number;
}

export interface StreamViewersReport extends StreamViewersStatus {
  seconds: number;
  /** Body bytes viewer i (stream `<prefix><i>`) received since mark. */
  bytes: number[];
  /** Viewers whose connection has ended (at any time), by index. */
  endedViewers: number[];
  endedInWindow: number;
}

export interface StreamViewers {
  readonly pid: number;
  status(): Promise<StreamViewersStatus>;
  mark(): Promise<void>;
  report(): Promise<StreamViewersReport>;
  stop(): Promise<void>;
}

export interface StreamViewersOptions {
  port: number;
  app: string;
  /** Viewer i plays `/<app>/<prefix><i>.live.mp4`. */
  prefix: string;
  count: number;
  maxSeconds: number;
}

export async function startStreamViewers(opts: StreamViewersOptions): Promise<StreamViewers> {
  const rpc = startChildRpc('many-streams load generator', SCRIPT, [
    '--port', String(opts.port), '--app', opts.app, '--prefix', opts.prefix,
    '--count', String(opts.count), '--max-seconds', String(opts.maxSeconds),
  ]);
  const ask = rpc.ask;
  return {
    pid: rpc.pid,
    status: () => ask('status'),
    mark: async () => {
      await ask('mark');
    },
    report: () => ask('report'),
    stop: rpc.stop,
  };
}
