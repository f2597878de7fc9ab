/**
 * Fan-out: one ~2 Mbps H.264 + AAC source to N progressive HTTP fMP4 viewers on loopback.
 *
 *   pnpm run build && pnpm exec tsx benchmarks/fanout.ts [--viewers 50,200,500] [--seconds 20] [--merge 0,100]
 *     [--ramp 3] [--no-floor] [--no-results]
 *
 * Processes (all on 127.0.0.1, all stopped on exit, error or Ctrl-C):
 *   nginx-rtmp            the origin (test/helpers/nginx-rtmp.ts)
 *   ffmpeg -re -c copy    publishes a clip encoded once (cached) in real time, looped
 *   relay                 the built relay (packages/server/dist/cli.js), one per mergeWriteMS value,
 *                         pulling the stream with addStreamProxy
 *   load generator        benchmarks/lib/viewers.ts: N raw `net` viewers that only count bytes
 *   floor server          benchmarks/lib/floor-server.ts: a bare Node `net` server sending the same bytes at
 *                         the relay's write rate to the same viewers (skip with --no-floor)
 *
 * Per mergeWriteMS: a baseline with the proxy playing and no viewers, then for each N the viewers
 * connect, all must be receiving, a ramp settles, and the relay's CPU (utime+stime from
 * /proc/<pid>/stat), RSS (VmRSS), bytes read (/proc/<pid>/io) and TCP segments sent (ss -ti) are
 * taken over the window, with the bytes every viewer received.
 * Results go to stdout and to the "Fan-out" section of benchmarks/RESULTS.md (replaced if present).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
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
import { startFloorServer, startViewers, type LoadGenerator, type ViewerReport } from './lib/loadgen.js';
import { CpuWindow, OtherLoadWindow, childPids, cpuModel, ioCounters, rssKiB, tcpDataSegmentsOut, type IoCounters } from './lib/proc.js';

const HEADING = '## Fan-out: one 2 Mbps source to N HTTP fMP4 viewers';
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url));

const { values } = parseArgs({
  options: {
    viewers: { type: 'string', default: '50,200,500' },
    seconds: { type: 'string', default: '20' },
    merge: { type: 'string', default: '0,100' },
    ramp: { type: 'string', default: '3' },
    'no-floor': { type: 'boolean', default: false },
    'no-results': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: pnpm exec tsx benchmarks/fanout.ts [--viewers 50,200,500] [--seconds 20] [--merge 0,100] [--ramp 3] [--no-floor] [--no-results]\n',
  );
  process.exit(0);
}
const list = (s: string): number[] =>
  s.split(',').map((x) => {
    const n = Number(x.trim());
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a whole number: "${x}"`);
    return n;
  });
const viewerCounts = list(values.viewers!).filter((n) => n > 0);
const merges = list(values.merge!);
const windowSec = Number(values.seconds);
const rampSec = Number(values.ramp);
const withFloor = !values['no-floor'];
if (!(windowSec > 0) || !(rampSec >= 0)) throw new Error('--seconds must be > 0 and --ramp >= 0');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`[fanout] ${s}\n`);

interface Point {
  merge: number;
  viewers: number;
  relayCpu: number;
  rssKiB: number;
  /** TCP data segments per second the relay sent on its HTTP port (≈ writes to viewers). */
  segmentsPerSec: number;
  /** Bytes the relay wrote per second (wchar, all files and sockets). */
  bytesOutPerSec: number;
  loadGenCpu?: number;
  report?: ViewerReport;
  /** CPU used by processes this benchmark did not start, during the window (% of one core). */
  otherLoad: number;
  /** Bytes the relay read per second over the window (RTMP ingest: no viewer sends anything then). */
  bytesInPerSec: number;
}

/** The same-run floor (lib/floor-server.ts) at one point. */
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
  rss: number;
  io: ReturnType<typeof ioRate>;
  segmentsPerSec: number;
  sockets: number;
  otherLoad: number;
}

async function measureWindow(pids: number[], relayPid: number, relayPort: number): Promise<WindowResult> {
  const seg0 = tcpDataSegmentsOut(relayPort);
  const io0 = ioCounters(relayPid);
  const t0 = process.hrtime.bigint();
  const cpu = new CpuWindow(pids);
  // Everything this benchmark runs (itself, nginx, ffmpeg, relay, load generator) vs the rest of the machine.
  const other = new OtherLoadWindow([process.pid, ...childPids(process.pid)]);
  await sleep(windowSec * 1000);
  const used = cpu.end();
  const otherLoad = other.end();
  if (otherLoad > 10) log(`  warning: other processes used ${otherLoad.toFixed(0)} % of a core during this window: the machine is not quiet`);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const io = ioRate(io0, ioCounters(relayPid), sec);
  const rss = rssKiB(relayPid);
  const seg1 = tcpDataSegmentsOut(relayPort);
  return { cpu: used, rss, io, segmentsPerSec: (seg1.segments - seg0.segments) / sec, sockets: seg1.sockets, otherLoad };
}

/** Starts N viewers of `path` on `port`; resolves once every one is receiving and the ramp is over. */
async function connectViewers(port: number, path: string, n: number): Promise<LoadGenerator> {
  const gen = await startViewers({ port, path, count: n, maxSeconds: Math.ceil(windowSec + rampSec + 120) });
  const ready = await waitUntil(
    `${n} viewers receiving`,
    async () => {
      const s = await gen.status();
      return s.receiving === n || s.failed > 0 || s.badStatus > 0 || s.ended > 0 ? s : undefined;
    },
    30_000,
    200,
  );
  if (ready.receiving !== n) throw new Error(`viewers did not all start: ${JSON.stringify(ready)}`);
  await sleep(rampSec * 1000);
  return gen;
}

/**
 * The floor at one point: a bare Node `net` server sending the bytes the relay's viewers got, at the
 * relay's write rate, one Buffer per write, to the same number of viewers of the same load generator.
 */
async function measureFloor(merge: number, n: number, writesPerSec: number, kbps: number): Promise<FloorPoint> {
  const port = await freePort();
  const floor = await startFloorServer({ port, rate: writesPerSec, kbps, maxSeconds: windowSec + rampSec + 120 });
  const gen = await connectViewers(port, '/floor', n);
  await waitForQuiet();
  await gen.mark();
  const w = await measureWindow([floor.pid, gen.pid], floor.pid, port);
  const report = await gen.report();
  await gen.stop();
  await floor.stop();
  const p: FloorPoint = { merge, viewers: n, writesPerSec, kbps, cpu: w.cpu.get(floor.pid)!, otherLoad: w.otherLoad, report };
  log(
    `  floor N=${n} (${writesPerSec.toFixed(1)} writes/s of ${Math.round((kbps * 125) / writesPerSec)} B): ${p.cpu.toFixed(1)} % CPU, ` +
      `${(w.segmentsPerSec / n).toFixed(1)} segments/s/viewer; other load ${p.otherLoad.toFixed(0)} %`,
  );
  return p;
}

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
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm run build\` first`);
  const started = Date.now();
  const perPoint = viewerCounts.reduce((s, n) => s + 4 + rampSec + windowSec + n / 100, 0);
  const estimate = merges.length * (8 + windowSec + perPoint * (withFloor ? 2 : 1)) + 30;
  log(`(plus up to ${QUIET_BUDGET_S} s in all waiting for other processes on the machine to go quiet)`);
  log(`points: mergeWriteMS ${merges.join(',')} × viewers ${viewerCounts.join(',')}, ${windowSec} s window; about ${Math.ceil(estimate)} s`);

  // 1. The clip, encoded once.
  const clip = await ensureClip();
  log(`${clip.encoded ? 'encoded' : 'cached'} clip ${clip.path}`);
  const bitrate: ClipBitrate = await measureClip(clip.path);
  log(
    `source: ${bitrate.payloadKbps.toFixed(0)} kb/s payload (video ${bitrate.videoKbps.toFixed(0)}, audio ${bitrate.audioKbps.toFixed(0)}), ` +
      `${bitrate.framesPerSecond.toFixed(1)} frames/s`,
  );

  // 2. nginx-rtmp and the publisher.
  const nginx = await startNginxRtmp();
  onCleanup('nginx-rtmp', () => nginx.stop());
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

  const points: Point[] = [];
  const floors: FloorPoint[] = [];
  for (const merge of merges) {
    // 3. A fresh relay per coalescing window.
    const relay: Relay = await startRelay({
      port: await freePort(),
      secret: 'bench-secret',
      // info, not warn: "sluice listening" (what startRelay waits for) is an info line. Nothing is
      // logged per viewer or per frame at info, only lifecycle events.
      env: { SLUICE_LOG_LEVEL: 'info', SLUICE_GENERAL_MERGEWRITEMS: String(merge) },
    });
    const stopRelay = onCleanup(`relay (mergeWriteMS ${merge})`, () => relay.stop());
    const relayPid = relay.process.pid!;
    const added = await relay.api('addStreamProxy', { app: 'live', stream: 'bench', url: srcUrl });
    if (added.code !== 0) throw new Error(`addStreamProxy failed: ${JSON.stringify(added)}`);
    log(`mergeWriteMS=${merge}: relay pid ${relayPid} on :${relay.port}, proxy playing`);
    await sleep(3000);

    await waitForQuiet();
    const base = await measureWindow([relayPid, publisher.pid!], relayPid, relay.port);
    const baseline: Point = {
      merge,
      viewers: 0,
      relayCpu: base.cpu.get(relayPid)!,
      rssKiB: base.rss,
      segmentsPerSec: 0,
      bytesOutPerSec: base.io.wbytes,
      bytesInPerSec: base.io.rbytes,
      otherLoad: base.otherLoad,
    };
    points.push(baseline);
    log(
      `  N=0: relay ${baseline.relayCpu.toFixed(1)} % CPU, RSS ${(base.rss / 1024).toFixed(1)} MiB, ` +
        `ingest ${((base.io.rbytes * 8) / 1000).toFixed(0)} kb/s; publisher ffmpeg ${base.cpu.get(publisher.pid!)!.toFixed(1)} % CPU; other load ${base.otherLoad.toFixed(0)} %`,
    );

    for (const n of viewerCounts) {
      const gen = await connectViewers(relay.port, '/live/bench.live.mp4', n);
      await waitForQuiet();
      await gen.mark();
      const w = await measureWindow([relayPid, gen.pid], relayPid, relay.port);
      if (w.sockets !== n) log(`  warning: ${w.sockets} established sockets on the relay's port at the end of the window, expected ${n}`);
      const report = await gen.report();
      await gen.stop();
      const p: Point = {
        merge,
        viewers: n,
        relayCpu: w.cpu.get(relayPid)!,
        rssKiB: w.rss,
        segmentsPerSec: w.segmentsPerSec,
        bytesOutPerSec: w.io.wbytes,
        bytesInPerSec: w.io.rbytes,
        otherLoad: w.otherLoad,
        loadGenCpu: w.cpu.get(gen.pid)!,
        report,
      };
      points.push(p);
      const expected = ((bitrate.payloadKbps * 1000) / 8) * report.seconds;
      log(
        `  N=${n}: relay ${p.relayCpu.toFixed(1)} % CPU, RSS ${(p.rssKiB / 1024).toFixed(1)} MiB ` +
          `(+${((p.rssKiB - baseline.rssKiB) / n).toFixed(1)} KiB/viewer), ${(p.segmentsPerSec / n).toFixed(1)} segments/s/viewer, ` +
          `delivered min ${(report.min / expected).toFixed(3)} mean ${(report.mean / expected).toFixed(3)} of source, ` +
          `min ${(report.min / (p.bytesInPerSec * report.seconds)).toFixed(3)} of ingest, ` +
          `ended ${report.endedEarly}; load generator ${p.loadGenCpu!.toFixed(1)} % CPU; other load ${p.otherLoad.toFixed(0)} %`,
      );
      // Let the relay see the sockets close before the next point.
      await sleep(1500);
      if (withFloor) {
        // Right after, while the relay idles: the same bytes/s its viewers got, at its nominal write rate.
        const writesPerSec = merge > 0 ? 1000 / merge : bitrate.framesPerSecond;
        floors.push(await measureFloor(merge, n, writesPerSec, (report.mean * 8) / report.seconds / 1000));
        await sleep(1000);
      }
    }
    await stopRelay();
  }

  const elapsed = (Date.now() - started) / 1000;
  const md = render(points, floors, bitrate, elapsed);
  process.stdout.write(`\n${md}\n`);
  if (!values['no-results']) {
    writeSection(md);
    log(`wrote the "${HEADING.slice(3)}" section of ${RESULTS}`);
  }
  log(`done in ${elapsed.toFixed(0)} s`);
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function render(points: Point[], floors: FloorPoint[], src: ClipBitrate, elapsed: number): string {
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const argv = process.argv.slice(2).join(' ');
  const command = `pnpm run build && pnpm exec tsx benchmarks/fanout.ts${argv ? ` ${argv}` : ''}`;
  const baselines = new Map(points.filter((p) => p.viewers === 0).map((p) => [p.merge, p]));
  const ingestKbps = points.map((p) => (p.bytesInPerSec * 8) / 1000);
  const ingestMean = ingestKbps.reduce((a, b) => a + b, 0) / Math.max(1, ingestKbps.length);
  const rows = points.map((p) => {
    const b = baselines.get(p.merge)!;
    if (p.viewers === 0) {
      return `| ${p.merge} | 0 (baseline) | ${fmt(p.relayCpu)} | | ${fmt(p.rssKiB / 1024)} MiB | | | | | | | ${fmt(p.otherLoad, 0)} |`;
    }
    const r = p.report!;
    const expected = ((src.payloadKbps * 1000) / 8) * r.seconds;
    const per100 = ((p.relayCpu - b.relayCpu) / p.viewers) * 100;
    const rssPer = (p.rssKiB - b.rssKiB) / p.viewers;
    return (
      `| ${p.merge} | ${p.viewers} | ${fmt(p.relayCpu)} | ${fmt(per100, 2)} | ${fmt(p.rssKiB / 1024)} MiB | ${fmt(rssPer)} | ` +
      `${fmt(r.min / expected, 3)} (mean ${fmt(r.mean / expected, 3)}) | ${fmt(r.min / (p.bytesInPerSec * r.seconds), 3)} | ${r.endedEarly} | ${fmt(p.segmentsPerSec / p.viewers)} | ${fmt(p.loadGenCpu!)} | ${fmt(p.otherLoad, 0)} |`
    );
  });
  return [
    HEADING,
    '',
    `- Command: \`${command}\``,
    `- Date: ${date} (\`date -u\`)`,
    `- Node: ${process.version}; CPU: ${cpuModel()} (\`/proc/cpuinfo\` model name), ${cpus().length} cores; loopback only`,
    `- Source: ${DEFAULT_CLIP.seconds} s ${DEFAULT_CLIP.size} ${DEFAULT_CLIP.fps} fps clip encoded once ` +
      `(\`ffmpeg ${encodeArgs(DEFAULT_CLIP, 'clip.flv').filter((a) => !['-hide_banner', '-loglevel', 'error', '-y'].includes(a)).join(' ')}\`), ` +
      `published in real time to nginx-rtmp with \`ffmpeg -re -stream_loop -1 -i clip.flv -c copy -f flv rtmp://127.0.0.1:PORT/live/src\`; ` +
      `the relay pulls it with \`addStreamProxy\``,
    `- Source bitrate (measured): **${fmt(src.payloadKbps, 0)} kb/s** of H.264 + AAC payload (video ${fmt(src.videoKbps, 0)}, ` +
      `audio ${fmt(src.audioKbps, 0)}; ffprobe packet sizes over the clip), ${fmt(src.framesPerSecond)} frames/s` +
      `; the relay read ${fmt(ingestMean, 0)} kb/s of RTMP on average over the windows ` +
      `(${fmt(Math.min(...ingestKbps), 0)}–${fmt(Math.max(...ingestKbps), 0)}; \`/proc/<pid>/io\` rchar)`,
    `- Viewers: \`GET /live/bench.live.mp4\` on raw \`net\` sockets in a separate load-generator process (benchmarks/lib/viewers.ts), ` +
      `counting bytes only; all connected and receiving, then ${rampSec} s of ramp, then a ${windowSec} s window per point. ` +
      `A fresh relay per mergeWriteMS; points run in the order shown. Whole run: ${fmt(elapsed, 0)} s.`,
    '- Columns:',
    '  - relay CPU: utime+stime of the relay process over the window (`/proc/<pid>/stat`), % of one core; ' +
      'per 100 viewers = (CPU_N − CPU_baseline) / N × 100.',
    '  - RSS: VmRSS at the end of the window; per viewer = (RSS_N − RSS_baseline) / N.',
    '  - delivered ÷ source: bytes each viewer received in the window / (source bitrate × window), min over viewers (mean). ' +
      'fMP4 framing (one moof + mdat per frame) adds about 3 %, so ≈ 1.03 is the whole stream; the CBR source (1 s VBV buffer) ' +
      'can put up to ±1 s of bits more or less in a window, so this moves by a few % between points.',
    '  - delivered ÷ ingest: the same bytes / what the relay read from nginx-rtmp in the same window (`/proc/<pid>/io` rchar, ' +
      'RTMP framing ~0.5 %), which cancels that variation: ≈ 1.025 is the whole stream.',
    '  - writes/s per viewer: TCP data segments the relay sent on its HTTP port in the window (`ss -ti` data_segs_out) / N; ' +
      'on loopback a write under 64 KB leaves as one segment, so this is the relay\'s write rate per viewer.',
    '  - other load: CPU used by the rest of the machine in the window (`/proc/stat` busy time minus this benchmark\'s processes), ' +
      '% of one core; above ~10 % the point shared the 2 cores with other work and its CPU figures are less reliable.',
    '',
    '| mergeWriteMS | viewers | relay CPU % | CPU % per 100 viewers | RSS | RSS per viewer (KB) | delivered ÷ source, min (mean) | delivered ÷ ingest, min | ended early | writes/s per viewer | load generator CPU % | other load % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...floorTable(points, floors),
    'Reference, measured by the brief on this kind of machine (2 cores, loopback, one 2.15 Mbps source, N light readers; ' +
      'quoted from shared/docs/performance.md, not measured by this benchmark):',
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

function floorTable(points: Point[], floors: FloorPoint[]): string[] {
  if (floors.length === 0) return [];
  const rows = floors.map((f) => {
    const relay = points.find((p) => p.merge === f.merge && p.viewers === f.viewers);
    const base = points.find((p) => p.merge === f.merge && p.viewers === 0);
    const ratio = relay ? `${fmt(relay.relayCpu / f.cpu, 2)}×` : '';
    const fanoutRatio = relay && base ? `${fmt((relay.relayCpu - base.relayCpu) / f.cpu, 2)}×` : '';
    return (
      `| ${f.merge} | ${f.viewers} | ${fmt(f.writesPerSec)} × ${fmt((f.kbps * 125) / f.writesPerSec, 0)} B | ${fmt(f.cpu)} | ` +
      `${relay ? fmt(relay.relayCpu) : ''} | ${ratio} | ${fanoutRatio} | ${fmt(f.report.min / ((f.kbps * 125) * f.report.seconds), 3)} | ${fmt(f.otherLoad, 0)} |`
    );
  });
  return [
    'Same-run floor (measured by this benchmark right after each relay point, while that relay idles): ' +
      '`benchmarks/lib/floor-server.ts`, a bare Node.js `net` server that writes one shared Buffer per write to every viewer, ' +
      'at the relay\'s write rate (frames/s at mergeWriteMS 0, 1000 / mergeWriteMS otherwise) and with the bytes/s the relay\'s viewers received; ' +
      'same load generator, same window. It has no ingest: "relay ÷ floor" includes the relay\'s 0-viewer baseline (RTMP ingest and muxing), ' +
      '"(relay − relay baseline) ÷ floor" compares the fan-out alone.',
    '',
    '| mergeWriteMS | viewers | floor: writes/s per viewer × bytes | floor CPU % | relay CPU % | relay ÷ floor | (relay − relay baseline) ÷ floor | floor delivered ÷ sent, min | other load % |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

/** Replaces this benchmark's section of RESULTS.md (from its heading to the next `## `), or appends it. */
function writeSection(md: string): void {
  const text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const start = text.indexOf(`${HEADING}\n`);
  let out: string;
  if (start < 0) {
    out = `${text.replace(/\n*$/, '\n\n')}${md}`;
  } else {
    const next = text.indexOf('\n## ', start + HEADING.length);
    const rest = next < 0 ? '' : text.slice(next + 1);
    out = `${text.slice(0, start)}${md}${rest ? `\n${rest}` : ''}`;
  }
  writeFileSync(RESULTS, out.replace(/\n*$/, '\n'));
}

await runWithCleanup(main);
