/**
 * What a benchmark records about the conditions of its run, and how it waits
 * for them: which build it measured, and a machine quiet enough to measure on.
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { OtherLoadWindow, childPids, cpuModel } from './proc.js';

/** The results line that says what ran the benchmark (issue 7 asks for Node version, CPU model and core count). */
export function machineLine(): string {
  return `- Node: ${process.version}; CPU: ${cpuModel()} (\`/proc/cpuinfo\` model name), ${cpus().length} cores; loopback only`;
}

/** The commit of `repo`, and the files under packages/ that differ from it (they are in the build measured). */
export function gitDescription(repo: string): string {
  try {
    const head = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repo, 'status', '--porcelain', '--', 'packages'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return dirty.length ? `${head} with uncommitted changes in ${dirty.join(', ')}` : head;
  } catch {
    return 'unknown';
  }
}

/**
 * Waits (up to a minute) until the rest of the machine is nearly idle, so a point does not share
 * the 2 cores with other work (another benchmark, a test suite); the window's own "other load"
 * column still shows what happened during it.
 */
export async function waitForQuiet(log: (line: string) => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const other = new OtherLoadWindow([process.pid, ...childPids(process.pid)]);
    await new Promise((r) => setTimeout(r, 2000));
    const load = other.end();
    if (load < 15) return;
    if (Date.now() > deadline) {
      log(`  warning: the machine is busy (${load.toFixed(0)} % of a core used by other processes); measuring anyway`);
      return;
    }
    log(`  other processes use ${load.toFixed(0)} % of a core; waiting for a quiet machine...`);
  }
}
