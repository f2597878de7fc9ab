/**
 * The built relay (`packages/server/dist/cli.js`) as a child process for the many-streams
 * benchmark. Like test/helpers/relay.ts, but it can pass flags to node itself (`--cpu-prof`
 * is not accepted in NODE_OPTIONS), and it answers JSON POSTs for `bulkStreamProxy`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

const CLI = fileURLToPath(new URL('../../packages/server/dist/cli.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;
/** Lines kept for error messages. */
const KEPT_LINES = 50;

export interface BenchRelay {
  readonly pid: number;
  readonly port: number;
  readonly base: string;
  readonly secret: string;
  /** GET `/index/api/<name>` with the secret; the parsed reply. */
  api(name: string, params?: Record<string, string | number>): Promise<any>;
  /** POST a JSON body to `/index/api/<name>` with the secret; the parsed reply. */
  post(name: string, body: unknown): Promise<any>;
  /** The relay's last log lines. */
  recentLogs(): string;
  /** SIGTERM (the relay shuts down and exits; a --cpu-prof profile is written then), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

export interface BenchRelayOptions {
  port: number;
  secret: string;
  /** SLUICE_* settings on top of the benchmark's own. */
  env?: Record<string, string>;
  /** Flags for node before the script, e.g. ['--cpu-prof', '--cpu-prof-dir=/tmp/x']. */
  nodeArgs?: string[];
  name: string;
}

export async function startBenchRelay(opts: BenchRelayOptions): Promise<BenchRelay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-many-'));
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI], {
    env: {
      ...process.env,
      SLUICE_HTTP_PORT: String(opts.port),
      SLUICE_HTTP_BINDIP: '127.0.0.1',
      SLUICE_API_SECRET: opts.secret,
      SLUICE_GENERAL_DATADIR: dataDir,
      // info: lifecycle lines only ("sluice listening", proxy state changes); nothing per frame.
      SLUICE_LOG_LEVEL: 'info',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const lines: string[] = [];
  let onListening: (() => void) | undefined;
  const onLine = (line: string): void => {
    lines.push(line);
    if (lines.length > KEPT_LINES) lines.shift();
    if (/sluice listening/.test(line)) onListening?.();
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);

  const base = `http://127.0.0.1:${opts.port}`;
  const stop = onCleanup(opts.name, async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`relay did not listen within ${START_TIMEOUT_MS} ms:\n${lines.join('\n')}`)), START_TIMEOUT_MS);
      onListening = () => {
        clearTimeout(t);
        resolve();
      };
      void exited.then(() => {
        clearTimeout(t);
        reject(new Error(`relay exited at startup:\n${lines.join('\n')}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    port: opts.port,
    base,
    secret: opts.secret,
    async api(name, params = {}) {
      const q = new URLSearchParams({ secret: opts.secret, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
      const res = await fetch(`${base}/index/api/${name}?${q}`);
      return res.json();
    },
    async post(name, body) {
      // The API takes the secret as a query parameter or a `secret` header (Bearer is for /metrics).
      const res = await fetch(`${base}/index/api/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', secret: opts.secret },
        body: JSON.stringify(body),
      });
      return res.json();
    },
    recentLogs: () => lines.join('\n'),
    stop,
  };
}
