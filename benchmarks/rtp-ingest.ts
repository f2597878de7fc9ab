/**
 * RTP ingest: M GB28181-style cameras push ~2 Mbps MPEG-PS over RTP/UDP into
 * `openRtpServer` ports of the relay, with the remux inline and in the worker pool.
 *
 *   pnpm run build && pnpm exec tsx benchmarks/rtp-ingest.ts [--streams 10,50,100] [--seconds 15]
 *     [--remux inline,worker] [--ramp 3] [--spread 2000] [--no-results]
 *
 * Processes (all on 127.0.0.1, all stopped on exit, error or Ctrl-C):
 *   relay        the built relay (packages/server/dist/cli.js), a fresh one per point, with
 *                SLUICE_RTPPROXY_REMUX=<mode>; M openRtpServer ports (UDP, tcp_mode 0)
 *   RTP sender   benchmarks/lib/rtp-sender.ts: M cameras, each its own UDP socket and SSRC, sending
 *                the same 720p25 H.264 + AAC PS-over-RTP clip (benchmarks/lib/ps-camera.ts, encoded
 *                once and cached) in real time, camera i starting i × spread / M ms after the first
 *
 * Per point: open the ports, start the cameras, wait until all M streams are online, ramp, then a
 * window: relay CPU (utime+stime of the process and of its main thread, /proc), RSS, packets
 * received (sluice_rtp_packets_total from /metrics). After the window the cameras stop, and what
 * they sent since the start is compared with what the relay counted (packets, sequence gaps,
 * frames), so loss is exact rather than a difference of two moving windows.
 * Results go to stdout and to the "RTP ingest" section of benchmarks/RESULTS.md (replaced if present).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CONFIG_SCHEMA } from '../packages/server/src/config.js';
import { freePort } from '../test/helpers/free-port.js';
import { scrape, type MetricFamily } from '../test/helpers/metrics.js';
import { startRelay, type Relay } from '../test/helpers/relay.js';
import { waitUntil } from '../test/helpers/wait.js';
import { onCleanup, runWithCleanup } from './lib/cleanup.js';
import { CpuWindow, OtherLoadWindow, childPids, rssKiB } from './lib/proc.js';
import { DEFAULT_CAMERA, prepareCamera, type CameraSpec } from './lib/ps-camera.js';
import { startRtpSender, type SenderCounts, type SenderReady } from './lib/rtp-loadgen.js';
import { ThreadCpuWindow, type ThreadCpu } from './lib/threads.js';
import { udpCounters } from './lib/udp-stats.js';
import { writeResultsSection } from './lib/results-section.js';
import { machineLine, waitForQuiet } from './lib/run-conditions.js';

const HEADING = '## RTP ingest: M PS-over-RTP cameras at 2 Mbps, remux inline vs worker pool';
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const CLI = fileURLToPath(new URL('../packages/server/dist/cli.js', import.meta.url));
/** Kept clear of the e2e tests' ranges (36000+) and the default pool (30000-35000). */
const PORT_BASE = 42000;

const { values } = parseArgs({
  options: {
    streams: { type: 'string', default: '10,50,100' },
    seconds: { type: 'string', default: '15' },
    remux: { type: 'string', default: 'inline,worker' },
    ramp: { type: 'string', default: '3' },
    spread: { type: 'string', default: '2000' },
    'no-results': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'usage: pnpm exec tsx benchmarks/rtp-ingest.ts [--streams 10,50,100] [--seconds 15] [--remux inline,worker] [--ramp 3] [--spread 2000] [--no-results]\n',
  );
  process.exit(0);
}
const streamCounts = values.streams!.split(',').map((x) => {
  const n = Number(x.trim());
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--streams: not a count of 1..1000: "${x}"`);
  return n;
});
const modes = values.remux!.split(',').map((x) => {
  const m = x.trim();
  if (m !== 'inline' && m !== 'worker') throw new Error(`--remux: inline or worker, not "${x}"`);
  return m;
});
const windowSec = Number(values.seconds);
const rampSec = Number(values.ramp);
const spreadMs = Number(values.spread);
if (!(windowSec > 0) || !(rampSec >= 0) || !(spreadMs >= 0)) throw new Error('--seconds must be > 0, --ramp and --spread >= 0');

/** The clip must outlast a point: cameras start over `spread`, come online, ramp, window, margin. */
const CAMERA: CameraSpec = { ...DEFAULT_CAMERA, seconds: Math.max(30, Math.ceil(spreadMs / 1000 + rampSec + windowSec + 12)) };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(`[rtp-ingest] ${s}\n`);

interface Point {
  mode: string;
  streams: number;
  /** Over the window. */
  relayCpu: number;
  threads: ThreadCpu;
  senderCpu: number;
  otherLoad: number;
  rssKiB: number;
  rxPacketsPerSec: number;
  rxKbps: number;
  maxLagMs: number;
  lagOver10: number;
  /** From the cameras' start to their stop. */
  sent: SenderCounts & { seconds: number };
  received: number;
  rtpLost: number;
  framesIn: number;
  /** Datagrams the kernel dropped for a full receive buffer, and in the loopback backlog, machine-wide, over the point. */
  rcvbufErrors: number;
  backlogDrops: number;
  /** How long the relay took, after the cameras stopped, to read what waited in its sockets. */
  settleMs: number;
}

function sum(families: MetricFamily[], name: string): number {
  const family = families.find((f) => f.name === name);
  return (family?.metrics ?? []).reduce((n, m) => n + Number(m.value ?? 0), 0);
}

async function measurePoint(mode: string, streams: number, ready: { value?: SenderReady }): Promise<Point> {
  await waitForQuiet(log);
  const relay: Relay = await startRelay({
    port: await freePort(),
    secret: 'bench-secret',
    env: {
      // info: lifecycle lines only (startRelay waits for "sluice listening"); nothing per packet.
      SLUICE_LOG_LEVEL: 'info',
      SLUICE_RTPPROXY_REMUX: mode,
      SLUICE_RTPPROXY_PORTRANGE: `${PORT_BASE}-${PORT_BASE + 2 * streams + 19}`,
      SLUICE_RTPPROXY_TIMEOUTSEC: '60',
      SLUICE_RTPPROXY_OPENTIMEOUTSEC: '120',
    },
  });
  const stopRelay = onCleanup(`relay (${mode}, ${streams} streams)`, () => relay.stop());
  const relayPid = relay.process.pid!;
  const ports: number[] = [];
  for (let i = 0; i < streams; i++) {
    const r = await relay.api('openRtpServer', { stream_id: `cam${i}`, port: 0, tcp_mode: 0 });
    if (r.code !== 0) throw new Error(`openRtpServer cam${i}: ${JSON.stringify(r)}`);
    ports.push(r.port);
  }
  const udp0 = udpCounters();
  const sender = await startRtpSender({ ports, spec: CAMERA, spreadMs, ssrcBase: 0x51100000 });
  ready.value = sender.ready;
  await sender.start();
  await waitUntil(
    `${streams} streams online`,
    async () => {
      const list = await relay.api('getMediaList', { app: 'rtp' });
      const online = new Set(((list.data ?? []) as Array<{ stream: string }>).map((s) => s.stream));
      return online.size >= streams ? true : undefined;
    },
    spreadMs + 20_000,
    250,
  );
  await sleep(rampSec * 1000);

  const m0 = await scrape(relay.base, relay.secret);
  await sender.mark();
  const cpu = new CpuWindow([relayPid, sender.pid]);
  const threads = new ThreadCpuWindow(relayPid);
  const other = new OtherLoadWindow([process.pid, ...childPids(process.pid)]);
  const t0 = process.hrtime.bigint();
  await sleep(windowSec * 1000);
  const used = cpu.end();
  const threadCpu = threads.end();
  const otherLoad = other.end();
  const report = await sender.report();
  const m1 = await scrape(relay.base, relay.secret);
  const sec = Number(process.hrtime.bigint() - t0) / 1e9;
  const rss = rssKiB(relayPid);
  if (report.finished) log('  warning: the clip ended inside the window (a longer --seconds needs a longer clip)');

  // Exact loss: stop the cameras, let the relay read what waits in its sockets (until its count
  // stops moving), then compare totals.
  const sent = await sender.halt();
  let mEnd = await scrape(relay.base, relay.secret);
  const settleStart = Date.now();
  for (let stable = 0; stable < 2 && Date.now() - settleStart < 15_000; ) {
    await sleep(500);
    const m = await scrape(relay.base, relay.secret);
    stable = sum(m, 'sluice_rtp_packets_total') === sum(mEnd, 'sluice_rtp_packets_total') ? stable + 1 : 0;
    mEnd = m;
  }
  const settleMs = Date.now() - settleStart;
  const udp1 = udpCounters();
  await sender.stop();
  await stopRelay();

  const rx = sum(m1, 'sluice_rtp_packets_total') - sum(m0, 'sluice_rtp_packets_total');
  const rxBytes = sum(m1, 'sluice_rtp_bytes_total') - sum(m0, 'sluice_rtp_bytes_total');
  return {
    mode,
    streams,
    relayCpu: used.get(relayPid)!,
    threads: threadCpu,
    senderCpu: used.get(sender.pid)!,
    otherLoad,
    rssKiB: rss,
    rxPacketsPerSec: rx / sec,
    rxKbps: (rxBytes * 8) / sec / 1000,
    maxLagMs: report.maxLagMs,
    lagOver10: report.lagOver10,
    sent,
    received: sum(mEnd, 'sluice_rtp_packets_total'),
    rtpLost: sum(mEnd, 'sluice_rtp_lost_packets_total'),
    framesIn: sum(mEnd, 'sluice_stream_frames_in_total'),
    rcvbufErrors: udp1.RcvbufErrors - udp0.RcvbufErrors,
    backlogDrops: udp1.BacklogDrops - udp0.BacklogDrops,
    settleMs,
  };
}

/** Nothing lost, and the relay was reading in step (what waited in its sockets was read within the first settle polls). */
function lossFree(p: Point): boolean {
  return p.received === p.sent.packets && p.rtpLost === 0 && p.framesIn >= p.sent.frames && p.settleMs < 2000;
}

async function main(): Promise<void> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`pnpm run build\` first`);
  const started = Date.now();
  const estimate = streamCounts.length * modes.length * (spreadMs / 1000 + rampSec + windowSec + 9);
  log(`points: remux ${modes.join(',')} × streams ${streamCounts.join(',')}, ${windowSec} s window; about ${Math.ceil(estimate)} s`);
  const camera = await prepareCamera(CAMERA);
  log(`${camera.encoded ? 'encoded' : 'cached'} the camera clip (${CAMERA.seconds} s)`);

  const points: Point[] = [];
  const ready: { value?: SenderReady } = {};
  for (const streams of streamCounts) {
    for (const mode of modes) {
      const p = await measurePoint(mode, streams, ready);
      points.push(p);
      const perCore = p.rxPacketsPerSec / (p.relayCpu / 100);
      log(
        `  ${mode} M=${streams}: relay ${p.relayCpu.toFixed(1)} % CPU (main thread ${p.threads.main.toFixed(1)} %, others ${p.threads.others.toFixed(1)} %), ` +
          `${p.rxPacketsPerSec.toFixed(0)} packets/s in (${(p.rxKbps / 1000).toFixed(1)} Mb/s), ${perCore.toFixed(0)} packets/s per core, ` +
          `sent ${p.sent.packets} received ${p.received} (kernel drops ${p.rcvbufErrors} + ${p.backlogDrops}, settled in ${p.settleMs} ms), RTP lost ${p.rtpLost}, frames ${p.framesIn}/${p.sent.frames}, ` +
          `RSS ${(p.rssKiB / 1024).toFixed(0)} MiB; sender ${p.senderCpu.toFixed(1)} % CPU, max lag ${p.maxLagMs.toFixed(1)} ms; other load ${p.otherLoad.toFixed(0)} %`,
      );
      await sleep(1000);
    }
  }
  const elapsed = (Date.now() - started) / 1000;
  const md = render(points, ready.value!, camera.command, elapsed);
  process.stdout.write(`\n${md}\n`);
  if (!values['no-results']) {
    writeResultsSection(RESULTS, HEADING, md);
    log(`wrote the "${HEADING.slice(3)}" section of ${RESULTS}`);
  }
  log(`done in ${elapsed.toFixed(0)} s`);
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function render(points: Point[], cam: SenderReady, encode: string, elapsed: number): string {
  const date = execFileSync('date', ['-u'], { encoding: 'utf8' }).trim();
  const argv = process.argv.slice(2).join(' ');
  const command = `pnpm run build && pnpm exec tsx benchmarks/rtp-ingest.ts${argv ? ` ${argv}` : ''}`;
  const rows = points.map((p) => {
    const perCore = p.rxPacketsPerSec / (p.relayCpu / 100);
    const lost = p.sent.packets - p.received;
    return (
      `| ${p.mode} | ${p.streams} | ${fmt(p.rxKbps / 1000)} | ${fmt(p.rxPacketsPerSec, 0)} | **${fmt(p.relayCpu)}** | ${fmt(p.threads.main)} | ${fmt(p.threads.others)} | ` +
      `${fmt(perCore, 0)} | ${fmt((p.relayCpu * 1e4) / p.rxPacketsPerSec, 1)} | ${p.sent.packets.toLocaleString('en-US')} | ${lost.toLocaleString('en-US')} (${fmt((lost / p.sent.packets) * 100, 3)} %) | ` +
      `${p.rcvbufErrors.toLocaleString('en-US')} + ${p.backlogDrops.toLocaleString('en-US')} | ${fmt(p.settleMs / 1000)} | ${p.rtpLost.toLocaleString('en-US')} | ${p.framesIn.toLocaleString('en-US')} / ${p.sent.frames.toLocaleString('en-US')} | ` +
      `${fmt(p.rssKiB / 1024, 0)} | ${fmt(p.senderCpu)} | ${fmt(p.maxLagMs)} | ${fmt(p.otherLoad, 0)} |`
    );
  });
  const verdicts = [...new Set(points.map((p) => p.mode))].map((mode) => {
    const ps = points.filter((p) => p.mode === mode);
    const clean = ps.filter(lossFree);
    const best = clean.length ? Math.max(...clean.map((p) => p.streams)) : 0;
    const failed = ps.filter((p) => !lossFree(p)).sort((a, b) => a.streams - b.streams)[0];
    const ref = ps.find((p) => p.streams === 100) ?? ps[ps.length - 1]!;
    const usPerPacket = (ref.relayCpu * 1e4) / ref.rxPacketsPerSec;
    return (
      `- **${mode}**: loss-free and in step up to ${best} streams in this run` +
      (failed
        ? ` (at ${failed.streams}: ${(failed.sent.packets - failed.received).toLocaleString('en-US')} packets lost, ` +
          `${(failed.sent.frames - failed.framesIn).toLocaleString('en-US')} frames missing, ${fmt(failed.settleMs / 1000)} s of backlog read after the stop, main thread ${fmt(failed.threads.main)} %)`
        : '') +
      `; at ${ref.streams} streams the relay used ${fmt(ref.relayCpu)} % of a core (main thread ${fmt(ref.threads.main)} %), ` +
      `${fmt(usPerPacket, 1)} µs of CPU per packet: one core's worth of CPU covers about ${fmt(1e6 / usPerPacket / cam.packetsPerSecond, 0)} such cameras at that cost`
    );
  });
  const defaultMode = CONFIG_SCHEMA['rtp_proxy.remux'].default;
  return [
    HEADING,
    '',
    `- Command: \`${command}\``,
    `- Date: ${date} (\`date -u\`)`,
    machineLine(),
    `- Camera: ${CAMERA.width}x${CAMERA.height} ${CAMERA.fps} fps H.264 (CBR ${CAMERA.videoKbps} kb/s, GOP ${CAMERA.gop}, no B-frames) + AAC ${CAMERA.audioRate / 1000} kHz mono ` +
      `${CAMERA.audioKbps} kb/s, ${CAMERA.seconds} s, encoded once (\`${encode}\`) and cut into MPEG-PS over RTP the GB28181 way ` +
      `(benchmarks/lib/ps-camera.ts with the writers of test/helpers/ps-rtp.ts: pack header per frame, system header + PSM before keyframes, ` +
      `RTP payloads ≤ 1400 bytes, marker per frame): **${fmt(cam.rtpKbps / 1000, 2)} Mb/s** of RTP per camera, ${fmt(cam.packetsPerSecond)} packets/s, ` +
      `${fmt(cam.framesPerSecond)} frames/s.`,
    `- Load: a separate sender process (benchmarks/lib/rtp-sender.ts), one UDP socket and SSRC per camera, each to its own ` +
      '`openRtpServer` port (UDP) of a fresh relay per point (built dist, `SLUICE_RTPPROXY_REMUX=<mode>`, log level info); ' +
      `camera i starts i × ${spreadMs} / M ms after the first so keyframe bursts do not line up; every packet of a frame leaves at the frame's time. ` +
      `All M streams online, ${rampSec} s ramp, then a ${windowSec} s window. Points run in the order shown. Whole run: ${fmt(elapsed, 0)} s.`,
    '- Columns:',
    '  - relay CPU: utime+stime of the relay process over the window (`/proc/<pid>/stat`), % of one core; main thread = the ' +
      'I/O thread (`/proc/<pid>/task/<pid>/stat`), others = every other thread (remux worker, V8 GC helpers, libuv pool).',
    '  - packets/s in: `sluice_rtp_packets_total` (all streams) over the window, from `/metrics` with a Bearer secret; ' +
      'per core = packets/s ÷ (relay CPU / 100); µs/packet = relay CPU time per packet received.',
    '  - sent, lost: every packet the cameras sent from start to stop against `sluice_rtp_packets_total` once it stops moving after they stopped ' +
      '("backlog read after stop": how long that took, i.e. how far behind the relay was reading); ' +
      'kernel drops: `RcvbufErrors` of `/proc/net/snmp` (datagrams dropped because a socket\'s receive buffer was full) + the loopback backlog ' +
      'drops of `/proc/net/softnet_stat`, machine-wide, over the point; ' +
      'RTP lost: `sluice_rtp_lost_packets_total` (sequence gaps the reorder buffer gave up on).',
    '  - frames in / sent: `sluice_stream_frames_in_total` (frames published, all streams) against frames whose last packet the cameras sent.',
    '  - RSS: VmRSS of the relay at the end of the window. sender: the load generator\'s own CPU and its worst lateness against the ' +
      'real-time schedule. other load: CPU the rest of the machine used in the window.',
    '',
    '| remux | streams | Mb/s in | packets/s in | relay CPU % | main thread % | other threads % | packets/s per core | µs CPU per packet | packets sent | lost (sent − received) | kernel drops (rcvbuf + backlog) | backlog read after stop, s | RTP lost | frames in / sent | RSS MiB | sender CPU % | sender max lag ms | other load % |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Per mode, from this run:',
    '',
    ...verdicts,
    `- Default in this build: \`rtp_proxy.remux = ${defaultMode}\` (packages/server/src/config.ts).`,
    '',
  ].join('\n');
}

await runWithCleanup(main);
