/** Drives the RTP-ingest load generator (`rtp-sender.ts`) in a child process of its own. */
import { fileURLToPath } from 'node:url';
import { startChildRpc } from './child-rpc.js';
import type { CameraSpec } from './ps-camera.js';

const SCRIPT = fileURLToPath(new URL('./rtp-sender.ts', import.meta.url));

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
  const rpc = startChildRpc('RTP sender', SCRIPT, [JSON.stringify(opts)]);
  const { ask, stop } = rpc;
  const ready = (await rpc.next('ready', 60_000)) as SenderReady;
  return {
    pid: rpc.pid,
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
