/**
 * Fan-out: one ~2 Mbps H.264 + AAC source to N viewers on loopback, Sluice's progressive
 * HTTP fMP4 and WebSocket fMP4 side by side with its peers in the same run on the same machine.
 *
 *   pnpm run build && pnpm exec tsx benchmarks/fanout.ts [--viewers 100,500,1000,2000] [--seconds 20]
 *     [--sluice-merge 0,20] [--sluice-protocols http,ws] [--peers nginx,nms] [--probes 8] [--ramp 3]
 *     [--per-loadgen 1000] [--quick] [--floor] [--no-results] [--no-wait]
 *
 * Processes (all on 127.0.0.1, all stopped on exit, error or Ctrl-C):
 *   nginx-rtmp (origin)   test/helpers/nginx-rtmp.ts
 *   ffmpeg -re -c copy    publishes a clip encoded once (cached) in real time, looped
 *   relays                the built relay (packages/server/dist/cli.js), one per output protocol and
 *                         mergeWriteMS value, pulling the stream with addStreamProxy; HTTP viewers
 *                         GET /live/bench.live.mp4, WS viewers open ws://…/live/bench.live.mp4
 *   nginx-rtmp (peer)     lib/peers.ts: a second nginx pulling the origin (`pull … static`); RTMP viewers
 *   node-media-server     lib/peers.ts + lib/nms-server.ts: npm 4.x, its RTMP pull relay; HTTP-FLV viewers
 *   load generator        lib/viewers.ts: N raw viewers that only count bytes, K of them delay probes,
 *                         plus a reference reader on the origin; split over ⌈N / --per-loadgen⌉
 *                         processes (lib/loadgen.ts), each one's CPU measured to catch saturation
 *   floor server          lib/floor-server.ts: a bare Node `net` server sending the same bytes at
 *                         Sluice's write rate to the same viewers (only with --floor)
 *
 * Every server pulls the origin's stream once and runs for the whole run. A baseline window with no
 * viewers is taken for all at once; then, for each N in turn, each server gets the N viewers (one
 * server at a time), all must be receiving, a ramp settles, and the server's CPU (utime+stime from
 * /proc/<pid>/stat), RSS (VmRSS), bytes read (/proc/<pid>/io) and TCP segments sent (ss -ti) are
 * taken over the window, with the bytes every viewer received and the probes' frame delays.
 * With peers, results go to the "Fan-out against peers, same run" section of benchmarks/RESULTS.md;
 * with `--peers none`, to the Sluice-only "Fan-out" section (each replaced if present, else appended).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { isRunning, output, spawnTracked, stop as stopChild } from '../test/helpers/child.js';
import { waitForPublishing } from '../test/helpers/ffmpeg.js';
import { freePort } from '../test/helpers/free-port.js';
import { startNginxRtmp } from '../test/helpers/nginx-rtmp.js';
import { startRelay, type Relay } from '../test/helpers/relay.js';
import { waitUntil } from '../test/helpers/wait.js';
import { DEFAULT_CLIP, encodeArgs, ensureClip, measureClip, type ClipBitrate } from './lib/clip.js';
import { onCleanup, runWithCleanup } from './lib/cleanup.js';
import {
  startFloorServer,
  startViewers,
  type LoadGenerator,
  type ViewerOptions,
  type ViewerReport,
  type ViewerStatus,
} from './lib/loadgen.js';
import { startNginxPeer, startNms } from './lib/peers.js';
import {
  CLK_TCK,
  CpuWindow,
  OtherLoadWindow,
  machineBusyTicks,
  childPids,
  ioCounters,
  rssKiB,
  tcpBytesReceivedFrom,
  tcpDataSegmentsOut,
  type IoCounters,
} from './lib/proc.js';
import { writeResultsSection } from './lib/results-section.js';
import { gitDescription, machineLine } from './lib/run-conditions.js';

const HEADING = '## Fan-out: one 2 Mbps source to N HTTP fMP4 viewers';
const PEERS_HEADING = '## Fan-out against peers, same run';
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url));
const RTMP_CLIENT = fileURLToPath(new URL('../packages/rtmp-client/dist/index.js', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

const USAGE =
  'usage: pnpm exec tsx benchmarks/fanout.ts [--viewers 100,500,1000,2000] [--seconds 20] [--sluice-merge 0,20]\n' +
  '         [--sluice-protocols http,ws] [--peers nginx,nms|none] [--probes 8] [--ramp 3] [--per-loadgen 1000]\n' +
  '         [--quick] [--floor] [--no-results] [--no-wait]\n';

const { values } = parseArgs({
  options: {
    viewers: { type: 'string' },
    seconds: { type: 'string' },
    'sluice-merge': { type: 'string' },
    merge: { type: 'string' }, // the earlier name of --sluice-merge
    'sluice-protocols': { type: 'string', default: 'http,ws' },
    'per-loadgen': { type: 'string', default: '1000' },
    peers: { type: 'string', default: 'nginx,nms' },
    probes: { type: 'string', default: '8' },
    ramp: { type: 'string' },
    quick: { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    'no-floor': { type: 'boolean', default: false }, // the floor is off by default now; kept so old command lines run
    'no-results': { type: 'boolean', default: false },
    'no-wait': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const list = (s: string): number[] =>
  s.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number: "${x}"`);
    return n;
  });
const quick = values.quick!;
const viewerCounts = list(values.viewers ?? (quick ? '100,500' : '100,500,1000,2000')).filter((n) => n > 0);
const merges = list(values['sluice-merge'] ?? values.merge ?? '0,20');
type SluiceProtocol = 'http' | 'ws';
const protocols = values['sluice-protocols']!
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as SluiceProtocol[];
for (const p of protocols) if (p !== 'http' && p !== 'ws') throw new Error(`--sluice-protocols: unknown protocol "${p}" (http, ws)`);
const perLoadgen = Number(values['per-loadgen']);
if (!Number.isInteger(perLoadgen) || perLoadgen < 1) throw new Error('--per-loadgen must be a whole number ≥ 1');
const windowSec = Number(values.seconds ?? (quick ? '8' : '20'));
const rampSec = Number(values.ramp ?? (quick ? '2' : '3'));
const probeCount = Number(values.probes);
// Off by default: with six servers and N up to 2000 the floor points would add ~9 minutes.
const withFloor = values.floor! && !values['no-floor'];
type PeerKind = 'nginx' | 'nms';
const peerKinds: PeerKind[] = values.peers === 'none' || values.peers === '' ? [] : (values.peers!.split(',').map((s) => s.trim()) as PeerKind[]);
for (const p of peerKinds) if (p !== 'nginx' && p !== 'nms') throw new Error(`--peers: unknown peer "${p}" (nginx, nms or none)`);
if (!(windowSec > 0) || !(rampSec >= 0)) throw new Error('--seconds must be > 0 and --ramp >= 0');
if (!Number.isInteger(probeCount) || probeCount < 0) throw new Error('--probes must be a whole number');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`[fanout] ${s}\n`);

/** One server under test: a Sluice relay (one per output protocol and mergeWriteMS) or a peer. */
interface Server {
  readonly id: string;
  readonly kind: 'sluice' | PeerKind;
  /** Row label in the results. */
  readonly label: string;
  readonly merge?: number;
  /** Sluice only: the output its viewers read. */
  readonly protocol?: SluiceProtocol;
  readonly pid: number;
  /** The port viewers connect to (TCP segments are counted on it). */
  readonly port: number;
  readonly target: Pick<ViewerOptions, 'port' | 'path' | 'rtmp' | 'ws'>;
  readonly version: string;
}

interface Point {
  server: string;
  viewers: number;
  cpu: number;
  rssKiB: number;
  /** TCP data segments per second the server sent on its viewer port (≈ writes to viewers). */
  segmentsPerSec: number;
  /** Bytes the server wrote per second (wchar, all files and sockets). */
  bytesOutPerSec: number;
  /** Bytes per second the server received from the origin over the window (its RTMP pull; `ss -ti` bytes_received). */
  bytesInPerSec: number;
  /** CPU % of each load-generator process (one core at most each). */
  loadGenCpu?: number[];
  /** Set when not every viewer was receiving as the window opened: how many were (see connectViewers). */
  startedReceiving?: number;
  originCpu?: number;
  report?: ViewerReport;
  /** CPU used by processes this benchmark did not start, during the window (% of one core). */
  otherLoad: number;
  /** Busy time of the whole machine during the window, % of all its cores. */
  machineBusy: number;
}

/** The same-run floor (lib/floor-server.ts) at one Sluice point. */
interface FloorPoint {
  merge: number;
  viewers: number;
  writesPerSec: number;
  kbps: number;
  cpu: number;
  otherLoad: number;
  report: ViewerReport;
}

function ioRate(a: IoCounters, b: IoCounters, sec: number): { wbytes: number; rbytes: number } {
  return { wbytes: (b.wchar - a.wchar) / sec, rbytes: (b.rchar - a.rchar) / sec };
}

interface WindowResult {
  cpu: Map<number, number>;
  rss: Map<number, number>;
  io: Map<number, ReturnType<typeof ioRate>>;
  /** Bytes per second each server received from the origin. */
  ingest: Map<number, number>;
  segmentsPerSec: number;
  sockets: number;
  otherLoad: number;
  /** % of all cores. */
  machineBusy: number;
  /** Other benchmarks or test runs seen running during the window (polled every 5 s). */
  contaminatedBy: string[];
}

/**
 * One measuring window: CPU of `pids`; RSS, I/O and bytes received from the origin (port `originPort`)
 * of `servers`; TCP segments sent on `port`.
 */
async function measureWindow(pids: number[], servers: number[], port: number | undefined, originPort: number | undefined): Promise<WindowResult> {
  const seg0 = port === undefined ? undefined : tcpDataSegmentsOut(port);
  const io0 = new Map(servers.map((p) => [p, ioCounters(p)]));
  const in0 = new Map(servers.map((p) => [p, originPort === undefined ? 0 : tcpBytesReceivedFrom(p, originPort)]));
  const t0 = process.hrtime.bigint();
  const cpu = new CpuWindow(pids);
  const busy0 = machineBusyTicks();
  // Everything this benchmark runs (itself, nginx, ffmpeg, servers, load generator) vs the rest of the machine.
  const other = new OtherLoadWindow([process.pid, ...childPids(process.pid)]);
  const seen = new Set<string>();
  const poll = (): void => {
    for (const b of otherBenchmarks()) {
      seen.add(b);
      otherBenchmarksSeen.add(b);
    }
  };
  poll();
  const end = Date.now() + windowSec * 1000;
  while (Date.now() < end) {
    await sleep(Math.min(5000, end - Date.now()));
    poll();
  }
  const used = cpu.end();
  const otherLoad = other.end();
  if (otherLoad > 10) log(`  warning: other processes used ${otherLoad.toFixed(0)} % of a core during this window: the machine is not quiet`);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const machineBusy = ((machineBusyTicks() - busy0) / CLK_TCK / sec / cpus().length) * 100;
  const io = new Map(servers.map((p) => [p, ioRate(io0.get(p)!, ioCounters(p), sec)]));
  const ingest = new Map(
    servers.map((p) => [p, originPort === undefined ? io.get(p)!.rbytes : (tcpBytesReceivedFrom(p, originPort) - in0.get(p)!) / sec]),
  );
  const rss = new Map(servers.map((p) => [p, rssKiB(p)]));
  const seg1 = port === undefined ? undefined : tcpDataSegmentsOut(port);
  return {
    cpu: used,
    rss,
    io,
    ingest,
    segmentsPerSec: seg0 && seg1 ? (seg1.segments - seg0.segments) / sec : 0,
    sockets: seg1?.sockets ?? 0,
    otherLoad,
    machineBusy,
    contaminatedBy: [...seen],
  };
}

/**
 * Starts N viewers; resolves once every one (and the reference) is receiving and the ramp is over.
 * A server that cannot start them all in time (saturated: it answers late and new viewers wait) is
 * still measured when at least half receive: `receiving` tells how many did, and the point is
 * marked. Fewer than half, a refused or failed viewer: the point fails.
 */
async function connectViewers(
  target: Pick<ViewerOptions, 'port' | 'path' | 'rtmp' | 'ws'>,
  n: number,
  ref?: string,
): Promise<{ gen: LoadGenerator; receiving: number }> {
  const gen = await startViewers({
    ...target,
    count: n,
    perProcess: perLoadgen,
    maxSeconds: Math.ceil(windowSec + rampSec + 150),
    ...(ref !== undefined && probeCount > 0 ? { probes: probeCount, ref } : {}),
  });
  let last: ViewerStatus | undefined;
  // Thousands of viewers connect 50 at a time per process and each starts at a keyframe (every 2 s).
  const timeoutMs = 30_000 + 10 * n;
  const ready = await waitUntil(
    `${n} viewers receiving`,
    async () => {
      const s = (last = await gen.status());
      return (s.receiving === n && s.refReceiving !== 0) || s.failed > 0 || s.badStatus > 0 || s.ended > 0 ? s : undefined;
    },
    timeoutMs,
    200,
  ).catch(() => undefined);
  const status = ready ?? last;
  const enough = status !== undefined && status.failed === 0 && status.badStatus === 0 && status.ended === 0 && status.receiving >= n / 2;
  if (!enough || (ready === undefined && status.refReceiving === 0)) {
    await gen.stop();
    throw new Error(`viewers did not all start within ${timeoutMs / 1000} s: ${JSON.stringify(status)}`);
  }
  if (status.receiving < n) log(`  warning: only ${status.receiving} of ${n} viewers receiving after ${timeoutMs / 1000} s; measuring anyway`);
  await sleep(rampSec * 1000);
  return { gen, receiving: status.receiving };
}

/**
 * The floor at one point: a bare Node `net` server sending the bytes the relay's viewers got, at the
 * relay's write rate, one Buffer per write, to the same number of viewers of the same load generator.
 */
async function measureFloor(merge: number, n: number, writesPerSec: number, kbps: number): Promise<FloorPoint> {
  return cleanly(`floor N=${n}`, async () => {
    const port = await freePort();
    const floor = await startFloorServer({ port, rate: writesPerSec, kbps, maxSeconds: windowSec + rampSec + 120 });
    const { gen } = await connectViewers({ port, path: '/floor' }, n);
    await waitForQuiet();
    await gen.mark();
    const w = await measureWindow([floor.pid, ...gen.pids], [floor.pid], port, undefined);
    const report = await gen.report();
    await gen.stop();
    await floor.stop();
    const p: FloorPoint = { merge, viewers: n, writesPerSec, kbps, cpu: w.cpu.get(floor.pid)!, otherLoad: w.otherLoad, report };
    log(
      `  floor N=${n} (${writesPerSec.toFixed(1)} writes/s of ${Math.round((kbps * 125) / writesPerSec)} B): ${p.cpu.toFixed(1)} % CPU, ` +
        `${(w.segmentsPerSec / n).toFixed(1)} segments/s/viewer; other load ${p.otherLoad.toFixed(0)} %`,
    );
    return { value: p, contaminatedBy: w.contaminatedBy };
  });
}

/**
 * Runs one measurement; if another benchmark or test run (OTHER_BENCHMARKS) was running during
 * its window, waits for it to finish and measures again (at most twice more). Such a point is
 * kept only when the retries run out; it is then listed in the results.
 */
async function cleanly<T>(what: string, attempt: () => Promise<{ value: T; contaminatedBy: string[] }>): Promise<T> {
  for (let i = 0; ; i++) {
    await waitForOtherBenchmarks();
    const r = await attempt();
    if (r.contaminatedBy.length === 0) return r.value;
    if (i >= 2) {
      log(`  ${what}: ${r.contaminatedBy.join(', ')} ran during the window again; keeping this measurement`);
      contaminatedPoints.push(`${what} (${r.contaminatedBy.join(', ')})`);
      return r.value;
    }
    log(`  ${what}: ${r.contaminatedBy.join(', ')} ran during the window; measuring again once it has finished`);
    remeasured++;
  }
}
const contaminatedPoints: string[] = [];
/** Points that could not be measured (left out of every table; their cells read "–"). */
const failedPoints: string[] = [];
let remeasured = 0;

/**
 * On a shared machine, waits (bounded) for the rest of it to go quiet before a window: until other
 * processes use under 10 % of a core over 2 consecutive seconds, at most 15 s per window and
 * QUIET_BUDGET_S over the whole run. Whatever remains is reported per window ("other load").
 */
const QUIET_BUDGET_S = 90;
let quietSpent = 0;
async function waitForQuiet(): Promise<void> {
  const t0 = Date.now();
  let calm = 0;
  while (calm < 2 && (Date.now() - t0) / 1000 < 15 && quietSpent + (Date.now() - t0) / 1000 < QUIET_BUDGET_S) {
    const w = new OtherLoadWindow([process.pid, ...childPids(process.pid)]);
    await sleep(1000);
    calm = w.end() < 10 ? calm + 1 : 0;
  }
  const waited = (Date.now() - t0) / 1000;
  quietSpent += waited;
  if (waited > 2.5) log(`  waited ${waited.toFixed(0)} s for the machine to go quiet${calm < 2 ? ' (it did not)' : ''}`);
  noteOtherBenchmarks();
}

/** Other benchmarks and test runs that would share the 2 cores (their command lines). */
const OTHER_BENCHMARKS = ['benchmarks/rtp-ingest', 'vitest'];
const otherBenchmarksSeen = new Set<string>();
function otherBenchmarks(): string[] {
  const found: string[] = [];
  for (const pattern of OTHER_BENCHMARKS) {
    try {
      const out = execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim();
      const pids = out.split('\n').filter((p) => p && Number(p) !== process.pid);
      if (pids.length) found.push(pattern);
    } catch {
      // pgrep exits 1 when nothing matches
    }
  }
  return found;
}
function noteOtherBenchmarks(): void {
  for (const b of otherBenchmarks()) {
    if (!otherBenchmarksSeen.has(b)) log(`  warning: "${b}" is running on this machine; its CPU shows as other load`);
    otherBenchmarksSeen.add(b);
  }
}

/**
 * Waits for other benchmarks and test runs (OTHER_BENCHMARKS) to finish, unless --no-wait: before
 * the run and before every point, up to 30 minutes over the whole run.
 */
const OTHERS_BUDGET_S = 30 * 60;
let othersWaited = 0;
async function waitForOtherBenchmarks(): Promise<void> {
  if (values['no-wait']) return;
  let found = otherBenchmarks();
  if (found.length === 0) return;
  const t0 = Date.now();
  log(`  waiting for ${found.join(', ')} to finish before measuring (--no-wait to skip)`);
  while (found.length > 0 && othersWaited + (Date.now() - t0) / 1000 < OTHERS_BUDGET_S) {
    await sleep(5000);
    found = otherBenchmarks();
  }
  othersWaited += (Date.now() - t0) / 1000;
  if (found.length > 0) log(`  ${found.join(', ')} still running after ${Math.round(othersWaited / 60)} minutes of waiting in all; measuring anyway`);
  else log(`  waited ${Math.round((Date.now() - t0) / 1000)} s for other benchmarks to finish`);
  // Let their processes and caches settle.
  await sleep(3000);
}

async function main(): Promise<void> {
  for (const f of [CLI, RTMP_CLIENT]) if (!existsSync(f)) throw new Error(`${f} is missing: run \`pnpm run build\` first`);
  await waitForOtherBenchmarks();
  const started = Date.now();
  const sluiceCount = merges.length * protocols.length;
  const serverCount = sluiceCount + peerKinds.length;
  const floorCount = withFloor && protocols.includes('http') ? merges.length : 0;
  const perN = viewerCounts.map((n) => (serverCount + floorCount) * (6 + rampSec + windowSec + n / 200));
  const estimate = 25 + serverCount * 4 + windowSec + perN.reduce((a, b) => a + b, 0);
  log(
    `servers: ${protocols
      .flatMap((p) => merges.map((m) => `sluice ${p} mergeWriteMS ${m}`))
      .concat(peerKinds)
      .join(', ')} × viewers ${viewerCounts.join(',')} (at most ${perLoadgen} per load-generator process), ` +
      `${windowSec} s window${withFloor ? ', with the floor' : ''}; about ${Math.ceil(estimate / 60)} min ` +
      `(plus up to ${QUIET_BUDGET_S} s in all waiting for other processes on the machine to go quiet)`,
  );

  // 1. The clip, encoded once.
  const clip = await ensureClip();
  log(`${clip.encoded ? 'encoded' : 'cached'} clip ${clip.path}`);
  const bitrate: ClipBitrate = await measureClip(clip.path);
  log(
    `source: ${bitrate.payloadKbps.toFixed(0)} kb/s payload (video ${bitrate.videoKbps.toFixed(0)}, audio ${bitrate.audioKbps.toFixed(0)}), ` +
      `${bitrate.framesPerSecond.toFixed(1)} frames/s`,
  );

  // 2. nginx-rtmp (the origin) and the publisher.
  const nginx = await startNginxRtmp();
  onCleanup('nginx-rtmp origin', () => nginx.stop());
  // The origin's pid, to report its CPU: the benchmark's one nginx child so far (master_process off).
  const originPid = childPids(process.pid).find((p) => readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'nginx');
  const srcUrl = nginx.rtmpUrl('live', 'src');
  // -c copy: the publisher only paces and remuxes; it costs almost no CPU during the windows.
  const publisher = spawnTracked(
    'ffmpeg',
    ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-re', '-stream_loop', '-1', '-i', clip.path, '-c', 'copy', '-f', 'flv', srcUrl],
    { name: 'ffmpeg publisher' },
  );
  onCleanup('ffmpeg publisher', () => stopChild(publisher));
  await waitForPublishing(nginx, 'live', 'src', 15_000);
  if (!isRunning(publisher)) throw new Error(`ffmpeg publisher exited:\n${output(publisher)}`);

  // 3. The servers, each pulling the origin once, all running for the whole run.
  const servers: Server[] = [];
  const sluiceVersion = `Sluice ${gitDescription(REPO)} (packages/server/dist)`;
  for (const [protocol, merge] of protocols.flatMap((p) => merges.map((m) => [p, m] as const))) {
    const relay: Relay = await startRelay({
      port: await freePort(),
      secret: 'bench-secret',
      // info, not warn: "sluice listening" (what startRelay waits for) is an info line. Nothing is
      // logged per viewer or per frame at info, only lifecycle events.
      env: { SLUICE_LOG_LEVEL: 'info', SLUICE_GENERAL_MERGEWRITEMS: String(merge) },
    });
    onCleanup(`relay (${protocol}, mergeWriteMS ${merge})`, () => relay.stop());
    const added = await relay.api('addStreamProxy', { app: 'live', stream: 'bench', url: srcUrl });
    if (added.code !== 0) throw new Error(`addStreamProxy failed: ${JSON.stringify(added)}`);
    servers.push({
      id: `sluice-${protocol}-${merge}`,
      kind: 'sluice',
      label: `Sluice ${protocol === 'ws' ? 'WS' : 'HTTP'} fMP4, mergeWriteMS ${merge}`,
      merge,
      protocol,
      pid: relay.process.pid!,
      port: relay.port,
      target: { port: relay.port, path: '/live/bench.live.mp4', ws: protocol === 'ws' },
      version: sluiceVersion,
    });
    log(`sluice ${protocol} mergeWriteMS=${merge}: pid ${relay.process.pid} on :${relay.port}, proxy playing`);
  }
  for (const kind of peerKinds) {
    if (kind === 'nginx') {
      const peer = await startNginxPeer(srcUrl);
      servers.push({
        id: 'nginx',
        kind,
        label: 'nginx-rtmp RTMP',
        pid: peer.pid,
        port: peer.port,
        target: { rtmp: `rtmp://127.0.0.1:${peer.port}/live/src` },
        version: peer.version,
      });
      log(`nginx-rtmp peer: pid ${peer.pid} on :${peer.port}, pulling (${peer.version})`);
    } else {
      const peer = await startNms(srcUrl);
      servers.push({
        id: 'nms',
        kind,
        label: 'node-media-server HTTP-FLV',
        pid: peer.pid,
        port: peer.port,
        target: { port: peer.port, path: '/live/src.flv' },
        version: peer.version,
      });
      log(`node-media-server peer: pid ${peer.pid} on :${peer.port}, pulling (${peer.version})`);
    }
  }
  await sleep(3000);

  // 4. The baseline: every server ingesting, no viewers, one window for all.
  const points: Point[] = [];
  const floors: FloorPoint[] = [];
  const serverPids = servers.map((s) => s.pid);
  const base = await cleanly('baseline', async () => {
    await waitForQuiet();
    const w = await measureWindow([...serverPids, publisher.pid!, ...(originPid ? [originPid] : [])], serverPids, undefined, nginx.rtmpPort);
    return { value: w, contaminatedBy: w.contaminatedBy };
  });
  for (const s of servers) {
    const io = base.io.get(s.pid)!;
    points.push({
      server: s.id,
      viewers: 0,
      cpu: base.cpu.get(s.pid)!,
      rssKiB: base.rss.get(s.pid)!,
      segmentsPerSec: 0,
      bytesOutPerSec: io.wbytes,
      bytesInPerSec: base.ingest.get(s.pid)!,
      otherLoad: base.otherLoad,
      machineBusy: base.machineBusy,
      ...(originPid ? { originCpu: base.cpu.get(originPid)! } : {}),
    });
    log(
      `  ${s.label} N=0: ${base.cpu.get(s.pid)!.toFixed(1)} % CPU, RSS ${(base.rss.get(s.pid)! / 1024).toFixed(1)} MiB, ` +
        `ingest ${((base.ingest.get(s.pid)! * 8) / 1000).toFixed(0)} kb/s`,
    );
  }
  log(
    `  publisher ffmpeg ${base.cpu.get(publisher.pid!)!.toFixed(1)} % CPU` +
      `${originPid ? `, origin nginx ${base.cpu.get(originPid)!.toFixed(1)} %` : ''}; other load ${base.otherLoad.toFixed(0)} %`,
  );

  // 5. For each N, each server in turn.
  for (const n of viewerCounts) {
    for (const s of servers) {
      const baseline = points.find((p) => p.server === s.id && p.viewers === 0)!;
      const measured = await cleanly(`${s.label} N=${n}`, async () => {
        const { gen, receiving } = await connectViewers(s.target, n, srcUrl);
        await waitForQuiet();
        await gen.mark();
        const pids = [s.pid, ...gen.pids, ...(originPid ? [originPid] : [])];
        const w = await measureWindow(pids, [s.pid], s.port, nginx.rtmpPort);
        if (w.sockets !== n) log(`  warning: ${w.sockets} established sockets on ${s.label}'s port at the end of the window, expected ${n}`);
        const report = await gen.report();
        await gen.stop();
        if (w.contaminatedBy.length) await sleep(1500);
        return { value: { w, report, genPids: gen.pids, receiving }, contaminatedBy: w.contaminatedBy };
      }).catch((err: Error) => {
        // One point that cannot be measured (its viewers did not all start) must not cost the run.
        log(`  ${s.label} N=${n} FAILED: ${err.message}`);
        failedPoints.push(`${s.label} N=${n}: ${err.message}`);
        return undefined;
      });
      if (measured === undefined) {
        await sleep(3000);
        continue;
      }
      const { w, report, genPids, receiving } = measured;
      const io = w.io.get(s.pid)!;
      const p: Point = {
        server: s.id,
        viewers: n,
        cpu: w.cpu.get(s.pid)!,
        rssKiB: w.rss.get(s.pid)!,
        segmentsPerSec: w.segmentsPerSec,
        bytesOutPerSec: io.wbytes,
        bytesInPerSec: w.ingest.get(s.pid)!,
        otherLoad: w.otherLoad,
        machineBusy: w.machineBusy,
        loadGenCpu: genPids.map((pid) => w.cpu.get(pid)!),
        ...(receiving < n ? { startedReceiving: receiving } : {}),
        ...(originPid ? { originCpu: w.cpu.get(originPid)! } : {}),
        report,
      };
      points.push(p);
      const expected = ((bitrate.payloadKbps * 1000) / 8) * report.seconds;
      const d = report.delay;
      log(
        `  ${s.label} N=${n}: ${p.cpu.toFixed(1)} % CPU (${(((p.cpu - baseline.cpu) / n) * 100).toFixed(2)} per 100 viewers), ` +
          `RSS ${(p.rssKiB / 1024).toFixed(1)} MiB (+${((p.rssKiB - baseline.rssKiB) / n).toFixed(1)} KiB/viewer), ` +
          `${(p.segmentsPerSec / n).toFixed(1)} segments/s/viewer, delivered min ${(report.min / expected).toFixed(3)} of source, ` +
          `${(report.min / (p.bytesInPerSec * report.seconds)).toFixed(3)} of ingest, ended ${report.endedEarly}` +
          `${d ? `; delay p50 ${d.p50.toFixed(1)} p99 ${d.p99.toFixed(1)} ms (${d.frames} frames, ${d.unmatched} unmatched)` : ''}; ` +
          `load generator ${loadGenCell(p)} % CPU; machine ${p.machineBusy.toFixed(0)} % busy; other load ${p.otherLoad.toFixed(0)} %`,
      );
      for (const warning of saturationNotes(p, s)) log(`  warning: ${warning}`);
      // Let the server see the sockets close before the next point.
      await sleep(1500);
      if (withFloor && s.kind === 'sluice' && s.protocol === 'http') {
        // Right after, while the relay idles: the same bytes/s its viewers got, at its nominal write rate.
        const writesPerSec = s.merge! > 0 ? 1000 / s.merge! : bitrate.framesPerSecond;
        floors.push(await measureFloor(s.merge!, n, writesPerSec, (report.mean * 8) / report.seconds / 1000));
        await sleep(1000);
      }
    }
  }

  const elapsed = (Date.now() - started) / 1000;
  const md =
    peerKinds.length > 0
      ? renderPeers({ servers, points, floors, src: bitrate, elapsed })
      : renderSluiceOnly(servers, points, floors, bitrate, elapsed);
  process.stdout.write(`\n${md}\n`);
  if (!values['no-results']) {
    const heading = peerKinds.length > 0 ? PEERS_HEADING : HEADING;
    writeResultsSection(RESULTS, heading, md);
    log(`wrote the "${heading.slice(3)}" section of ${RESULTS}`);
  }
  log(`done in ${elapsed.toFixed(0)} s`);
}

function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function commandLine(): string {
  const argv = process.argv.slice(2).join(' ');
  return `pnpm run build && pnpm exec tsx benchmarks/fanout.ts${argv ? ` ${argv}` : ''}`;
}

function sourceLines(src: ClipBitrate, points: Point[]): string[] {
  const ingestKbps = points.filter((p) => p.server.startsWith('sluice')).map((p) => (p.bytesInPerSec * 8) / 1000);
  const ingestMean = ingestKbps.reduce((a, b) => a + b, 0) / Math.max(1, ingestKbps.length);
  return [
    `- Source: ${DEFAULT_CLIP.seconds} s ${DEFAULT_CLIP.size} ${DEFAULT_CLIP.fps} fps clip encoded once ` +
      `(\`ffmpeg ${encodeArgs(DEFAULT_CLIP, 'clip.flv').filter((a) => !['-hide_banner', '-loglevel', 'error', '-y'].includes(a)).join(' ')}\`), ` +
      `published in real time to nginx-rtmp (the origin) with \`ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv rtmp://127.0.0.1:PORT/live/src\``,
    `- Source bitrate (measured): **${fmt(src.payloadKbps, 0)} kb/s** of H.264 + AAC payload (video ${fmt(src.videoKbps, 0)}, ` +
      `audio ${fmt(src.audioKbps, 0)}; ffprobe packet sizes over the clip), ${fmt(src.framesPerSecond)} frames/s` +
      `; Sluice read ${fmt(ingestMean, 0)} kb/s of RTMP on average over the windows ` +
      `(${fmt(Math.min(...ingestKbps), 0)}–${fmt(Math.max(...ingestKbps), 0)}; \`ss -ti\` bytes_received on its connection to the origin)`,
  ];
}

interface PeersRun {
  servers: Server[];
  points: Point[];
  floors: FloorPoint[];
  src: ClipBitrate;
  elapsed: number;
}

/**
 * CPU % at which a server is taken to be saturated: each of them does its fan-out on one thread,
 * so it cannot use more than one core; its CPU per viewer is then a lower bound and its viewers
 * fall behind (see delay and writes/s).
 */
const SATURATED = 95;

/** The load generator's CPU at a point: one figure per process, marked when one of them is saturated. */
function loadGenCell(p: Point): string {
  const cpu = p.loadGenCpu ?? [];
  return `${cpu.map((c) => fmt(c)).join(' + ')}${cpu.some((c) => c >= SATURATED) ? ' (saturated)' : ''}`;
}

/**
 * What at a point limits its figures: the server on its one core (its CPU per viewer is then a
 * lower bound and its viewers fall behind), a load-generator process on its core (it reads late:
 * delays and writes/s are then its own as much as the server's), or the whole machine (every
 * process, the server included, waited for a core).
 */
function saturationNotes(p: Point, s: Server): string[] {
  const out: string[] = [];
  if (p.cpu >= SATURATED) out.push(`${s.label} used ${fmt(p.cpu)} % of its one core at N=${p.viewers}: saturated`);
  const gen = p.loadGenCpu ?? [];
  if (gen.some((c) => c >= SATURATED)) {
    out.push(`the load generator (${gen.length} process${gen.length > 1 ? 'es' : ''}: ${loadGenCell(p)} % CPU) was saturated at ${s.label}, N=${p.viewers}`);
  }
  if (p.machineBusy >= SATURATED) out.push(`the machine was ${fmt(p.machineBusy, 0)} % busy (all ${cpus().length} cores) at ${s.label}, N=${p.viewers}`);
  if (p.startedReceiving !== undefined) out.push(`only ${p.startedReceiving} of ${p.viewers} viewers of ${s.label} were receiving when the window opened`);
  return out;
}

/** CPU % of one core per 100 viewers above the server's own 0-viewer baseline. */
function per100(points: Point[], server: string, n: number): number {
  const p = points.find((x) => x.server === server && x.viewers === n);
  const b = points.find((x) => x.server === server && x.viewers === 0);
  return p && b ? ((p.cpu - b.cpu) / n) * 100 : NaN;
}

/**
 * Between two viewer counts: (CPU_n − CPU_prev) / (n − prev) × 100. Free of what the first viewer
 * costs once (Sluice starts a stream's fMP4 muxer on its first viewer; nginx-rtmp and node-media-server
 * mux nothing or always mux), and of the baseline window.
 */
function marginalPer100(points: Point[], server: string, prev: number, n: number): number {
  const a = points.find((x) => x.server === server && x.viewers === prev);
  const b = points.find((x) => x.server === server && x.viewers === n);
  return a && b ? ((b.cpu - a.cpu) / (n - prev)) * 100 : NaN;
}

function marginalRss(points: Point[], server: string, prev: number, n: number): number {
  const a = points.find((x) => x.server === server && x.viewers === prev);
  const b = points.find((x) => x.server === server && x.viewers === n);
  return a && b ? (b.rssKiB - a.rssKiB) / (n - prev) : NaN;
}

function rssPerViewer(points: Point[], server: string, n: number): number {
  const p = points.find((x) => x.server === server && x.viewers === n);
  const b = points.find((x) => x.server === server && x.viewers === 0);
  return p && b ? (p.rssKiB - b.rssKiB) / n : NaN;
}

const ratio = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${fmt(a / b, 2)}×` : '–');

function renderPeers(run: PeersRun): string {
  const { servers, points, floors, src, elapsed } = run;
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const byId = new Map(servers.map((s) => [s.id, s]));
  const sluice = servers.filter((s) => s.kind === 'sluice');
  const peers = servers.filter((s) => s.kind !== 'sluice');
  const ns = viewerCounts;
  const otherLoads = points.map((p) => p.otherLoad);
  const seen = [...otherBenchmarksSeen];

  const allRows = points.map((p) => {
    const s = byId.get(p.server)!;
    if (p.viewers === 0) {
      return `| ${s.label} | 0 (baseline) | ${fmt(p.cpu)} | | ${fmt(p.rssKiB / 1024)} MiB | | ${fmt((p.bytesInPerSec * 8) / 1000, 0)} | | | | | | | ${fmt(p.machineBusy, 0)} | ${fmt(p.otherLoad, 0)} |`;
    }
    const r = p.report!;
    const expected = ((src.payloadKbps * 1000) / 8) * r.seconds;
    const d = r.delay;
    return (
      `| ${s.label} | ${p.viewers}${p.startedReceiving !== undefined ? ` (only ${p.startedReceiving} started)` : ''} | ${fmt(p.cpu)}${p.cpu >= SATURATED ? ' (saturated)' : ''} | ${fmt(per100(points, p.server, p.viewers), 2)} | ${fmt(p.rssKiB / 1024)} MiB | ` +
      `${fmt(rssPerViewer(points, p.server, p.viewers))} | ${fmt((p.bytesInPerSec * 8) / 1000, 0)} | ${fmt(r.min / expected, 3)} | ` +
      `${fmt(r.min / (p.bytesInPerSec * r.seconds), 3)} (mean ${fmt(r.mean / (p.bytesInPerSec * r.seconds), 3)}) | ${r.endedEarly} | ` +
      `${fmt(p.segmentsPerSec / p.viewers)} | ${d ? `${fmt(d.p50)} / ${fmt(d.p99)} / ${fmt(d.max)}` : ''} | ${loadGenCell(p)} | ` +
      `${fmt(p.machineBusy, 0)}${p.machineBusy >= SATURATED ? ' (saturated)' : ''} | ${fmt(p.otherLoad, 0)} |`
    );
  });

  // Side by side: CPU per 100 viewers, RSS per viewer, delay, with Sluice ÷ peer.
  const cpuHead = ['viewers', ...servers.map((s) => s.label), ...sluice.flatMap((a) => peers.map((b) => `${shortLabel(a)} ÷ ${shortLabel(b)}`))];
  const cpuRows = ns.map((n) => {
    const v = new Map(servers.map((s) => [s.id, per100(points, s.id, n)]));
    return `| ${[n, ...servers.map((s) => fmt(v.get(s.id)!, 2)), ...sluice.flatMap((a) => peers.map((b) => ratio(v.get(a.id)!, v.get(b.id)!)))].join(' | ')} |`;
  });
  const rssRows = ns.map((n) => {
    const v = new Map(servers.map((s) => [s.id, rssPerViewer(points, s.id, n)]));
    return `| ${[n, ...servers.map((s) => fmt(v.get(s.id)!)), ...sluice.flatMap((a) => peers.map((b) => ratio(v.get(a.id)!, v.get(b.id)!)))].join(' | ')} |`;
  });
  // Between consecutive viewer counts (see marginalPer100).
  const steps = ns.slice(1).map((n, i) => [ns[i]!, n] as const);
  const marginalRows = (f: (server: string, prev: number, n: number) => number, digits: number): string[] =>
    steps.map(([prev, n]) => {
      const v = new Map(servers.map((s) => [s.id, f(s.id, prev, n)]));
      return `| ${[`${prev} → ${n} (marginal)`, ...servers.map((s) => fmt(v.get(s.id)!, digits)), ...sluice.flatMap((a) => peers.map((b) => ratio(v.get(a.id)!, v.get(b.id)!)))].join(' | ')} |`;
    });
  cpuRows.push(...marginalRows((id, prev, n) => marginalPer100(points, id, prev, n), 2));
  rssRows.push(...marginalRows((id, prev, n) => marginalRss(points, id, prev, n), 1));
  const delayOf = (id: string, n: number): ViewerReport['delay'] => points.find((p) => p.server === id && p.viewers === n)?.report?.delay ?? null;
  const delayRows = ns.map((n) => {
    const cells = servers.map((s) => {
      const d = delayOf(s.id, n);
      return d ? `${fmt(d.p50)} / ${fmt(d.p99)}` : '–';
    });
    const ratios = sluice.flatMap((a) =>
      peers.map((b) => {
        const da = delayOf(a.id, n);
        const db = delayOf(b.id, n);
        return da && db ? ratio(da.p99, db.p99) : '–';
      }),
    );
    return `| ${[n, ...cells, ...ratios].join(' | ')} |`;
  });
  const headRow = (cells: string[]): string[] => [`| ${cells.join(' | ')} |`, `|${cells.map(() => '---').join('|')}|`];

  return [
    PEERS_HEADING,
    '',
    `- Command: \`${commandLine()}\``,
    `- Date: ${date} (\`date -u\`)`,
    machineLine(),
    `- Servers: ${[...new Set(servers.map((s) => s.version))].join('; ')}`,
    ...sourceLines(src, points),
    `- Other load: ${
      seen.length
        ? `other benchmark or test processes ran on the machine during the run (${seen.join(', ')}); ` +
          `${remeasured} point(s) they overlapped were measured again once they had finished` +
          `${contaminatedPoints.length ? `, except ${contaminatedPoints.join('; ')}` : ''}`
        : 'no other benchmark or test process (`pgrep -f benchmarks/rtp-ingest`, `pgrep -f vitest`) ran during the run'
    }` +
      `${othersWaited > 1 ? ` (waited ${fmt(othersWaited, 0)} s in all for them to finish)` : ''}; ` +
      `the rest of the machine used ${fmt(Math.min(...otherLoads), 0)}–${fmt(Math.max(...otherLoads), 0)} % of a core during the kept windows ` +
      '(`/proc/stat` busy time minus every process of this benchmark; column "other load").',
    `- Whole run: ${fmt(elapsed, 0)} s; ${windowSec} s window per point after all viewers receive and ${rampSec} s of ramp.`,
    ...(failedPoints.length ? [`- **Not measured** (the point failed; the run went on): ${failedPoints.join('; ')}`] : []),
    '',
    'Method:',
    '',
    '- Every server pulls the origin\'s stream once over RTMP and runs for the whole run: Sluice (the built relay, `addStreamProxy`, ' +
      'one process per output protocol and `general.mergeWriteMS`, so each has its own baseline and RSS), nginx-rtmp (a second nginx, `pull rtmp://origin/live/src name=src static`, ' +
      '`master_process off`: one process), node-media-server (its RTMP pull relay task, in its own Node process: ' +
      '`benchmarks/lib/nms-server.ts`). The 0-viewer baseline is one window with all of them ingesting; then for each N, ' +
      'each server in turn gets N viewers from a fresh load generator, and only that server has viewers during its window.',
    '- Viewers (`benchmarks/lib/viewers.ts`, separate Node processes): Sluice HTTP `GET /live/bench.live.mp4` (progressive fMP4), ' +
      'Sluice WS `ws://…/live/bench.live.mp4` (WebSocket fMP4: HTTP/1.1 Upgrade, 101 and Sec-WebSocket-Accept checked, then one binary ' +
      'message per batch of fragments), node-media-server `GET /live/src.flv` (HTTP-FLV, chunked), nginx-rtmp RTMP `play live/src`: raw ' +
      '`net` sockets reading into one shared buffer and counting bytes (WS: frame headers included). The RTMP viewers run the handshake ' +
      'and connect / createStream / play with @sluice/rtmp-client\'s lower layers, then only count bytes (and send an Acknowledgement ' +
      `per 5 MB window, as nginx asks). At most ${perLoadgen} viewers per load-generator process: N = ${viewerCounts
        .map((n) => `${n}: ${Math.ceil(n / perLoadgen)}`)
        .join(', ')} process(es), started together and connecting in parallel; each one's CPU is in the table, "(saturated)" at ≥ ${SATURATED} %.`,
    `- Saturation: a server above ${SATURATED} % of a core is marked "(saturated)" (each does its fan-out on one thread: its CPU per viewer ` +
      'is then a lower bound and its viewers fall behind); "machine busy" is `/proc/stat` busy time over the window, % of all cores, ' +
      `marked at ≥ ${SATURATED} %: every process, the server and the load generator included, then waited for a core.`,
    '- CPU: utime + stime of the server process over the window (`/proc/<pid>/stat`), % of one core; ' +
      '**CPU per 100 viewers** = (CPU_N − CPU_0) / N × 100, each server against its own baseline (its ingest).',
    '- RSS: VmRSS at the end of the window; **RSS per viewer** = (RSS_N − RSS_0) / N: an upper bound, it includes what the first ' +
      'viewers bring (muxers, GOP caches, heap growth).',
    '- Delivered ÷ ingest: bytes each viewer got in the window / bytes the server read from the origin in the same window ' +
      '(`ss -tip` bytes_received on its connection to the origin; `/proc/<pid>/io` rchar misses nginx\'s recv()): ≈ 1.0 is the whole stream (fMP4 adds ~2.5 % of framing, FLV/RTMP ~0.5 %); min over viewers (mean).',
    '- Writes/s per viewer: TCP data segments the server sent on its viewer port (`ss -ti` data_segs_out) / N.',
    `- Delay: ${probeCount} of the N viewers are probes (spread over the connection order, first and last included; shared among the ` +
      'load-generator processes) that also parse their stream (fMP4 boxes, FLV tags, RTMP chunks: `benchmarks/lib/frames.ts`; WS frames ' +
      'unwrapped first: `benchmarks/lib/ws-frames.ts`); a reference reader in each process with probes plays the origin over RTMP. A video frame is identified by a fingerprint of its first slice NAL unit (no server rewrites those), and its ' +
      'delay is its arrival at a probe minus its arrival at the reference: the time the server adds between receiving a frame from the ' +
      'origin and delivering it (both readers are on the origin\'s side of the same loopback, the load generator\'s clock). p50 / p99 / ' +
      'max over all probes\' frames in the window. Resolution: one turn of the load generator\'s event loop (it serves its share of the N viewers).',
    '',
    'All points, in the order measured per N (servers one after another):',
    '',
    '| server | viewers | CPU % | CPU % per 100 viewers | RSS | RSS per viewer (KiB) | ingest kb/s | delivered ÷ source, min | delivered ÷ ingest, min (mean) | ended early | writes/s per viewer | delay p50 / p99 / max (ms) | load generator CPU % (per process) | machine busy % of all cores | other load % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...allRows,
    '',
    '**CPU % of one core per 100 viewers** (above each server\'s baseline; "marginal" rows: between two viewer counts, ' +
      'which leaves out what the first viewer costs once), and Sluice ÷ peer:',
    '',
    ...headRow(cpuHead),
    ...cpuRows,
    '',
    '**RSS per viewer (KiB)** (above the baseline; "marginal": per viewer added between two counts), and Sluice ÷ peer:',
    '',
    ...headRow(cpuHead),
    ...rssRows,
    '',
    ...(probeCount > 0
      ? [
          '**Delay from the origin to the viewers, p50 / p99 (ms)**, and Sluice ÷ peer for p99:',
          '',
          ...headRow(cpuHead),
          ...delayRows,
          '',
        ]
      : []),
    ...floorTable(points, floors, servers),
    ...targets(run),
    '',
  ].join('\n');
}

function shortLabel(s: Server): string {
  if (s.kind === 'sluice') return `Sluice ${s.protocol === 'ws' ? 'WS' : 'HTTP'} ${s.merge}`;
  return s.kind === 'nginx' ? 'nginx' : 'NMS';
}

/** Short notes on what limited a point (see saturationNotes), for the target lines. */
function limitTags(p: Point | undefined, who: string): string[] {
  if (!p) return [];
  const tags: string[] = [];
  if (p.cpu >= SATURATED) tags.push(`${who} saturated its core: its figure is a lower bound`);
  if ((p.loadGenCpu ?? []).some((c) => c >= SATURATED)) tags.push(`load generator saturated at ${who}`);
  if (p.machineBusy >= SATURATED) tags.push(`machine saturated at ${who}`);
  if (p.startedReceiving !== undefined) tags.push(`${who}: only ${p.startedReceiving} of ${p.viewers} viewers started`);
  return tags;
}

const protocolRank = (s: Server): number => (s.protocol === 'ws' ? 1 : 0);

/** The issue-7 targets, evaluated on this run, for every Sluice output and mergeWriteMS. */
function targets(run: PeersRun): string[] {
  const { servers, points } = run;
  // HTTP fMP4 first (the targets are stated for it), WS fMP4 alongside, each merge value in turn.
  const sluice = servers
    .filter((s) => s.kind === 'sluice')
    .sort((a, b) => a.merge! - b.merge! || protocolRank(a) - protocolRank(b));
  const nginx = servers.find((s) => s.kind === 'nginx');
  const nms = servers.find((s) => s.kind === 'nms');
  const pointOf = (id: string, n: number): Point | undefined => points.find((p) => p.server === id && p.viewers === n);
  const aside = (s: Server): string => (s.protocol === 'ws' ? ' (WS: alongside, the target is stated for HTTP)' : '');
  const out: string[] = [
    'Issue 7 targets on this run (computed by the benchmark; stated for HTTP fMP4, WS fMP4 shown alongside):',
    '',
  ];
  const cpuTarget = (peer: Server, limit: number): void => {
    for (const s of sluice) {
      const parts = viewerCounts.map((n) => {
        const a = per100(points, s.id, n);
        const b = per100(points, peer.id, n);
        if (!(Number.isFinite(a) && Number.isFinite(b) && b > 0)) return `N=${n}: –`;
        const r = a / b;
        const tags = [...limitTags(pointOf(peer.id, n), shortLabel(peer)), ...limitTags(pointOf(s.id, n), shortLabel(s))];
        return `N=${n}: ${fmt(r, 2)}× ${r <= limit ? 'met' : `missed by ${fmt((r / limit - 1) * 100, 0)} %`}${tags.length ? ` (${tags.join('; ')})` : ''}`;
      });
      const marginal = viewerCounts.slice(1).map((n, i) => {
        const prev = viewerCounts[i]!;
        const a = marginalPer100(points, s.id, prev, n);
        const b = marginalPer100(points, peer.id, prev, n);
        return `${prev} → ${n}: ${Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${fmt(a / b, 2)}×` : '–'}`;
      });
      out.push(
        `- CPU per viewer, ${shortLabel(s)} ≤ ${fmt(limit, 1)}× ${peer.label}${aside(s)}: ${parts.join('; ')}` +
          `${marginal.length ? ` (marginal: ${marginal.join('; ')})` : ''}`,
      );
    }
  };
  if (nginx) cpuTarget(nginx, 1.0);
  if (nms) cpuTarget(nms, 0.6);
  for (const s of sluice) {
    const parts = viewerCounts.map((n) => {
      const v = rssPerViewer(points, s.id, n);
      return `N=${n}: ${fmt(v)} KiB ${v < 64 ? 'met' : `missed by ${fmt(v - 64)} KiB`}`;
    });
    out.push(`- RSS per viewer < 64 KB, ${shortLabel(s)}${aside(s)}: ${parts.join('; ')}`);
  }
  for (const s of servers) {
    const pts = points.filter((p) => p.server === s.id && p.viewers > 0);
    const worstAt = pts.map((p) => ({ n: p.viewers, r: p.report!.min / (p.bytesInPerSec * p.report!.seconds) })).sort((a, b) => a.r - b.r)[0];
    const ended = pts.reduce((a, p) => a + p.report!.endedEarly, 0);
    // fMP4 and FLV/RTMP framing put a whole stream at 1.00–1.03 of the ingest; 0.97 allows a window's jitter.
    const ok = worstAt !== undefined && worstAt.r >= 0.97 && ended === 0;
    out.push(
      `- Every viewer gets the full bitrate, ${s.label}${aside(s)}: worst viewer ${fmt(worstAt?.r ?? NaN, 3)} of the ingest` +
        `${worstAt ? ` (at N=${worstAt.n})` : ''}, ${ended} ended early — ${ok ? 'met' : 'missed'}`,
    );
  }
  // The target is at N = 1000; other counts are listed after it for context.
  const delayN = viewerCounts.includes(1000) ? 1000 : Math.max(...viewerCounts);
  for (const s of sluice) {
    const d = pointOf(s.id, delayN)?.report?.delay;
    if (!d) continue;
    const others = viewerCounts
      .filter((n) => n !== delayN)
      .map((n) => {
        const o = pointOf(s.id, n)?.report?.delay;
        return o ? `N=${n}: ${fmt(o.p99)}` : '';
      })
      .filter(Boolean);
    const tags = limitTags(pointOf(s.id, delayN), shortLabel(s));
    out.push(
      `- p99 delay < 50 ms at 1000 viewers, ${shortLabel(s)}${aside(s)}: ` +
        `${delayN === 1000 ? '' : `not measured at 1000 here; at N=${delayN} `}p99 ${fmt(d.p99)} ms` +
        `${delayN === 1000 ? (d.p99 < 50 ? ' — met' : ` — missed by ${fmt(d.p99 - 50)} ms`) : ''}` +
        `${tags.length ? ` (${tags.join('; ')})` : ''}${others.length ? ` (p99 at other N, ms: ${others.join('; ')})` : ''}`,
    );
  }
  out.push('');
  return out;
}

function floorTable(points: Point[], floors: FloorPoint[], servers: Server[]): string[] {
  if (floors.length === 0) return [];
  // The floor is measured after the HTTP fMP4 points only (it serves plain HTTP).
  const idOf = (merge: number): string => servers.find((s) => s.kind === 'sluice' && s.protocol === 'http' && s.merge === merge)!.id;
  const rows = floors.map((f) => {
    const relay = points.find((p) => p.server === idOf(f.merge) && p.viewers === f.viewers);
    const base = points.find((p) => p.server === idOf(f.merge) && p.viewers === 0);
    const r = relay ? `${fmt(relay.cpu / f.cpu, 2)}×` : '';
    const fanoutRatio = relay && base ? `${fmt((relay.cpu - base.cpu) / f.cpu, 2)}×` : '';
    return (
      `| ${f.merge} | ${f.viewers} | ${fmt(f.writesPerSec)} × ${fmt((f.kbps * 125) / f.writesPerSec, 0)} B | ${fmt(f.cpu)} | ` +
      `${relay ? fmt(relay.cpu) : ''} | ${r} | ${fanoutRatio} | ${fmt(f.report.min / (f.kbps * 125 * f.report.seconds), 3)} | ${fmt(f.otherLoad, 0)} |`
    );
  });
  return [
    'Same-run floor (measured by this benchmark right after each relay point, while that relay idles): ' +
      '`benchmarks/lib/floor-server.ts`, a bare Node.js `net` server that writes one shared Buffer per write to every viewer, ' +
      "at the relay's write rate (frames/s at mergeWriteMS 0, 1000 / mergeWriteMS otherwise) and with the bytes/s the relay's viewers received; " +
      'same load generator, same window. It has no ingest: "relay ÷ floor" includes the relay\'s 0-viewer baseline (RTMP ingest and muxing), ' +
      '"(relay − relay baseline) ÷ floor" compares the fan-out alone.',
    '',
    '| mergeWriteMS | viewers | floor: writes/s per viewer × bytes | floor CPU % | relay CPU % | relay ÷ floor | (relay − relay baseline) ÷ floor | floor delivered ÷ sent, min | other load % |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

/** The Sluice-only section (`--peers none`), as this benchmark wrote it before the peers were added. */
function renderSluiceOnly(servers: Server[], points: Point[], floors: FloorPoint[], src: ClipBitrate, elapsed: number): string {
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const labelOf = new Map(servers.map((s) => [s.id, s.label]));
  const rows = points.map((p) => {
    const relay = labelOf.get(p.server)!;
    if (p.viewers === 0) {
      return `| ${relay} | 0 (baseline) | ${fmt(p.cpu)} | | ${fmt(p.rssKiB / 1024)} MiB | | | | | | | ${fmt(p.otherLoad, 0)} |`;
    }
    const r = p.report!;
    const expected = ((src.payloadKbps * 1000) / 8) * r.seconds;
    return (
      `| ${relay} | ${p.viewers} | ${fmt(p.cpu)} | ${fmt(per100(points, p.server, p.viewers), 2)} | ${fmt(p.rssKiB / 1024)} MiB | ${fmt(rssPerViewer(points, p.server, p.viewers))} | ` +
      `${fmt(r.min / expected, 3)} (mean ${fmt(r.mean / expected, 3)}) | ${fmt(r.min / (p.bytesInPerSec * r.seconds), 3)} | ${r.endedEarly} | ${fmt(p.segmentsPerSec / p.viewers)} | ${loadGenCell(p)} | ${fmt(p.otherLoad, 0)} |`
    );
  });
  return [
    HEADING,
    '',
    `- Command: \`${commandLine()}\``,
    `- Date: ${date} (\`date -u\`)`,
    machineLine(),
    ...sourceLines(src, points),
    `- Viewers: \`GET /live/bench.live.mp4\` (HTTP) or \`ws://…/live/bench.live.mp4\` (WS) on raw \`net\` sockets in separate load-generator processes ` +
      `(benchmarks/lib/viewers.ts, at most ${perLoadgen} viewers each), counting bytes only; all connected and receiving, then ${rampSec} s of ramp, then a ${windowSec} s window per point. ` +
      `One relay per output protocol and mergeWriteMS, all running for the whole run; one baseline window for all, then per N one relay after the other. Whole run: ${fmt(elapsed, 0)} s.`,
    '- Columns:',
    '  - relay CPU: utime+stime of the relay process over the window (`/proc/<pid>/stat`), % of one core; ' +
      'per 100 viewers = (CPU_N − CPU_baseline) / N × 100.',
    '  - RSS: VmRSS at the end of the window; per viewer = (RSS_N − RSS_baseline) / N.',
    '  - delivered ÷ source: bytes each viewer received in the window / (source bitrate × window), min over viewers (mean). ' +
      'fMP4 framing (one moof + mdat per frame) adds about 3 %, so ≈ 1.03 is the whole stream; the CBR source (1 s VBV buffer) ' +
      'can put up to ±1 s of bits more or less in a window, so this moves by a few % between points.',
    '  - delivered ÷ ingest: the same bytes / what the relay read from nginx-rtmp in the same window (`ss -tip` bytes_received, ' +
      'RTMP framing ~0.5 %), which cancels that variation: ≈ 1.025 is the whole stream.',
    '  - writes/s per viewer: TCP data segments the relay sent on its HTTP port in the window (`ss -ti` data_segs_out) / N; ' +
      "on loopback a write under 64 KB leaves as one segment, so this is the relay's write rate per viewer.",
    "  - other load: CPU used by the rest of the machine in the window (`/proc/stat` busy time minus this benchmark's processes), " +
      '% of one core; above ~10 % the point shared the 2 cores with other work and its CPU figures are less reliable.',
    '',
    '| relay | viewers | relay CPU % | CPU % per 100 viewers | RSS | RSS per viewer (KB) | delivered ÷ source, min (mean) | delivered ÷ ingest, min | ended early | writes/s per viewer | load generator CPU % (per process) | other load % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...floorTable(points, floors, servers),
    'Reference, measured by the brief on this kind of machine (2 cores, loopback, one 2.15 Mbps source, N light readers; ' +
      'quoted from shared/docs/performance.md, not measured by this benchmark; run with the default `--peers` to measure the peers):',
    '',
    '| server / output | N=50 | N=200 | N=500 | RSS per viewer |',
    '|---|---|---|---|---|',
    '| nginx-rtmp, RTMP | 3.5 % | 12.7 % | 28.4 % | ~18 KB |',
    '| ZLMediaKit (C++), HTTP-fMP4 | 7.0 % | 13.8 % | | < 5 KB |',
    '| node-media-server 4.4, HTTP-FLV | 6.6 % | 23.2 % | | 0.5–1.4 MB |',
    '| floor: Node.js `net`, same bytes, 73 writes/s per viewer | | 12.1 % | 32.0 % | ~10 KB |',
    '| floor: Node.js `net`, same bytes, 10 writes/s per viewer | | 2.7 % | 5.3 % | ~10 KB |',
    '',
  ].join('\n');
}

await runWithCleanup(main);
