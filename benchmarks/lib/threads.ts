/**
 * CPU per thread of one process (/proc/<pid>/task/<tid>/stat): the relay's main
 * (I/O) thread has tid = pid; worker threads, libuv's pool and V8's helpers are
 * the others. A saturated main thread is what makes a Node.js receiver drop
 * datagrams, whatever the process total says.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { CLK_TCK } from './proc.js';

/** utime + stime per thread, in clock ticks. */
export function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(fields[11]) + Number(fields[12]));
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export interface ThreadCpu {
  /** % of one core: the main thread, the busiest other thread, all others together. */
  main: number;
  busiestOther: number;
  others: number;
}

/** Thread CPU over a window; a thread that started inside the window counts from zero. */
export class ThreadCpuWindow {
  private readonly start: Map<number, number>;
  private readonly at = process.hrtime.bigint();

  constructor(private readonly pid: number) {
    this.start = threadTicks(pid);
  }

  end(): ThreadCpu {
    const sec = Number(process.hrtime.bigint() - this.at) / 1e9;
    const pct = (ticks: number): number => (ticks / CLK_TCK / sec) * 100;
    let main = 0;
    let others = 0;
    let busiest = 0;
    for (const [tid, ticks] of threadTicks(this.pid)) {
      const used = ticks - (this.start.get(tid) ?? 0);
      if (tid === this.pid) main = used;
      else {
        others += used;
        busiest = Math.max(busiest, used);
      }
    }
    return { main: pct(main), busiestOther: pct(busiest), others: pct(others) };
  }
}
