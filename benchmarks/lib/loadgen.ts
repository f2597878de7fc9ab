/** Drives the load generator (`viewers.ts`) in a child process of its own. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

const SCRIPT = fileURLToPath(new URL('./viewers.ts', import.meta.url));
// Run with plain node and tsx's loader so the pid we measure is the generator itself (not a tsx wrapper).
const TSX = import.meta.resolve('tsx');

export interface ViewerStatus {
  count: number;
  /** 1 once the reference reader (--ref) receives, 0 before, -1 without one. */
  refReceiving: number;
  connected: number;
  receiving: number;
  ended: number;
  failed: number;
  badStatus: number;
}

export interface ViewerReport extends ViewerStatus {
  seconds: number;
  total: number;
  min: number;
  max: number;
  mean: number;
  endedEarly: number;
  endedInWindow: number;
  /** Frame delays at the probes relative to the reference reader, in ms (see viewers.ts); null without probes. */
  delay: DelayReport | null;
}

export interface DelayReport {
  probes: number;
  /** Probe frame arrivals matched to the reference. */
  frames: number;
  unmatched: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Range of the probes' own medians (does one end of the fan-out loop wait longer?). */
  probeP50Min: number;
  probeP50Max: number;
}

export interface ViewerOptions {
  /** HTTP viewers: GET `path` on 127.0.0.1:`port`. */
  port?: number;
  path?: string;
  /** RTMP viewers: play this rtmp:// URL. */
  rtmp?: string;
  count: number;
  maxSeconds: number;
  /** Delay probes among the viewers (0 = none). */
  probes?: number;
  /** The reference reader's rtmp:// URL (the origin). */
  ref?: string;
}

export interface LoadGenerator {
  readonly pid: number;
  status(): Promise<ViewerStatus>;
  mark(): Promise<void>;
  report(): Promise<ViewerReport>;
  stop(): Promise<void>;
}

export async function startViewers(opts: ViewerOptions): Promise<LoadGenerator> {
  const target =
    opts.rtmp !== undefined ? ['--rtmp', opts.rtmp] : ['--port', String(opts.port), '--path', String(opts.path)];
  const extra = [
    ...(opts.probes ? ['--probes', String(opts.probes)] : []),
    ...(opts.ref !== undefined ? ['--ref', opts.ref] : []),
  ];
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', TSX, SCRIPT, ...target, '--count', String(opts.count), '--max-seconds', String(opts.maxSeconds), ...extra],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const replies: ((msg: any) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: any;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg.type === 'opened') return; // informational
    replies.shift()?.(msg);
  });
  const ask = (cmd: string): Promise<any> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`load generator exited (${child.exitCode})`));
      const t = setTimeout(() => reject(new Error(`load generator did not answer "${cmd}"`)), 10_000);
      replies.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
      child.stdin!.write(`${cmd}\n`);
    });
  const stop = onCleanup('load generator', async () => {
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

const FLOOR = fileURLToPath(new URL('./floor-server.ts', import.meta.url));

export interface FloorServer {
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts `floor-server.ts` (see there) on `port`; resolves once it listens. */
export async function startFloorServer(opts: { port: number; rate: number; kbps: number; maxSeconds: number }): Promise<FloorServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', TSX, FLOOR, '--port', String(opts.port), '--rate', String(opts.rate), '--kbps', String(opts.kbps), '--max-seconds', String(opts.maxSeconds)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = once(child, 'exit');
  const stop = onCleanup('floor server', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('floor server did not start')), 15_000);
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(t);
      resolve();
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`floor server exited (${code})`));
    });
  });
  return { pid: child.pid!, stop };
}
