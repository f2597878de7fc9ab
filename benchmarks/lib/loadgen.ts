/**
 * Drives the load generator (`viewers.ts`): N viewers in one child process, or split over
 * several when N is above `perProcess`, because one Node process reading ~70 frames/s from
 * each of 1000 sockets already uses most of a core, and a saturated load generator would
 * make every server look slow.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startChildRpc } from './child-rpc.js';
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

/** What one viewers.ts process reports about its probes (raw delays, ms, sorted). */
interface DelaySamples {
  probes: number;
  unmatched: number;
  samples: number[];
  probeP50s: number[];
}

/** One viewers.ts process's report: its probes' raw delays, pooled by mergeReports. */
type PartReport = Omit<ViewerReport, 'delay'> & { delay: DelaySamples | null };

export interface ViewerOptions {
  /** HTTP viewers: GET `path` on 127.0.0.1:`port`. */
  port?: number;
  path?: string;
  /** With port and path: WebSocket viewers of that path instead of HTTP GETs. */
  ws?: boolean;
  /** RTMP viewers: play this rtmp:// URL. */
  rtmp?: string;
  count: number;
  maxSeconds: number;
  /** Delay probes among the viewers (0 = none). */
  probes?: number;
  /** The reference reader's rtmp:// URL (the origin). */
  ref?: string;
  /** At most this many viewers per load-generator process (default: all in one). */
  perProcess?: number;
}

export interface LoadGenerator {
  /** One per load-generator process. */
  readonly pids: readonly number[];
  status(): Promise<ViewerStatus>;
  mark(): Promise<void>;
  report(): Promise<ViewerReport>;
  stop(): Promise<void>;
}

/** One viewers.ts process and its stdin/stdout conversation. */
interface Part {
  readonly pid: number;
  ask(cmd: string): Promise<any>;
  stop(): Promise<void>;
}

function startPart(args: string[]): Part {
  // 'opened' lines are informational, not replies.
  return startChildRpc('load generator', SCRIPT, args, (msg) => msg?.type === 'opened');
}

/** Splits `total` into `parts` near-equal whole shares, larger first. */
function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export async function startViewers(opts: ViewerOptions): Promise<LoadGenerator> {
  const target =
    opts.rtmp !== undefined
      ? ['--rtmp', opts.rtmp]
      : ['--port', String(opts.port), '--path', String(opts.path), ...(opts.ws ? ['--ws'] : [])];
  const processes = Math.max(1, Math.ceil(opts.count / (opts.perProcess ?? opts.count)));
  const counts = shares(opts.count, processes);
  // Each process with probes gets its own reference reader: delays are taken on one process's clock.
  const probes = shares(opts.probes ?? 0, processes);
  // All processes start at once and connect in parallel, so each one's probes, spread over its own
  // connection order, are spread over the whole connection order too.
  const parts = counts.map((count, i) =>
    startPart([
      ...target,
      '--count',
      String(count),
      '--max-seconds',
      String(opts.maxSeconds),
      ...(probes[i]! > 0 ? ['--probes', String(probes[i]), ...(opts.ref !== undefined ? ['--ref', opts.ref] : [])] : []),
    ]),
  );
  const all = <T>(cmd: string): Promise<T[]> => Promise.all(parts.map((p) => p.ask(cmd) as Promise<T>));
  return {
    pids: parts.map((p) => p.pid),
    status: async () => mergeStatus(await all<ViewerStatus>('status')),
    mark: async () => {
      await all('mark');
    },
    report: async () => mergeReports(await all<PartReport>('report')),
    stop: async () => {
      await Promise.all(parts.map((p) => p.stop()));
    },
  };
}

function mergeStatus(list: ViewerStatus[]): ViewerStatus {
  const sum = (k: keyof ViewerStatus): number => list.reduce((a, s) => a + s[k], 0);
  const refs = list.map((s) => s.refReceiving).filter((r) => r >= 0);
  return {
    count: sum('count'),
    refReceiving: refs.length === 0 ? -1 : Math.min(...refs),
    connected: sum('connected'),
    receiving: sum('receiving'),
    ended: sum('ended'),
    failed: sum('failed'),
    badStatus: sum('badStatus'),
  };
}

/**
 * Pools the processes' reports. Their windows open and close within milliseconds of each
 * other; byte counts are scaled to the mean window length before taking min, max and total.
 */
function mergeReports(list: PartReport[]): ViewerReport {
  const seconds = list.reduce((a, r) => a + r.seconds, 0) / list.length;
  const scale = (r: PartReport): number => seconds / r.seconds;
  const status = mergeStatus(list);
  const total = list.reduce((a, r) => a + r.total * scale(r), 0);
  return {
    ...status,
    seconds,
    total,
    min: Math.min(...list.map((r) => r.min * scale(r))),
    max: Math.max(...list.map((r) => r.max * scale(r))),
    mean: status.count ? total / status.count : 0,
    endedEarly: list.reduce((a, r) => a + r.endedEarly, 0),
    endedInWindow: list.reduce((a, r) => a + r.endedInWindow, 0),
    delay: summarizeDelays(list.map((r) => r.delay).filter((d): d is DelaySamples => d !== null)),
  };
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;

function summarizeDelays(list: DelaySamples[]): DelayReport | null {
  if (list.length === 0) return null;
  const all = list.flatMap((d) => d.samples).sort((x, y) => x - y);
  const p50s = list.flatMap((d) => d.probeP50s).sort((x, y) => x - y);
  return {
    probes: list.reduce((a, d) => a + d.probes, 0),
    frames: all.length,
    unmatched: list.reduce((a, d) => a + d.unmatched, 0),
    min: all.length ? all[0]! : NaN,
    p50: quantile(all, 0.5),
    p90: quantile(all, 0.9),
    p99: quantile(all, 0.99),
    max: all.length ? all[all.length - 1]! : NaN,
    probeP50Min: p50s.length ? p50s[0]! : NaN,
    probeP50Max: p50s.length ? p50s[p50s.length - 1]! : NaN,
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
