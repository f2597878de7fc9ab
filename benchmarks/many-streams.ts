/**
 * Many streams: M proxied ~1 Mbps H.264 + AAC streams, one HTTP fMP4 viewer each. What does
 * each stream cost the relay, in CPU and memory, when it is one of M (as M cameras would be)?
 *
 *   pnpm run build && pnpm exec tsx benchmarks/many-streams.ts [--streams 10,50,200] [--seconds 15]
 *     [--merge 20] [--ramp 3] [--no-profile] [--no-results]
 *
 * Processes (all on 127.0.0.1, all stopped on exit, error or Ctrl-C):
 *   nginx-rtmp (origin)   test/helpers/nginx-rtmp.ts; it does the upstream fan-out (M players of one stream)
 *   ffmpeg -re -c copy    publishes a 640x360 ~1 Mb/s clip, encoded once and cached, in real time, looped
 *   relay                 the built relay (packages/server/dist/cli.js via lib/many-relay.ts), a fresh one per
 *                         point; M always-on proxies (one bulkStreamProxy request) pulling the origin's one
 *                         stream as live/s0 … live/s<M-1>: M full RTMP ingests, as for M cameras
 *   load generator        lib/many-viewers.ts: viewer i GETs /live/s<i>.live.mp4 on a raw socket, counting bytes
 *
 * Per point (M, mergeWriteMS): start the relay; a baseline window with 0 streams; add the M proxies,
 * wait until all M streams are online; a window with no viewers (ingest only); connect the M viewers,
 * wait until every one receives; a window with the viewers. Each window takes the relay's CPU
 * (utime+stime of the process and of its main thread, /proc), its RSS, what it read from the origin
 * (`ss -tip`, and per stream sluice_proxy_bytes_in_total), the bytes each viewer got, and the CPU of
 * the load generator, the origin nginx and the publisher (reported apart: they are not the relay).
 * Unless --no-profile, one more point at the largest M runs the relay under `node --cpu-prof`; the
 * samples of its two windows are summarised (per Sluice package, code owner and function, in % of a
 * core) and kept apart from the table, which is measured without the profiler.
 * Results go to stdout and to the "Many streams" section of benchmarks/RESULTS.md (replaced if present).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFIG_SCHEMA } from '../packages/server/src/config.js';
import { isRunning, output, spawnTracked, stop as stopChild } from '../test/helpers/child.js';
import { waitForPublishing } from '../test/helpers/ffmpeg.js';
import { freePort } from '../test/helpers/free-port.js';
import { scrape, type MetricFamily } from '../test/helpers/metrics.js';
import { startNginxRtmp } from '../test/helpers/nginx-rtmp.js';
import { waitUntil } from '../test/helpers/wait.js';
import { onCleanup, runWithCleanup } from './lib/cleanup.js';
import { encodeArgs, ensureClip, measureClip, type ClipBitrate, type ClipSpec } from './lib/clip.js';
import { startStreamViewers, type StreamViewersReport } from './lib/many-loadgen.js';
import { summarizeProfile, type ProfileSummary, type Share } from './lib/many-profile.js';
import { startBenchRelay, type BenchRelay } from './lib/many-relay.js';
import { writeResultsSection } from './lib/results-section.js';
import { CLK_TCK, CpuWindow, OtherLoadWindow, childPids, rssKiB, tcpBytesReceivedFrom } from './lib/proc.js';
import { ThreadCpuWindow, type ThreadCpu } from './lib/threads.js';
import { gitDescription, machineLine, waitForQuiet } from './lib/run-conditions.js';

const HEADING = '## Many streams: M proxied 1 Mbps streams, 1 viewer each';
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));
/** ~1 Mb/s in all: 900 kb/s CBR video (nal-hrd=cbr filler, so the rate is real) + 96 kb/s AAC, GOP 2 s. */
const CLIP: ClipSpec = { seconds: 30, size: '640x360', fps: 25, videoKbps: 900, audioKbps: 96, gop: 50 };
/**
 * test/helpers/nginx-rtmp.ts runs nginx with `worker_connections 256`: the relay's M pulls, the
 * publisher and the stat requests must fit.
 */
const MAX_STREAMS = 240;
const APP = 'live';
const PREFIX = 's';
/** The idle relay's window (0 streams): short, it only anchors CPU and RSS per stream. */
const BASELINE_SEC = 5;
const SECRET = 'bench-secret';

const USAGE =
  'usage: pnpm exec tsx benchmarks/many-streams.ts [--streams 10,50,200] [--seconds 15] [--merge 20] [--ramp 3] [--no-profile] [--no-results]\n';
const defaultMerge = String(CONFIG_SCHEMA['general.mergeWriteMS'].default);
const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '10,50,200' },
    seconds: { type: 'string', default: '15' },
    merge: { type: 'string', default: defaultMerge },
    ramp: { type: 'string', default: '3' },
    'no-profile': { type: 'boolean', default: false },
    'no-results': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const wholeNumbers = (option: string, text: string, min: number, max: number): number[] =>
  text.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${option}: not a whole number in ${min}..${max}: "${x}"`);
    return n;
  });
const streamCounts = wholeNumbers('streams', values.streams!, 1, MAX_STREAMS);
const merges = wholeNumbers('merge', values.merge!, 0, 1000);
const windowSec = Number(values.seconds);
const rampSec = Number(values.ramp);
if (!(windowSec > 0) || !(rampSec >= 0)) throw new Error('--seconds must be > 0 and --ramp >= 0');
const withProfile = !values['no-profile'];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`[many-streams] ${s}\n`);

/** The processes around the relay, measured in every window but reported apart. */
interface Bench {
  originPid: number;
  originPort: number;
  publisherPid: number;
  srcUrl: string;
  clip: ClipBitrate;
}

interface Window {
  relayCpu: number;
  /** The same split into user and system (kernel) time, % of one core. */
  relayUser: number;
  relaySystem: number;
  threads: ThreadCpu;
  /** Mean of the relay's VmRSS sampled once a second over the window (GC moves it by MiBs within a window). */
  rssKiB: number;
  /** Bytes per second the relay read from the origin, all M connections (`ss -tip` bytes_received). */
  ingestBps: number;
  originCpu: number;
  publisherCpu: number;
  loadGenCpu?: number;
  otherLoad: number;
  /** Monotonic µs (process.hrtime), to cut a CPU profile to the window. */
  fromUs: number;
  toUs: number;
}

/** The relay's V8 heap and off-heap memory (prom-client's default metrics), bytes. */
interface Heap {
  used: number;
  total: number;
  /** Memory of Buffers and other ArrayBuffers, outside the JS heap. */
  external: number;
}

interface Point {
  merge: number;
  streams: number;
  baseline: { relayCpu: number; rssKiB: number; heap: Heap };
  ingestOnly: Window;
  viewers: Window;
  /** At the end of each window. */
  ingestOnlyHeap: Heap;
  viewersHeap: Heap;
  /** Per viewer: body bytes in the window ÷ what its stream's proxy read from the origin in the same window. */
  ofIngest: number[];
  /** Per viewer: body bytes ÷ (the clip's payload rate × window). */
  ofSource: number[];
  endedEarly: number;
  /** Seconds from the bulk request until all M streams were online, and until every viewer received. */
  onlineSec: number;
  receivingSec: number;
  /** Only on the profiled point: its two windows, from one profile. */
  profile?: { ingestOnly: ProfileSummary; viewers: ProfileSummary };
}

/** Bytes each proxy has read from its upstream, by stream name (`sluice_proxy_bytes_in_total`). */
function proxyBytesIn(families: MetricFamily[]): Map<string, number> {
  const family = families.find((f) => f.name === 'sluice_proxy_bytes_in_total');
  return new Map((family?.metrics ?? []).map((m) => [m.labels?.stream ?? '', Number(m.value ?? 0)]));
}

function heapOf(families: MetricFamily[]): Heap {
  const value = (name: string): number => Number(families.find((f) => f.name === name)?.metrics[0]?.value ?? NaN);
  return {
    used: value('nodejs_heap_size_used_bytes'),
    total: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}

const min = (xs: number[]): number => xs.reduce((a, b) => Math.min(a, b), Infinity);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** utime and stime of a process in clock ticks, apart (`/proc/<pid>/stat` fields 14 and 15). */
function userSystemTicks(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After the command name (which may hold spaces), field 3 is fields[0].
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** One window over the relay and the processes around it. */
async function measureWindow(bench: Bench, relay: BenchRelay, seconds: number, loadGenPid?: number): Promise<Window> {
  const pids = [relay.pid, bench.originPid, bench.publisherPid, ...(loadGenPid === undefined ? [] : [loadGenPid])];
  const in0 = tcpBytesReceivedFrom(relay.pid, bench.originPort);
  const fromUs = nowUs();
  const t0 = process.hrtime.bigint();
  const cpu = new CpuWindow(pids);
  const split0 = userSystemTicks(relay.pid);
  const threads = new ThreadCpuWindow(relay.pid);
  const other = new OtherLoadWindow([process.pid, ...childPids(process.pid)]);
  const rss: number[] = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(1000, end - Date.now()));
    rss.push(rssKiB(relay.pid));
  }
  const used = cpu.end();
  const split1 = userSystemTicks(relay.pid);
  const threadCpu = threads.end();
  const otherLoad = other.end();
  const toUs = nowUs();
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const in1 = tcpBytesReceivedFrom(relay.pid, bench.originPort);
  if (otherLoad > 15) log(`  warning: other processes used ${otherLoad.toFixed(0)} % of a core during this window`);
  return {
    relayCpu: used.get(relay.pid)!,
    relayUser: ((split1.user - split0.user) / CLK_TCK / sec) * 100,
    relaySystem: ((split1.system - split0.system) / CLK_TCK / sec) * 100,
    threads: threadCpu,
    rssKiB: mean(rss),
    ingestBps: (in1 - in0) / sec,
    originCpu: used.get(bench.originPid)!,
    publisherCpu: used.get(bench.publisherPid)!,
    ...(loadGenPid === undefined ? {} : { loadGenCpu: used.get(loadGenPid)! }),
    otherLoad,
    fromUs,
    toUs,
  };
}

async function measurePoint(bench: Bench, streams: number, merge: number, profileDir?: string): Promise<Point> {
  await waitForQuiet(log);
  const name = `relay (M=${streams}, mergeWriteMS ${merge}${profileDir ? ', profiled' : ''})`;
  const relay = await startBenchRelay({
    port: await freePort(),
    secret: SECRET,
    name,
    env: { SLUICE_GENERAL_MERGEWRITEMS: String(merge) },
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  // Past start-up (module loading, first compilations) before the idle baseline.
  await sleep(2000);
  const base = await measureWindow(bench, relay, BASELINE_SEC);
  const baseHeap = heapOf(await scrape(relay.base, SECRET));

  // M always-on proxies of the origin's one stream, in one request; they connect through the
  // relay's start limiter (proxy.startConcurrency).
  const t0 = Date.now();
  const items = Array.from({ length: streams }, (_, i) => ({ app: APP, stream: `${PREFIX}${i}`, url: bench.srcUrl, on_demand: 0 }));
  const added = await relay.post('bulkStreamProxy', { add: items });
  const refused = (added.data?.add ?? []).filter((r: { code: number }) => r.code !== 0);
  if (added.code !== 0 || refused.length > 0) throw new Error(`bulkStreamProxy: ${JSON.stringify(refused.length ? refused.slice(0, 3) : added)}`);
  await waitUntil(
    `${streams} streams online`,
    async () => {
      const list = await relay.api('getMediaList', { app: APP, schema: 'fmp4' });
      return (list.data ?? []).length >= streams ? true : undefined;
    },
    30_000 + streams * 100,
    250,
  );
  const onlineSec = (Date.now() - t0) / 1000;
  await sleep(rampSec * 1000);
  const ingestOnly = await measureWindow(bench, relay, windowSec);
  const ingestOnlyHeap = heapOf(await scrape(relay.base, SECRET));

  const t1 = Date.now();
  const gen = await startStreamViewers({ port: relay.port, app: APP, prefix: PREFIX, count: streams, maxSeconds: windowSec + rampSec + 180 });
  const ready = await waitUntil(
    `${streams} viewers receiving`,
    async () => {
      const s = await gen.status();
      return s.receiving === streams || s.failed > 0 || s.badStatus > 0 || s.ended > 0 ? s : undefined;
    },
    30_000,
    200,
  );
  if (ready.receiving !== streams) throw new Error(`viewers did not all start: ${JSON.stringify(ready)}\n${relay.recentLogs()}`);
  const receivingSec = (Date.now() - t1) / 1000;
  await sleep(rampSec * 1000);

  await gen.mark();
  const m0 = proxyBytesIn(await scrape(relay.base, SECRET));
  const viewers = await measureWindow(bench, relay, windowSec, gen.pid);
  const report: StreamViewersReport = await gen.report();
  const after = await scrape(relay.base, SECRET);
  const m1 = proxyBytesIn(after);
  await gen.stop();
  await relay.stop();

  const sourceBytes = ((bench.clip.payloadKbps * 1000) / 8) * report.seconds;
  const ofIngest = report.bytes.map((b, i) => {
    const stream = `${PREFIX}${i}`;
    return b / ((m1.get(stream) ?? NaN) - (m0.get(stream) ?? NaN));
  });
  const point: Point = {
    merge,
    streams,
    baseline: { relayCpu: base.relayCpu, rssKiB: base.rssKiB, heap: baseHeap },
    ingestOnly,
    viewers,
    ingestOnlyHeap,
    viewersHeap: heapOf(after),
    ofIngest,
    ofSource: report.bytes.map((b) => b / sourceBytes),
    endedEarly: report.endedViewers.length,
    onlineSec,
    receivingSec,
  };
  if (profileDir) {
    const file = readdirSync(profileDir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no .cpuprofile in ${profileDir}: the profiled relay did not exit cleanly`);
    const path = join(profileDir, file);
    point.profile = {
      ingestOnly: summarizeProfile(path, ingestOnly.fromUs, ingestOnly.toUs),
      viewers: summarizeProfile(path, viewers.fromUs, viewers.toUs),
    };
  }
  return point;
}

const perStream = (p: Point, cpu: number): number => (cpu - p.baseline.relayCpu) / p.streams;
const rssPerStream = (p: Point, rss: number): number => (rss - p.baseline.rssKiB) / p.streams;

function logPoint(p: Point): void {
  const v = p.viewers;
  const i = p.ingestOnly;
  log(
    `  M=${p.streams} mergeWriteMS ${p.merge}: baseline ${p.baseline.relayCpu.toFixed(1)} % CPU, RSS ${(p.baseline.rssKiB / 1024).toFixed(0)} MiB; ` +
      `ingest only ${i.relayCpu.toFixed(1)} % (${perStream(p, i.relayCpu).toFixed(2)} per stream), RSS ${(i.rssKiB / 1024).toFixed(0)} MiB; ` +
      `with viewers ${v.relayCpu.toFixed(1)} % (main thread ${v.threads.main.toFixed(1)} %; ${perStream(p, v.relayCpu).toFixed(2)} per stream), ` +
      `RSS ${(v.rssKiB / 1024).toFixed(0)} MiB (+${rssPerStream(p, v.rssKiB).toFixed(0)} KiB per stream); ` +
      `ingest ${((v.ingestBps * 8) / 1e6).toFixed(1)} Mb/s; delivered ÷ ingest min ${min(p.ofIngest).toFixed(3)} (mean ${mean(p.ofIngest).toFixed(3)}), ` +
      `÷ source min ${min(p.ofSource).toFixed(3)}; ended ${p.endedEarly}; load generator ${v.loadGenCpu!.toFixed(1)} %, ` +
      `origin ${v.originCpu.toFixed(1)} %, publisher ${v.publisherCpu.toFixed(1)} %; other load ${v.otherLoad.toFixed(0)} %`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm run build\` first`);
  const started = Date.now();
  const pointSec = (m: number): number => 8 + BASELINE_SEC + 2 * (rampSec + windowSec) + m / 20;
  const estimate =
    streamCounts.reduce((a, m) => a + merges.length * pointSec(m), 0) + (withProfile ? pointSec(Math.max(...streamCounts)) + 5 : 0);
  log(
    `points: M ${streamCounts.join(',')} × mergeWriteMS ${merges.join(',')}${withProfile ? `, then a profiled relay at M=${Math.max(...streamCounts)}` : ''}; ` +
      `${windowSec} s windows; about ${Math.ceil(estimate / 60)} min`,
  );

  const clipFile = await ensureClip(CLIP);
  const clip = await measureClip(clipFile.path, CLIP.fps);
  log(
    `${clipFile.encoded ? 'encoded' : 'cached'} clip ${clipFile.path}: ${clip.payloadKbps.toFixed(0)} kb/s payload ` +
      `(video ${clip.videoKbps.toFixed(0)}, audio ${clip.audioKbps.toFixed(0)}), ${clip.framesPerSecond.toFixed(1)} frames/s`,
  );

  const nginx = await startNginxRtmp();
  onCleanup('nginx-rtmp origin', () => nginx.stop());
  // master_process off: the origin is this benchmark's one nginx child.
  const originPid = childPids(process.pid).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'nginx');
  if (originPid === undefined) throw new Error('cannot find the origin nginx process');
  const srcUrl = nginx.rtmpUrl(APP, 'src');
  // -c copy: the publisher only paces and remuxes, so it costs little CPU during the windows.
  const publisher = spawnTracked(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-re', '-stream_loop', '-1', '-i', clipFile.path, '-c', 'copy', '-f', 'flv', srcUrl],
    { name: 'ffmpeg publisher' },
  );
  onCleanup('ffmpeg publisher', () => stopChild(publisher));
  await waitForPublishing(nginx, APP, 'src', 15_000);
  if (!isRunning(publisher)) throw new Error(`ffmpeg publisher exited:\n${output(publisher)}`);
  const bench: Bench = { originPid, originPort: nginx.rtmpPort, publisherPid: publisher.pid!, srcUrl, clip };

  const points: Point[] = [];
  // All points of one mergeWriteMS, then the next: the first is the default, the others a comparison.
  for (const merge of merges) {
    for (const m of streamCounts) {
      const p = await measurePoint(bench, m, merge);
      points.push(p);
      logPoint(p);
    }
  }
  let profiled: Point | undefined;
  if (withProfile) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-many-prof-'));
    onCleanup('profile directory', () => rmSync(dir, { recursive: true, force: true }));
    profiled = await measurePoint(bench, Math.max(...streamCounts), merges[0]!, dir);
    log(`  profiled relay, M=${profiled.streams}: ${profiled.viewers.relayCpu.toFixed(1)} % CPU under the profiler`);
    for (const line of profileLines(profiled)) log(`    ${line}`);
  }

  const elapsed = (Date.now() - started) / 1000;
  const md = render(points, profiled, clip, elapsed);
  process.stdout.write(`\n${md}\n`);
  if (!values['no-results']) {
    writeResultsSection(RESULTS, HEADING, md);
    log(`wrote the "${HEADING.slice(3)}" section of ${RESULTS}`);
  }
  log(`done in ${elapsed.toFixed(0)} s`);
}

function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A share of a window's busy samples as % of one core over that window. */
function ofCore(s: ProfileSummary, percent: number): number {
  return (percent * s.busyMs) / s.wallMs;
}

/** The profile as short text lines (console). */
function profileLines(p: Point): string[] {
  const lines: string[] = [];
  for (const [label, s] of [['ingest only', p.profile!.ingestOnly], ['with viewers', p.profile!.viewers]] as const) {
    const top = (xs: Share[], n: number): string => xs.slice(0, n).map((x) => `${x.name} ${fmt(ofCore(s, x.percent))}`).join('; ');
    lines.push(
      `${label}: main thread busy ${fmt((s.busyMs / s.wallMs) * 100)} % of a core in the samples${s.cut ? '' : ' (whole profile: the window was not inside it)'}`,
      `  by nearest Sluice package (% of a core): ${top(s.nearestSluice, 8)}`,
      `  functions (% of a core): ${top(s.functions, 10)}`,
    );
  }
  return lines;
}

function profileTable(p: Point): string[] {
  const { ingestOnly, viewers } = p.profile!;
  const side = (key: 'ownersSelf' | 'nearestSluice', n: number): string[] => {
    const names = viewers[key].slice(0, n).map((x) => x.name);
    for (const x of ingestOnly[key].slice(0, n)) if (!names.includes(x.name)) names.push(x.name);
    const at = (s: ProfileSummary, name: string): number => ofCore(s, s[key].find((x) => x.name === name)?.percent ?? 0);
    return names.map((name) => {
      const a = at(ingestOnly, name);
      const b = at(viewers, name);
      return `| ${name.replace(/\|/g, '\\|')} | ${fmt(a, 2)} | ${fmt(b, 2)} | ${fmt(b - a, 2)} |`;
    });
  };
  const busy = (s: ProfileSummary): string => fmt((s.busyMs / s.wallMs) * 100);
  return [
    `CPU profile of the relay's main thread at M = ${p.streams} (mergeWriteMS ${p.merge}): a separate point after the table's, same ` +
      'procedure, with the relay run under `node --cpu-prof` (1 ms sampling); the samples of its two windows are cut out of the one ' +
      `profile by time. The relay used ${fmt(p.ingestOnly.relayCpu)} % / ${fmt(p.viewers.relayCpu)} % of a core under the profiler (ingest only / ` +
      `with viewers; main thread ${fmt(p.ingestOnly.threads.main)} % / ${fmt(p.viewers.threads.main)} %), and its main thread was busy in ` +
      `${busy(p.profile!.ingestOnly)} % / ${busy(p.profile!.viewers)} % of the samples. Figures are **% of one core** (share of the busy samples ` +
      '× busy time ÷ window); "added by viewers" is the difference of the two windows. "Nearest Sluice package" counts each sample once, for ' +
      'the Sluice package closest to the top of its stack (so a Buffer copy or a socket write counts for the Sluice code that asked for it), ' +
      'or for the leaf\'s owner when no Sluice code is on the stack: `GC`, `(program)` (native work outside JavaScript: libuv, the socket ' +
      'reads before they reach JavaScript), a Node.js module.',
    '',
    '| nearest Sluice package on the stack | ingest only | with viewers | added by viewers |',
    '|---|---|---|---|',
    ...side('nearestSluice', 8),
    '',
    '| owner of the running code (self time) | ingest only | with viewers | added by viewers |',
    '|---|---|---|---|',
    ...side('ownersSelf', 10),
    '',
    '| function (self time), with viewers | % of a core |',
    '|---|---|',
    ...viewers.functions.slice(0, 15).map((x) => `| ${x.name.replace(/\|/g, '\\|')} | ${fmt(ofCore(viewers, x.percent), 2)} |`),
    '',
  ];
}

function render(points: Point[], profiled: Point | undefined, clip: ClipBitrate, elapsed: number): string {
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const argv = process.argv.slice(2).join(' ');
  const command = `pnpm run build && pnpm exec tsx benchmarks/many-streams.ts${argv ? ` ${argv}` : ''}`;
  const encode = `ffmpeg ${encodeArgs(CLIP, 'clip.flv')
    .filter((a) => !['-hide_banner', '-loglevel', 'error', '-y'].includes(a))
    .join(' ')}`;
  const rows = points.map((p) => {
    const v = p.viewers;
    const i = p.ingestOnly;
    return (
      `| ${p.merge} | ${p.streams} | ${fmt(p.baseline.relayCpu)} / ${fmt(p.baseline.rssKiB / 1024, 0)} | ` +
      `${fmt(i.relayCpu)} (${fmt(i.relayUser)} / ${fmt(i.relaySystem)}) | ${fmt(perStream(p, i.relayCpu), 2)} | ${fmt(rssPerStream(p, i.rssKiB), 0)} | ` +
      `**${fmt(v.relayCpu)}** (${fmt(v.relayUser)} / ${fmt(v.relaySystem)}) | **${fmt(perStream(p, v.relayCpu), 2)}** | ${fmt(v.threads.main)} | ${fmt(v.rssKiB / 1024, 0)} | **${fmt(rssPerStream(p, v.rssKiB), 0)}** | ` +
      `${fmt((v.ingestBps * 8) / 1e6)} | ${fmt(min(p.ofIngest), 3)} (${fmt(mean(p.ofIngest), 3)}) | ${fmt(min(p.ofSource), 3)} | ${p.endedEarly} | ` +
      `${fmt(v.loadGenCpu!)} | ${fmt(v.originCpu)} / ${fmt(v.publisherCpu)} | ${fmt(Math.max(i.otherLoad, v.otherLoad), 0)} |`
    );
  });
  // Between consecutive M of the same mergeWriteMS: free of each relay's baseline window.
  const marginal: string[] = [];
  for (const merge of merges) {
    const ps = points.filter((p) => p.merge === merge);
    for (let k = 1; k < ps.length; k++) {
      const a = ps[k - 1]!;
      const b = ps[k]!;
      const dm = b.streams - a.streams;
      marginal.push(
        `| ${merge} | ${a.streams} → ${b.streams} | ${fmt((b.ingestOnly.relayCpu - a.ingestOnly.relayCpu) / dm, 2)} | ` +
          `${fmt((b.viewers.relayCpu - a.viewers.relayCpu) / dm, 2)} | ${fmt((b.viewers.threads.main - a.viewers.threads.main) / dm, 2)} | ` +
          `${fmt((b.viewers.rssKiB - a.viewers.rssKiB) / dm, 0)} |`,
      );
    }
  }
  const kib = (bytes: number, base: number, m: number): string => fmt((bytes - base) / 1024 / m, 0);
  const memoryRows = points.map((p) => {
    const b = p.baseline.heap;
    const cells = (h: Heap, rss: number): string =>
      `${fmt(rssPerStream(p, rss), 0)} | ${kib(h.used, b.used, p.streams)} | ${kib(h.total, b.total, p.streams)} | ${kib(h.external, b.external, p.streams)}`;
    return (
      `| ${p.merge} | ${p.streams} | ${fmt(b.used / 2 ** 20)} / ${fmt(b.total / 2 ** 20)} / ${fmt(b.external / 2 ** 20)} | ` +
      `${cells(p.ingestOnlyHeap, p.ingestOnly.rssKiB)} | ${cells(p.viewersHeap, p.viewers.rssKiB)} |`
    );
  });
  const biggest = points.filter((p) => p.streams === Math.max(...streamCounts));
  const otherLoads = points.flatMap((p) => [p.ingestOnly.otherLoad, p.viewers.otherLoad]);
  return [
    HEADING,
    '',
    `- Command: \`${command}\``,
    `- Date: ${date} (\`date -u\`)`,
    `${machineLine()}; ` +
      `Sluice ${gitDescription(REPO)} (packages/server/dist)`,
    `- Source: a ${CLIP.seconds} s ${CLIP.size} ${CLIP.fps} fps clip encoded once (\`${encode}\`): **${fmt(clip.payloadKbps, 0)} kb/s** of ` +
      `H.264 + AAC payload (video ${fmt(clip.videoKbps, 0)}, audio ${fmt(clip.audioKbps, 0)}; ffprobe packet sizes), ` +
      `${fmt(clip.framesPerSecond)} frames/s; published in real time by one \`ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv\` ` +
      'to nginx-rtmp (test/helpers/nginx-rtmp.ts), the origin.',
    `- Relay: the built relay, **a fresh process per point** (benchmarks/lib/many-relay.ts; log level info, \`general.mergeWriteMS\` as in ` +
      `the first column, everything else default). Per point: ${BASELINE_SEC} s baseline window with 0 streams; M always-on proxies added ` +
      `in one \`bulkStreamProxy\` request, all pulling the origin's one stream (\`rtmp://127.0.0.1:PORT/live/src\`) as live/s0 … live/s<M−1>, so ` +
      'nginx does the upstream fan-out and the relay does M full ingests (RTMP, track building, GOP cache), as for M cameras; once ' +
      `\`getMediaList\` lists all M, ${rampSec} s ramp and a ${windowSec} s window with no viewers ("ingest only"); then one viewer per stream ` +
      `(\`GET /live/s<i>.live.mp4\`, progressive fMP4: the stream's muxer starts with its first viewer), all receiving, ${rampSec} s ramp, ` +
      `a ${windowSec} s window ("with viewers"). Points run in the order shown. Whole run: ${fmt(elapsed, 0)} s.`,
    '- Viewers: benchmarks/lib/many-viewers.ts, a separate Node process; raw `net` sockets, one GET each, counting body bytes into one ' +
      'shared read buffer (nothing parsed after the headers).',
    '- Columns:',
    '  - relay CPU: utime+stime of the relay over the window (`/proc/<pid>/stat`), % of one core; main thread: `/proc/<pid>/task/<pid>/stat` ' +
      '(the I/O thread; the rest is V8\'s GC helpers and libuv); user / system: the same CPU split into utime and stime (system calls and ' +
      'the kernel\'s TCP work: on loopback a sender\'s write also runs the receiving side\'s TCP processing). **Per stream** = (CPU − baseline CPU) / M.',
    '  - RSS: VmRSS of the relay, the mean of one sample a second over the window; **per stream** = (RSS − baseline RSS) / M, in KiB: ' +
      'an upper bound that includes V8 heap headroom grown under load (at small M, GC noise of a few MiB dominates).',
    '  - ingest: what the relay read from the origin in the window, all M connections (`ss -tip` bytes_received on its connections to the ' +
      'origin\'s port), Mb/s.',
    '  - delivered ÷ ingest: bytes each viewer got in the window ÷ what its stream\'s proxy read from the origin in the same window ' +
      '(`sluice_proxy_bytes_in_total{stream}` from `/metrics`, scraped right after the viewers\' mark and right after their report): ' +
      'the whole stream is ≈ 1.05–1.07 here, because at ~1.8 KB per frame the per-frame moof + mdat headers (~100 bytes) weigh more than ' +
      'RTMP\'s chunk and FLV tag headers; min over the M viewers (mean): a min close to the mean says every viewer got all of its stream. delivered ÷ source: the ' +
      'same bytes ÷ (the clip\'s payload rate × window), min; the CBR clip\'s 1 s VBV buffer moves this by a few % between windows.',
    '  - ended early: viewers whose connection closed before their report (any time since they connected).',
    '  - origin / publisher: CPU of the origin nginx (it serves M players) and of the ffmpeg publisher in the viewer window: not the relay, ' +
      'but on the same 2 cores. load generator: its own CPU. other load: the most the rest of the machine used in either window ' +
      '(`/proc/stat` busy time minus this benchmark\'s processes), % of one core; each point first waits for it to stay under 15 %.',
    '',
    '| mergeWriteMS | M | baseline (0 streams): CPU % / RSS MiB | ingest only: relay CPU % (user / system) | ingest only: CPU % per stream | ingest only: RSS per stream (KiB) | with viewers: relay CPU % (user / system) | CPU % per stream | main thread % | RSS MiB | RSS per stream (KiB) | ingest Mb/s | delivered ÷ ingest, min (mean) | delivered ÷ source, min | ended early | load generator CPU % | origin nginx / publisher CPU % | other load % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(marginal.length
      ? [
          'Marginal cost per stream between two M (the difference of two points ÷ the streams added; free of the baseline windows):',
          '',
          '| mergeWriteMS | M | ingest only: CPU % per stream | with viewers: CPU % per stream | main thread % per stream | RSS per stream (KiB) |',
          '|---|---|---|---|---|---|',
          ...marginal,
          '',
        ]
      : []),
    'Memory per stream, KiB above the baseline: RSS (mean over the window) beside the V8 heap used and reserved and the memory ' +
      'outside it (Buffers) at the end of the window (`nodejs_heap_size_used_bytes`, `nodejs_heap_size_total_bytes`, ' +
      '`nodejs_external_memory_bytes` from `/metrics`). Heap used moves with the GC cycle; reserved and RSS keep what the heap grew to.',
    '',
    '| mergeWriteMS | M | baseline: heap used / reserved / external (MiB) | ingest only: RSS | heap used | heap reserved | external | with viewers: RSS | heap used | heap reserved | external |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...memoryRows,
    '',
    `At M = ${Math.max(...streamCounts)}: ` +
      biggest
        .map(
          (p) =>
            `mergeWriteMS ${p.merge}: ${fmt(p.viewers.relayCpu)} % of a core (main thread ${fmt(p.viewers.threads.main)} %), ` +
            `about ${fmt(100 / perStream(p, p.viewers.relayCpu), 0)} such streams per core of relay CPU at this cost, ` +
            `${fmt((p.viewers.ingestBps * 8) / 1e6)} Mb/s in, worst viewer ${fmt(min(p.ofIngest), 3)} of its ingest, ${p.endedEarly} ended early`,
        )
        .join('; ') +
      `. Other load during the windows: ${fmt(min(otherLoads), 0)}–${fmt(Math.max(...otherLoads), 0)} % of a core.`,
    '',
    ...(profiled ? profileTable(profiled) : []),
  ].join('\n');
}

await runWithCleanup(main);
