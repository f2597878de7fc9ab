/**
 * Process accounting from /proc (Linux): CPU time (utime + stime) and resident
 * memory of one process, read the way `top` does, without touching the process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times (`getconf CLK_TCK`, 100 on Linux). */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of the process in clock ticks (its own threads; children not included). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (field 14) is fields[11] and stime (15) is fields[12].
  return Number(fields[11]) + Number(fields[12]);
}

/** VmRSS in KiB. */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

export interface CpuSample {
  readonly ticks: number;
  readonly at: bigint;
}

export function sampleCpu(pid: number): CpuSample {
  return { ticks: cpuTicks(pid), at: process.hrtime.bigint() };
}

/** CPU used between two samples as % of one core. */
export function cpuPercent(from: CpuSample, to: CpuSample): number {
  const wallSec = Number(to.at - from.at) / 1e9;
  return ((to.ticks - from.ticks) / CLK_TCK / wallSec) * 100;
}

/** Several processes sampled together over one window. */
export class CpuWindow {
  private readonly start: Map<number, CpuSample>;

  constructor(private readonly pids: readonly number[]) {
    this.start = new Map(pids.map((p) => [p, sampleCpu(p)]));
  }

  /** % of one core per pid since the window opened. */
  end(): Map<number, number> {
    const out = new Map<number, number>();
    for (const p of this.pids) out.set(p, cpuPercent(this.start.get(p)!, sampleCpu(p)));
    return out;
  }
}

export function cpuModel(): string {
  const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return m ? m[1]!.trim() : 'unknown';
}

export interface IoCounters {
  /** Bytes passed to read-like / write-like system calls (sockets included). */
  rchar: number;
  wchar: number;
  /** Number of read-like / write-like system calls (write, writev, send...). */
  syscr: number;
  syscw: number;
}

/** /proc/<pid>/io (needs the same user or root). */
export function ioCounters(pid: number): IoCounters {
  const text = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { rchar: get('rchar'), wchar: get('wchar'), syscr: get('syscr'), syscw: get('syscw') };
}
