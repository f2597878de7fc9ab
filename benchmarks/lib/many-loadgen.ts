/** Drives the many-streams load generator (`many-viewers.ts`) in a child process of its own. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

const SCRIPT = fileURLToPath(new URL('./many-viewers.ts', import.meta.url));
// Plain node with tsx's loader, so the pid measured is the generator itself (not a tsx wrapper).
const TSX = import.meta.resolve('tsx');

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
  const child = spawn(
    process.execPath,
    [
      '--import', TSX, SCRIPT,
      '--port', String(opts.port), '--app', opts.app, '--prefix', opts.prefix,
      '--count', String(opts.count), '--max-seconds', String(opts.maxSeconds),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const replies: Array<(msg: any) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    replies.shift()?.(msg);
  });
  const ask = (cmd: string): Promise<any> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`many-viewers exited (${child.exitCode})`));
      const t = setTimeout(() => reject(new Error(`many-viewers did not answer "${cmd}"`)), 10_000);
      replies.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
      child.stdin!.write(`${cmd}\n`);
    });
  const stop = onCleanup('many-streams load generator', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end('quit\n');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  });
  return {
    pid: child.pid!,
    status: () => ask('status'),
    mark: async () => {
      await ask('mark');
    },
    report: () => ask('report'),
    stop,
  };
}
