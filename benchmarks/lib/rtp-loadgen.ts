/** Drives the RTP-ingest load generator (`rtp-sender.ts`) in a child process of its own. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';
import type { CameraSpec } from './ps-camera.js';

const SCRIPT = fileURLToPath(new URL('./rtp-sender.ts', import.meta.url));
// Plain node with tsx's loader, so the pid measured is the generator itself (not a tsx wrapper).
const TSX = import.meta.resolve('tsx');

export interface SenderReady {
  cameras: number;
  rtpKbps: number;
  packetsPerSecond: number;
  framesPerSecond: number;
  clipSeconds: number;
  packets: number;
}

export interface SenderCounts {
  packets: number;
  bytes: number;
  /** Frames whose last packet was sent. */
  frames: number;
  sendErrors: number;
}

export interface SenderReport extends SenderCounts {
  seconds: number;
  /** Worst lateness of a send against its due time in the window, and sends more than 10 ms late. */
  maxLagMs: number;
  lagOver10: number;
  total: SenderCounts & { seconds: number };
  finished: boolean;
}

export interface RtpSender {
  readonly pid: number;
  readonly ready: SenderReady;
  start(): Promise<void>;
  mark(): Promise<void>;
  report(): Promise<SenderReport>;
  /** Stops sending; what was sent since start. */
  halt(): Promise<SenderCounts & { seconds: number }>;
  stop(): Promise<void>;
}

export async function startRtpSender(opts: { ports: number[]; spec: CameraSpec; spreadMs: number; ssrcBase: number }): Promise<RtpSender> {
  const child = spawn(process.execPath, ['--import', TSX, SCRIPT, JSON.stringify(opts)], { stdio: ['pipe', 'pipe', 'inherit'] });
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
  const next = (what: string, timeoutMs = 10_000): Promise<any> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`RTP sender exited (${child.exitCode})`));
      const t = setTimeout(() => reject(new Error(`RTP sender did not answer "${what}"`)), timeoutMs);
      replies.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  const ask = (cmd: string): Promise<any> => {
    const p = next(cmd);
    child.stdin!.write(`${cmd}\n`);
    return p;
  };
  const stop = onCleanup('RTP sender', async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end('quit\n');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  });
  const ready = (await next('ready', 60_000)) as SenderReady;
  return {
    pid: child.pid!,
    ready,
    start: async () => {
      await ask('start');
    },
    mark: async () => {
      await ask('mark');
    },
    report: () => ask('report'),
    halt: async () => (await ask('halt')).total,
    stop,
  };
}
