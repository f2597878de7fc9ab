/**
 * A benchmark's helper process (load generator, RTP sender) run with tsx and
 * driven over its stdio: one command per line in, one JSON reply per line out,
 * in order. Lines that are not JSON, or that `ignore` picks out, are not replies.
 * The process is stopped with `quit` (SIGKILL after 5 s) on `stop()` and by the
 * benchmark's cleanup on exit, error or Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { onCleanup } from './cleanup.js';

// Plain node with tsx's loader, so the pid measured is the helper itself (not a tsx wrapper).
const TSX = import.meta.resolve('tsx');

export interface ChildRpc {
  readonly pid: number;
  /** The next reply, whatever asked for it (e.g. a "ready" line the process sends by itself). */
  next(what: string, timeoutMs?: number): Promise<any>;
  /** Sends `cmd` and resolves with its reply. */
  ask(cmd: string, timeoutMs?: number): Promise<any>;
  stop(): Promise<void>;
}

export function startChildRpc(
  name: string,
  script: string,
  args: readonly string[],
  ignore: (msg: any) => boolean = () => false,
): ChildRpc {
  const child = spawn(process.execPath, ['--import', TSX, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const replies: Array<(msg: any) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (!ignore(msg)) replies.shift()?.(msg);
  });
  const next = (what: string, timeoutMs = 10_000): Promise<any> =>
    new Promise((resolve, reject) => {
      if (child.exitCode !== null) return reject(new Error(`${name} exited (${child.exitCode})`));
      const t = setTimeout(() => reject(new Error(`${name} did not answer "${what}"`)), timeoutMs);
      replies.push((m) => {
        clearTimeout(t);
        resolve(m);
      });
    });
  const ask = (cmd: string, timeoutMs?: number): Promise<any> => {
    const reply = next(cmd, timeoutMs);
    child.stdin!.write(`${cmd}\n`);
    return reply;
  };
  const stop = onCleanup(name, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end('quit\n');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  });
  return { pid: child.pid!, next, ask, stop };
}
