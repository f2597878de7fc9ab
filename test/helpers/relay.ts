/**
 * Runs the built relay (`packages/server/dist/cli.js`, as `pnpm start` does) as
 * a child process on a free loopback port with its own data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

const CLI = resolve(import.meta.dirname, '../../packages/server/dist/cli.js');

export interface Relay {
  readonly port: number;
  readonly secret: string;
  readonly dataDir: string;
  readonly base: string;
  readonly process: ChildProcess;
  readonly logs: string[];
  /** Calls `/index/api/<name>` with the secret; returns the parsed JSON reply. */
  api(name: string, params?: Record<string, string | number | boolean>): Promise<any>;
  /** Resolves when a log line matches (already-seen lines count). */
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface StartRelayOptions {
  port: number;
  dataDir?: string;
  secret?: string;
  env?: Record<string, string>;
  /** Give up if the relay does not say it listens within this time. */
  timeoutMs?: number;
}

export async function startRelay(options: StartRelayOptions): Promise<Relay> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sluice-relay-'));
  const secret = options.secret ?? 'e2e-secret';
  const child = spawn(process.execPath, [CLI], {
    env: {
      ...process.env,
      SLUICE_HTTP_PORT: String(options.port),
      SLUICE_HTTP_BINDIP: '127.0.0.1',
      SLUICE_API_SECRET: secret,
      SLUICE_GENERAL_DATADIR: dataDir,
      SLUICE_LOG_LEVEL: 'debug',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (l: string) => void }>();
  const onLine = (line: string): void => {
    logs.push(line);
    if (process.env.SLUICE_TEST_VERBOSE) process.stderr.write(`[relay] ${line}\n`);
    for (const w of waiters) if (w.pattern.test(line)) w.resolve(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = once(child, 'exit');

  const waitForLog = (pattern: RegExp, timeoutMs: number): Promise<string> => {
    const seen = logs.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const waiter = {
        pattern,
        resolve: (line: string) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolvePromise(line);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`relay did not log ${pattern} within ${timeoutMs} ms; last lines:\n${logs.slice(-20).join('\n')}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const base = `http://127.0.0.1:${options.port}`;
  const relay: Relay = {
    port: options.port,
    secret,
    dataDir,
    base,
    process: child,
    logs,
    waitForLog,
    async api(name, params = {}) {
      const q = new URLSearchParams({ secret, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
      const res = await fetch(`${base}/index/api/${name}?${q}`);
      return res.json();
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
  try {
    await waitForLog(/sluice listening/, options.timeoutMs ?? 15_000);
  } catch (err) {
    await relay.kill();
    throw err;
  }
  return relay;
}
