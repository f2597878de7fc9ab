/**
 * Process accounting from /proc (Linux): CPU time (utime + stime) and resident
 * memory of one process, read the way `top` does, without touching the process.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

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

/**
 * TCP data segments sent so far on the established connections whose local port is
 * `port` (summed `data_segs_out` from `ss -ti`). On loopback (MTU 65536) a write of
 * less than ~64 KB leaves as one segment, so its rate is the server's write rate
 * on those sockets, counted from outside the process and without tracing it.
 */
export function tcpDataSegmentsOut(port: number): { sockets: number; segments: number } {
  const text = execFileSync('ss', ['-tinH', 'state', 'established', `( sport = :${port} )`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  let sockets = 0;
  let segments = 0;
  for (const m of text.matchAll(/\bdata_segs_out:(\d+)/g)) {
    sockets++;
    segments += Number(m[1]);
  }
  return { sockets, segments };
}

/** Busy clock ticks of the whole machine, all cores (`/proc/stat`: everything but idle and iowait). */
export function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  // user nice system idle iowait irq softirq steal (guest time is already inside user)
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1, 9).map(Number);
  return user! + nice! + system! + irq! + softirq! + steal!;
}

/** Direct children of a process (all its threads' `children` lists). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) for (const c of text.split(/\s+/)) out.push(Number(c));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * CPU used on the machine by processes other than `ours` (and their own
 * children are not followed: pass every process to exclude), as % of one core.
 * Other work on a shared machine (a test suite, a build) skews what a benchmark
 * measures; this shows whether a window was quiet.
 */
export class OtherLoadWindow {
  private readonly machine0 = machineBusyTicks();
  private readonly ours0: number;
  private readonly at0 = process.hrtime.bigint();

  constructor(private readonly ours: readonly number[]) {
    this.ours0 = this.sumOurs();
  }

  private sumOurs(): number {
    let t = 0;
    for (const p of this.ours) {
      try {
        t += cpuTicks(p);
      } catch {
        // exited
      }
    }
    return t;
  }

  end(): number {
    const sec = Number(process.hrtime.bigint() - this.at0) / 1e9;
    const other = machineBusyTicks() - this.machine0 - (this.sumOurs() - this.ours0);
    return Math.max(0, (other / CLK_TCK / sec) * 100);
  }
}

/**
 * Bytes received so far by process `pid` on its established TCP connections to port
 * `remotePort` (summed `bytes_received` from `ss -tinp`). Counts what a server pulled from an
 * origin whatever system call it reads with (`/proc/<pid>/io` rchar misses recv(), which nginx uses).
 */
export function tcpBytesReceivedFrom(pid: number, remotePort: number): number {
  const text = execFileSync('ss', ['-tinpH', 'state', 'established', `( dport = :${remotePort} )`], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  let total = 0;
  let mine = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (!/^\s/.test(line)) mine = line.includes(`pid=${pid},`);
    if (!mine) continue;
    const m = /\bbytes_received:(\d+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}
