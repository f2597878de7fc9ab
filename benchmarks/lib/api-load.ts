/**
 * HTTP load on the relay's API with autocannon (its programmatic API, in the benchmark's own
 * process: the relay's CPU is then measured on its own). Keep-alive connections, pipelining 1,
 * a fixed duration; each connection sends the given steps in order, in a loop.
 *
 * Status codes are counted by autocannon. The API answers HTTP 200 with `{ code, ... }` even
 * for errors, so every `checkEvery`-th reply body is parsed as well and handed to the step's
 * check: a request only counts as served when its body says so.
 */
import autocannon from 'autocannon';

export interface LoadStep {
  /** The path and query of the next request. `context` belongs to one connection and is cleared each loop. */
  readonly path: (context: Record<string, unknown>) => string;
  /** What is wrong with a reply (parsed JSON), or undefined when it is right. */
  readonly check: (reply: any, context: Record<string, unknown>) => string | undefined;
}

export interface LoadSpec {
  readonly port: number;
  readonly connections: number;
  readonly seconds: number;
  readonly steps: readonly LoadStep[];
  /** Parse and check every n-th reply (1: all). Large replies cost the load generator to parse. */
  readonly checkEvery: number;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSec: number;
  /** Latency percentiles, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Bytes per reply on the wire (status line, headers and body). */
  readonly bytesPerReply: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly checked: number;
  readonly failedChecks: number;
  readonly firstFailure?: string;
  /** CPU of this process (the load generator) over the run, % of one core. */
  readonly loadGeneratorCpu: number;
}

/** The fields of autocannon's result this module reads. */
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number };
  throughput: { total: number };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  let replies = 0;
  let checked = 0;
  let failedChecks = 0;
  let firstFailure: string | undefined;
  const requests = spec.steps.map((step) => ({
    method: 'GET',
    setupRequest: (req: Record<string, unknown>, context: Record<string, unknown>) => ({ ...req, path: step.path(context) }),
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      if (replies++ % spec.checkEvery !== 0 || status !== 200) return;
      checked++;
      let problem: string | undefined;
      try {
        problem = step.check(JSON.parse(body), context);
      } catch (err) {
        problem = `not JSON: ${(err as Error).message}`;
      }
      if (problem !== undefined) {
        failedChecks++;
        firstFailure ??= problem;
      }
    },
  }));
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  // autocannon's own histogram keeps whole milliseconds; its 'response' event has the exact time.
  const latencies: number[] = [];
  const r = await new Promise<AutocannonResult>((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${spec.port}`, connections: spec.connections, pipelining: 1, duration: spec.seconds, requests },
      (err: Error | null, result: AutocannonResult) => (err ? reject(err) : resolve(result)),
    );
    instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => void latencies.push(ms));
  });
  latencies.sort((a, b) => a - b);
  const percentile = (q: number): number => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! : NaN);
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const total = r.requests.total;
  return {
    requests: total,
    seconds: r.duration,
    requestsPerSec: total / r.duration,
    p50: percentile(0.5),
    p99: percentile(0.99),
    max: latencies.length ? latencies[latencies.length - 1]! : NaN,
    bytesPerReply: total > 0 ? r.throughput.total / total : 0,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    checked,
    failedChecks,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    loadGeneratorCpu: ((cpu.user + cpu.system) / 1e6 / wall) * 100,
  };
}
