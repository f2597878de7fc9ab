/**
 * API: requests/s and latency of the ZLMediaKit-compatible HTTP API with 1000 proxies present
 * and 1000 live streams registered (issue 7; target: ≥ 5,000 requests/s for getMediaList).
 *
 *   pnpm run build && flock /tmp/sluice-heavy.lock pnpm exec tsx benchmarks/api.ts [--streams 1000] [--seconds 10]
 *     [--warmup 2] [--connections 10,100] [--no-results]
 *
 * Processes (all on 127.0.0.1, all stopped on exit, error or Ctrl-C):
 *   nginx-rtmp origins   test/helpers/nginx-rtmp.ts, one per 200 proxies (lib/api-origin.ts)
 *   ffmpeg               one tiny encode (160x90, 2 fps, all keyframes, ~10 kb/s) teed to every origin
 *   relay                the built relay (packages/server/dist/cli.js), with --streams always-on proxies
 *                        added in one bulkStreamProxy call, each pulling the tiny stream under its own name
 *   load generator       autocannon, in this process (lib/api-load.ts)
 *
 * Once getMediaList lists every stream, one idle window measures what the ingest alone costs the
 * relay; then each API call, at each connection count, gets a warm-up run and a measured run, with
 * the relay's CPU (utime+stime from /proc/<pid>/stat) and RSS over the measured run. Reply bodies
 * are parsed and checked (all of them, or a sample of the large ones). At the end the proxy store
 * on disk must hold exactly --streams proxies again. Results go to stdout and to the "API" section
 * of benchmarks/RESULTS.md (replaced if present, else appended).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from '../test/helpers/free-port.js';
import { startRelay } from '../test/helpers/relay.js';
import { waitUntil } from '../test/helpers/wait.js';
import { runLoad, type LoadResult, type LoadStep } from './lib/api-load.js';
import { PULLERS_PER_ORIGIN, startTinyOrigins } from './lib/api-origin.js';
import { onCleanup, runWithCleanup } from './lib/cleanup.js';
import { CpuWindow, OtherLoadWindow, childPids, rssKiB } from './lib/proc.js';
import { writeResultsSection } from './lib/results-section.js';
import { gitDescription, machineLine } from './lib/run-conditions.js';

const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
const SECRET = 'bench-secret';
/** Issue 7: getMediaList with 1000 streams. */
const TARGET_RPS = 5000;

const USAGE =
  'usage: pnpm exec tsx benchmarks/api.ts [--streams 1000] [--seconds 10] [--warmup 2] [--connections 10,100] [--no-results]\n';
const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10,100' },
    'no-results': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const streamCount = Number(values.streams);
const windowSec = Number(values.seconds);
const warmupSec = Number(values.warmup);
const connectionCounts = values.connections!.split(',').map((x) => {
  const n = Number(x.trim());
  if (!Number.isInteger(n) || n < 1) throw new Error(`--connections: not a count: "${x}"`);
  return n;
});
if (!Number.isInteger(streamCount) || streamCount < 1) throw new Error('--streams must be a whole number ≥ 1');
if (!(windowSec >= 1) || !(warmupSec >= 0)) throw new Error('--seconds must be ≥ 1 and --warmup ≥ 0');

const HEADING = `## API: requests/s with ${streamCount} proxies and ${streamCount} streams`;
const log = (s: string): void => void process.stderr.write(`[api] ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const APP = 'bench';
const streamName = (i: number): string => `s${i}`;
const keyOf = (app: string, stream: string): string => `__defaultVhost__/${app}/${stream}`;
/** Add/delete pairs use their own app, so they never collide with the standing proxies. */
const ADDEL_APP = 'addel';
/** Never contacted: the added proxies are on-demand and nobody plays them. */
const ADDEL_URL = 'rtmp://127.0.0.1:9/live/none';

const api = (name: string, query: Record<string, string> = {}): string =>
  `/index/api/${name}?${new URLSearchParams({ secret: SECRET, ...query })}`;

interface Scenario {
  readonly id: string;
  /** The call as the results show it. */
  readonly label: string;
  readonly steps: LoadStep[];
  readonly checkEvery: number;
}

function scenarios(): Scenario[] {
  const middle = streamName(Math.floor(streamCount / 2));
  const code0 = (r: any): string | undefined => (r.code === 0 ? undefined : `code ${r.code}: ${r.msg}`);
  let seq = 0;
  return [
    {
      id: 'media-all',
      label: '`getMediaList` (all streams)',
      checkEvery: 50,
      steps: [
        {
          path: () => api('getMediaList'),
          check: (r) => code0(r) ?? (r.data?.length === streamCount ? undefined : `${r.data?.length} streams listed`),
        },
      ],
    },
    {
      id: 'media-one',
      label: '`getMediaList` `app`+`stream` (one stream)',
      checkEvery: 1,
      steps: [
        {
          path: () => api('getMediaList', { app: APP, stream: middle }),
          check: (r) =>
            code0(r) ?? (r.data?.length === 1 && r.data[0].stream === middle ? undefined : `listed ${JSON.stringify(r.data)?.slice(0, 200)}`),
        },
      ],
    },
    {
      id: 'proxy-all',
      label: '`listStreamProxy` (all proxies)',
      checkEvery: 50,
      steps: [
        {
          path: () => api('listStreamProxy'),
          check: (r) => code0(r) ?? (r.data?.length === streamCount ? undefined : `${r.data?.length} proxies listed`),
        },
      ],
    },
    {
      id: 'proxy-one',
      label: '`getProxyInfo` `key` (one proxy)',
      checkEvery: 1,
      steps: [
        {
          path: () => api('getProxyInfo', { key: keyOf(APP, middle) }),
          check: (r) => code0(r) ?? (r.data?.key === keyOf(APP, middle) ? undefined : `key ${r.data?.key}`),
        },
      ],
    },
    {
      id: 'add-del',
      label: '`addStreamProxy` (on_demand=1) + `delStreamProxy`, distinct keys',
      checkEvery: 1,
      steps: [
        {
          path: (ctx) => {
            ctx.stream = `k${seq++}`;
            return api('addStreamProxy', { app: ADDEL_APP, stream: ctx.stream as string, url: ADDEL_URL, on_demand: '1' });
          },
          check: (r, ctx) => code0(r) ?? (r.data?.key === keyOf(ADDEL_APP, ctx.stream as string) ? undefined : `added ${r.data?.key}`),
        },
        {
          path: (ctx) => api('delStreamProxy', { key: keyOf(ADDEL_APP, ctx.stream as string) }),
          check: (r) => code0(r) ?? (r.data?.flag === true ? undefined : `flag ${r.data?.flag}`),
        },
      ],
    },
  ];
}

interface Point {
  readonly scenario: Scenario;
  readonly connections: number;
  readonly load: LoadResult;
  readonly relayCpu: number;
  readonly relayRssKiB: number;
  readonly otherLoad: number;
}

async function post(base: string, name: string, body: unknown): Promise<any> {
  const res = await fetch(`${base}/index/api/${name}?secret=${SECRET}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm run build\` first`);
  const started = Date.now();
  const relayVersion = `Sluice ${gitDescription(REPO)} (packages/server/dist)`;

  // 1. The upstream: one tiny encode teed to enough nginx-rtmp origins.
  const origins = await startTinyOrigins(streamCount);
  log(`${origins.urls.length} origin(s) publishing ${origins.spec.width}x${origins.spec.height} at ${origins.spec.fps} fps`);

  // 2. The relay, with every proxy pulling (always on) under its own name.
  const relay = await startRelay({
    port: await freePort(),
    secret: SECRET,
    // info: startRelay waits for the "sluice listening" info line; the API logs nothing per request.
    env: { SLUICE_LOG_LEVEL: 'info' },
  });
  onCleanup('relay', () => relay.stop());
  const relayPid = relay.process.pid!;
  const items = Array.from({ length: streamCount }, (_, i) => ({
    app: APP,
    stream: streamName(i),
    url: origins.urls[Math.floor(i / PULLERS_PER_ORIGIN)],
    on_demand: 0,
  }));
  const added = await post(relay.base, 'bulkStreamProxy', { add: items });
  const failed = (added.data?.add ?? []).filter((r: any) => r.code !== 0);
  if (added.code !== 0 || failed.length > 0) throw new Error(`bulkStreamProxy: ${JSON.stringify(failed[0] ?? added)}`);
  const t0 = Date.now();
  await waitUntil(
    `${streamCount} streams listed by getMediaList`,
    async () => ((await relay.api('getMediaList')).data?.length ?? 0) === streamCount,
    180_000,
    1000,
  );
  log(`relay pid ${relayPid} on :${relay.port}: ${streamCount} proxies, all ${streamCount} streams live after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // 3. Idle window: what the ingest alone costs.
  await sleep(3000);
  const ours = (): number[] => [process.pid, ...childPids(process.pid)];
  const idleCpu = new CpuWindow([relayPid, ...origins.pids]);
  const idleOther = new OtherLoadWindow(ours());
  await sleep(windowSec * 1000);
  const idle = idleCpu.end();
  const idleOtherLoad = idleOther.end();
  const idleRss = rssKiB(relayPid);
  const upstreamCpu = origins.pids.reduce((a, p) => a + idle.get(p)!, 0);
  log(`idle: relay ${idle.get(relayPid)!.toFixed(1)} % CPU, RSS ${(idleRss / 1024).toFixed(0)} MiB; publisher + origins ${upstreamCpu.toFixed(1)} %; other load ${idleOtherLoad.toFixed(0)} %`);

  // 4. Each call at each connection count: warm-up, then the measured run.
  const points: Point[] = [];
  for (const scenario of scenarios()) {
    for (const connections of connectionCounts) {
      const spec = { port: relay.port, connections, steps: scenario.steps, checkEvery: scenario.checkEvery };
      if (warmupSec > 0) await runLoad({ ...spec, seconds: warmupSec });
      const cpu = new CpuWindow([relayPid]);
      const other = new OtherLoadWindow(ours());
      const load = await runLoad({ ...spec, seconds: windowSec });
      const relayCpu = cpu.end().get(relayPid)!;
      const point: Point = { scenario, connections, load, relayCpu, relayRssKiB: rssKiB(relayPid), otherLoad: other.end() };
      points.push(point);
      log(
        `${scenario.id} c=${connections}: ${load.requestsPerSec.toFixed(0)} req/s, p50 ${load.p50} ms, p99 ${load.p99} ms, ` +
          `${load.bytesPerReply.toFixed(0)} B/reply, relay ${relayCpu.toFixed(0)} % CPU, load generator ${load.loadGeneratorCpu.toFixed(0)} %, ` +
          `other load ${point.otherLoad.toFixed(0)} %` +
          `${load.failedChecks + load.non2xx + load.errors > 0 ? `; FAILURES: ${load.non2xx} non-2xx, ${load.errors} errors, ${load.failedChecks} bad bodies (${load.firstFailure})` : ''}`,
      );
    }
  }

  // 5. The store: add/delete runs end with a request or two in flight; delete those, then count.
  const leftovers = ((await relay.api('listStreamProxy')).data as any[]).filter((p) => p.app === ADDEL_APP);
  for (const p of leftovers) await relay.api('delStreamProxy', { key: p.key });
  const listed = (await relay.api('listStreamProxy')).data.length as number;
  // The reply comes after the change is durable, so the file is already up to date.
  const stored = JSON.parse(readFileSync(join(relay.dataDir, 'proxies.json'), 'utf8')).proxies.length as number;
  log(`after the runs: ${leftovers.length} add(s) left by the end of a run deleted; ${listed} proxies listed, ${stored} in the store`);
  if (listed !== streamCount || stored !== streamCount) throw new Error(`expected ${streamCount} proxies listed and stored, got ${listed} and ${stored}`);

  const md = render({
    points,
    idleRelayCpu: idle.get(relayPid)!,
    idleRss,
    upstreamCpu,
    idleOtherLoad,
    originCount: origins.urls.length,
    relayVersion,
    leftovers: leftovers.length,
    stored,
    elapsed: (Date.now() - started) / 1000,
  });
  process.stdout.write(`\n${md}\n`);
  if (!values['no-results']) {
    writeResultsSection(RESULTS, HEADING, md);
    log(`wrote "${HEADING.slice(3)}" in ${RESULTS}`);
  }
}

interface Run {
  points: Point[];
  idleRelayCpu: number;
  idleRss: number;
  upstreamCpu: number;
  idleOtherLoad: number;
  originCount: number;
  relayVersion: string;
  leftovers: number;
  stored: number;
  elapsed: number;
}

const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const ms = (x: number): string => (x < 10 ? x.toFixed(2) : x.toFixed(0));

function commandLine(): string {
  const args = process.argv.slice(2);
  return `pnpm run build && flock /tmp/sluice-heavy.lock pnpm exec tsx benchmarks/api.ts${args.length ? ` ${args.join(' ')}` : ''}`;
}

function render(run: Run): string {
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const rows = run.points.map((p) => {
    const l = p.load;
    const bad = l.non2xx + l.errors + l.timeouts + l.failedChecks;
    return (
      `| ${p.scenario.label} | ${p.connections} | **${fmt(l.requestsPerSec, 0)}** | ${ms(l.p50)} / ${ms(l.p99)} | ${fmt(l.bytesPerReply, 0)} | ` +
      `${bad} (${l.checked} of ${l.requests} bodies checked) | ${fmt(p.relayCpu, 0)} | ${fmt(p.relayRssKiB / 1024, 0)} | ${fmt(l.loadGeneratorCpu, 0)} | ${fmt(p.otherLoad, 0)} |`
    );
  });
  const mediaAll = run.points.filter((p) => p.scenario.id === 'media-all');
  const mediaOne = run.points.filter((p) => p.scenario.id === 'media-one');
  const verdict = (ps: Point[]): string =>
    ps
      .map((p) => {
        const r = p.load.requestsPerSec;
        return `${p.connections} connections: ${fmt(r, 0)}/s — ${r >= TARGET_RPS ? 'met' : `missed by ${fmt(TARGET_RPS - r, 0)}/s (${fmt((1 - r / TARGET_RPS) * 100, 0)} %)`}`;
      })
      .join('; ');
  return [
    HEADING,
    '',
    `- Command: \`${commandLine()}\``,
    `- Date: ${date} (\`date -u\`)`,
    machineLine(),
    `- Relay: ${run.relayVersion}; load generator: autocannon ${autocannonVersion()} in the benchmark process`,
    `- Streams: ${streamCount} always-on proxies (one \`bulkStreamProxy\` call), each pulling a tiny live stream over RTMP under its own name: ` +
      `one ffmpeg encode (testsrc 160x90, 2 fps, every frame a keyframe, ~600 B a frame, video only) teed to ${run.originCount} nginx-rtmp origin(s) ` +
      `(${PULLERS_PER_ORIGIN} pulls each). Before measuring, \`getMediaList\` listed all ${streamCount}.`,
    `- Ingest cost, idle (no API load, ${windowSec} s): relay **${fmt(run.idleRelayCpu)} %** of one core, RSS ${fmt(run.idleRss / 1024, 0)} MiB; ` +
      `publisher + origins ${fmt(run.upstreamCpu)} %; other load ${fmt(run.idleOtherLoad, 0)} %. Subtract it from the relay CPU below for the API's share.`,
    '',
    'Method:',
    '',
    `- autocannon (programmatic API, in the benchmark's own Node process; the relay is a child process): keep-alive connections, pipelining 1, ` +
      `a ${warmupSec} s warm-up run, then a ${windowSec} s measured run per row, the secret as \`secret=\` in the query. ` +
      'requests/s = completed requests / run time; latency from send to the last byte of the reply.',
    '- Replies: HTTP status counted by autocannon; bodies parsed and checked (code 0 and the expected content: all streams or proxies listed, ' +
      'the one stream or proxy asked for, the key added, flag true on delete), every body for the small replies, every 50th for the full lists. ' +
      '"bad" = non-2xx + socket errors + timeouts + bodies that failed the check.',
    `- Add/delete: each connection loops \`addStreamProxy\` (app \`${ADDEL_APP}\`, a new stream name each time, on_demand=1, nothing connects) ` +
      'then `delStreamProxy` of the same key; each reply comes after the change is durable in the store (whole document rewritten, fsync, rename). ' +
      `Requests/s counts both calls. After all runs, ${run.leftovers} add(s) still in flight at the end of a run were deleted and the store held ${run.stored} proxies.`,
    '- Relay CPU: utime + stime from `/proc/<pid>/stat` over the measured run, % of one core (it includes the ingest above). RSS: VmRSS after the run. ' +
      'Load generator CPU: `process.cpuUsage()` of the benchmark process over the run. Other load: the rest of the machine, % of one core.',
    `- Whole run: ${fmt(run.elapsed, 0)} s.`,
    '',
    '| call | connections | requests/s | latency p50 / p99 (ms) | bytes per reply | bad (bodies checked) | relay CPU % | relay RSS (MiB) | load generator CPU % | other load % |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Issue 7 target, ≥ ${TARGET_RPS} requests/s for \`getMediaList\` with ${streamCount} streams (computed by the benchmark):`,
    '',
    `- all ${streamCount} streams in each reply: ${verdict(mediaAll)}`,
    `- one stream (\`app\`+\`stream\`, the online check platforms make): ${verdict(mediaOne)}`,
    '',
  ].join('\n');
}

function autocannonVersion(): string {
  try {
    return JSON.parse(readFileSync(join(REPO, 'node_modules/autocannon/package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

await runWithCleanup(main);
