import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

/**
 * Child processes for end-to-end tests (nginx, ffmpeg). Every process started here
 * is tracked, with its recent output (kept after exit, for failure messages).
 * `stopAll()` (for afterAll) ends the ones still running, and a process 'exit' hook
 * SIGKILLs anything left if a test worker dies without cleaning up.
 */

/** Output lines kept per child, for waitForLine and for error messages. */
const MAX_LINES = 400;

interface Tracked {
  readonly name: string;
  readonly lines: string[];
  readonly waiters: Set<(line: string) => void>;
  readonly exited: Promise<void>;
  exitDescription: string | null;
}

const tracked = new Map<ChildProcess, Tracked>();

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of tracked.keys()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
}

export interface SpawnTrackedOptions extends Pick<SpawnOptions, 'cwd' | 'env'> {
  /** Name for messages; defaults to the command's base name. */
  readonly name?: string;
}

/** Starts `command` with stdin closed and stdout/stderr captured line by line. */
export function spawnTracked(command: string, args: readonly string[], options: SpawnTrackedOptions = {}): ChildProcess {
  installExitHook();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let resolveExit!: () => void;
  const entry: Tracked = {
    name: options.name ?? command.split('/').pop()!,
    lines: [],
    waiters: new Set(),
    exited: new Promise<void>((r) => (resolveExit = r)),
    exitDescription: null,
  };
  tracked.set(child, entry);
  const onLine = (line: string): void => {
    entry.lines.push(line);
    if (entry.lines.length > MAX_LINES) entry.lines.shift();
    for (const w of [...entry.waiters]) w(line);
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (text: string) => {
      // ffmpeg ends progress lines with \r; treat it as a line break too.
      const parts = (partial + text).split(/\r\n|\r|\n/);
      partial = parts.pop()!;
      for (const p of parts) if (p !== '') onLine(p);
    });
    stream.on('end', () => {
      if (partial !== '') onLine(partial);
      partial = '';
    });
  }
  child.once('error', (err) => {
    entry.exitDescription = `failed to start: ${err.message}`;
    resolveExit();
  });
  child.once('exit', (code, signal) => {
    entry.exitDescription = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
    resolveExit();
  });
  return child;
}

function entryOf(child: ChildProcess): Tracked | undefined {
  return tracked.get(child);
}

/** The child's recent output (stdout and stderr interleaved), for failure messages. */
export function output(child: ChildProcess, lastLines = 40): string {
  const e = entryOf(child);
  return e ? e.lines.slice(-lastLines).join('\n') : '';
}

/** True until the process has exited. */
export function isRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/**
 * Resolves with the first output line matching `pattern` (lines already printed
 * count too). Rejects when the process exits first or after `timeoutMs`.
 */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<string> {
  const e = entryOf(child);
  if (e === undefined) return Promise.reject(new Error('waitForLine: not a tracked child'));
  const seen = e.lines.find((l) => pattern.test(l));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      e.waiters.delete(waiter);
    };
    const waiter = (line: string): void => {
      if (!pattern.test(line)) return;
      done();
      resolve(line);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${e.name}: no line matching ${pattern} within ${timeoutMs} ms. Output:\n${output(child)}`));
    }, timeoutMs);
    e.waiters.add(waiter);
    void e.exited.then(() => {
      if (!e.waiters.has(waiter)) return;
      done();
      reject(new Error(`${e.name} ${e.exitDescription} before printing ${pattern}. Output:\n${output(child)}`));
    });
  });
}

/** Resolves when the process has exited, or rejects after `timeoutMs`. */
export async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  const e = entryOf(child);
  if (e === undefined || !isRunning(child)) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      e.exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${e.name} still running after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`. */
export async function stop(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (!isRunning(child)) return;
  child.kill('SIGTERM');
  try {
    await waitForExit(child, graceMs);
  } catch {
    child.kill('SIGKILL');
    await waitForExit(child, graceMs);
  }
}

/** Stops every tracked child that is still running (for afterAll). */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...tracked.keys()].map((c) => stop(c, graceMs)));
}
