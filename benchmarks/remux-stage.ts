/**
 * Remux stage: what a worker thread could take off the I/O thread, per packet,
 * for an RTP-server (GB28181 PS) stream and for an RTSP pull of the same video.
 *
 *   pnpm run build && pnpm exec tsx benchmarks/remux-stage.ts [--rounds 15] [--no-results]
 *
 * Issue 7 asks for the remux hot path in a worker pool "where that pays", for
 * RTP-server streams and RTSP pulls. The RTP-ingest benchmark (rtp-ingest.ts)
 * measured both paths end to end for PS over RTP and found the worker pool
 * costs as much or more CPU in total, and only buys I/O-thread headroom from
 * ~150 cameras on. This benchmark measures, in one process and on the same
 * camera video, how much work each kind of stream would move to a worker:
 *
 * - PS over RTP: `RemuxSession.push` per packet (PS/PES demux, frame assembly,
 *   Annex B split, track builders): exactly what `rtp_proxy.remux = worker` runs
 *   in the worker today.
 * - RTSP: the same H.264 (+ AAC) packetized by GStreamer (rtph264pay,
 *   rtpmp4gpay: the payloaders of the RTSP server the e2e tests use), written to
 *   a file with RFC 4571 framing (rtpstreampay) once, then per packet what an
 *   RTSP pull does after the RTP header is parsed: the RFC 6184 / RFC 3640
 *   depacketizers of @sluice/rtsp-client and the server's track builders (the
 *   work `RtspToFrames` does, which a worker path would move).
 *
 * Both stages get their RTP packets parsed beforehand: the header parse, the SSRC
 * filter and the reorder buffer stay on the I/O thread in either design.
 * CPU time (process.cpuUsage, user + system, GC included) per packet over
 * `--rounds` passes of the whole 32 s clip, the two stages alternating so that
 * load elsewhere on the machine touches both alike; median and min over rounds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseRtpPacket, type RtpPacket } from '../packages/rtp-receiver/src/index.js';
import { H264Depacketizer, Mpeg4GenericDepacketizer, AAC_HBR, type RtpPayloadPacket } from '../packages/rtsp-client/src/index.js';
import type { MediaFrame, Track } from '../packages/codec/src/index.js';
import { RemuxSession } from '../packages/server/src/workers/remux-session.js';
import type { FrameEvents } from '../packages/server/src/workers/messages.js';
import { VideoTrackBuilder } from '../packages/server/src/sources/video-track-builder.js';
import { AudioTrackBuilder } from '../packages/server/src/sources/audio-track-builder.js';
import { buildCamera, DEFAULT_CAMERA, prepareCamera, type CameraSpec } from './lib/ps-camera.js';
import { CACHE_DIR } from './lib/clip.js';
import { writeResultsSection } from './lib/results-section.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    'no-results': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const HEADING = '## Remux stage: what a worker would take per packet, PS over RTP vs RTSP';
const RESULTS = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
const CAMERA: CameraSpec = { ...DEFAULT_CAMERA, seconds: 32 };
const ES_BASE = `ps-camera-${CAMERA.width}x${CAMERA.height}-${CAMERA.fps}fps-${CAMERA.seconds}s-v${CAMERA.videoKbps}k-g${CAMERA.gop}-a${CAMERA.audioRate}-${CAMERA.audioKbps}k`;

/** Splits an RFC 4571 stream (2-byte length + packet) into packets. */
function deframe(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at + 2 <= bytes.byteLength; ) {
    const n = (bytes[at]! << 8) | bytes[at + 1]!;
    out.push(bytes.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return out;
}

/** GStreamer's payloaders, once, into the benchmark cache (RFC 4571 framed files). */
function rtspPackets(): { video: RtpPacket[]; audio: RtpPacket[]; command: string } {
  const es = (ext: string): string => join(CACHE_DIR, `${ES_BASE}.${ext}`);
  const out = (name: string): string => join(CACHE_DIR, `${ES_BASE}.${name}.rtp4571`);
  const pipelines: Array<[string, string]> = [
    [out('h264'), `filesrc location=${es('h264')} ! h264parse ! video/x-h264,framerate=${CAMERA.fps}/1 ! rtph264pay mtu=1400 config-interval=-1 pt=96`],
    [out('aac'), `filesrc location=${es('aac')} ! aacparse ! rtpmp4gpay pt=97`],
  ];
  for (const [file, pipeline] of pipelines) {
    if (existsSync(file)) continue;
    const partial = `${file}.${process.pid}.partial`;
    try {
      execFileSync('gst-launch-1.0', ['-q', ...`${pipeline} ! rtpstreampay ! filesink location=${partial}`.split(' ')]);
      renameSync(partial, file);
    } finally {
      rmSync(partial, { force: true });
    }
  }
  const load = (file: string): RtpPacket[] => deframe(new Uint8Array(readFileSync(file))).map((p) => parseRtpPacket(p));
  return { video: load(out('h264')), audio: load(out('aac')), command: pipelines.map(([, p]) => `gst-launch-1.0 ${p} ! rtpstreampay ! filesink`).join('; ') };
}

/** Interleaves the two tracks by RTP time (each track's clock from its first packet). */
function interleave(video: RtpPacket[], audio: RtpPacket[], audioRate: number): Array<{ audio: boolean; packet: RtpPacket }> {
  const at = (p: RtpPacket, first: number, rate: number): number => ((p.timestamp - first) >>> 0) / rate;
  const v0 = video[0]!.timestamp;
  const a0 = audio[0]!.timestamp;
  const all = [
    ...video.map((packet) => ({ audio: false, packet, t: at(packet, v0, 90000) })),
    ...audio.map((packet) => ({ audio: true, packet, t: at(packet, a0, audioRate) })),
  ];
  all.sort((a, b) => a.t - b.t);
  return all;
}

const sink = { frames: 0, bytes: 0, tracks: 0 };
const events: FrameEvents = {
  setTrack(_t: Track): void {
    sink.tracks++;
  },
  pushFrame(frame: MediaFrame): void {
    sink.frames++;
    sink.bytes += frame.data.byteLength;
  },
};

/** PS over RTP: the worker's job today. */
function psStage(packets: readonly RtpPacket[]): void {
  const session = new RemuxSession();
  for (const p of packets) session.push(p, events);
}

/** RTSP: depacketize + track builders, as RtspToFrames does. */
function rtspStage(packets: ReadonlyArray<{ audio: boolean; packet: RtpPayloadPacket }>, asc: Uint8Array): void {
  const h264 = new H264Depacketizer();
  const aac = new Mpeg4GenericDepacketizer(AAC_HBR);
  const video = new VideoTrackBuilder('h264', 1, 90000);
  const audio = new AudioTrackBuilder(2);
  for (const { audio: isAudio, packet } of packets) {
    if (isAudio) {
      for (const f of aac.push(packet)) {
        const r = audio.pushAac(asc, f.data, f.timestamp);
        if (r.trackChanged) sink.tracks++;
        for (const frame of r.frames) events.pushFrame(frame, 16000);
      }
      continue;
    }
    for (const au of h264.push(packet)) {
      const { frame, trackChanged } = video.push(au.nalus, au.timestamp, au.timestamp);
      if (trackChanged) sink.tracks++;
      if (frame) events.pushFrame(frame, 90000);
    }
  }
}

function cpuMicros(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return used.user + used.system;
}

function stats(xs: number[]): { median: number; min: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]! };
}

await prepareCamera(CAMERA);
mkdirSync(CACHE_DIR, { recursive: true });
const camera = await buildCamera(CAMERA);
const psPackets = camera.packets.map((p) => parseRtpPacket(p));
const rtsp = rtspPackets();
const rtspInterleaved = interleave(rtsp.video, rtsp.audio, CAMERA.audioRate);
// AudioSpecificConfig of AAC-LC, 16 kHz, mono (what the SDP's config= carries for this clip).
const asc = Uint8Array.of(0x14, 0x08);

// What each stage delivers, once (and a warm-up).
const count = (run: () => void): { frames: number; bytes: number } => {
  sink.frames = 0;
  sink.bytes = 0;
  run();
  return { frames: sink.frames, bytes: sink.bytes };
};
const psOut = count(() => psStage(psPackets));
const rtspOut = count(() => rtspStage(rtspInterleaved, asc));

const psTimes: number[] = [];
const rtspTimes: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  psTimes.push(cpuMicros(() => psStage(psPackets)) / psPackets.length);
  rtspTimes.push(cpuMicros(() => rtspStage(rtspInterleaved, asc)) / rtspInterleaved.length);
}
const ps = stats(psTimes);
const rt = stats(rtspTimes);
const seconds = CAMERA.seconds;
const fmt = (n: number, d = 2): string => n.toFixed(d);

const rows = [
  `| stage | packets in the clip | packets/s of one camera | frames out | µs CPU per packet, median (min) over ${ROUNDS} rounds | % of one core per camera at that rate |`,
  '|---|---|---|---|---|---|',
  `| PS over RTP: RemuxSession (what \`rtp_proxy.remux = worker\` moves) | ${psPackets.length} | ${fmt(psPackets.length / seconds, 1)} | ${psOut.frames} | ${fmt(ps.median)} (${fmt(ps.min)}) | ${fmt((ps.median * psPackets.length) / seconds / 1e4, 3)} |`,
  `| RTSP: H.264 + AAC depacketizers + track builders | ${rtspInterleaved.length} (video ${rtsp.video.length}, audio ${rtsp.audio.length}) | ${fmt(rtspInterleaved.length / seconds, 1)} | ${rtspOut.frames} | ${fmt(rt.median)} (${fmt(rt.min)}) | ${fmt((rt.median * rtspInterleaved.length) / seconds / 1e4, 3)} |`,
];
const table = rows.join('\n');
console.log(table);

if (!values['no-results']) {
  const cpu = cpus()[0]?.model ?? 'unknown';
  const date = execFileSync('date', ['-u']).toString().trim();
  const body = [
    HEADING,
    '',
    `- Command: \`pnpm run build && pnpm exec tsx benchmarks/remux-stage.ts --rounds ${ROUNDS}\``,
    `- Date: ${date} (\`date -u\`)`,
    `- Node: ${process.version}; CPU: ${cpu}, ${cpus().length} cores`,
    `- Clip: the RTP-ingest benchmark's camera (benchmarks/lib/ps-camera.ts: ${CAMERA.width}x${CAMERA.height} ${CAMERA.fps} fps H.264, CBR ${CAMERA.videoKbps} kb/s, GOP ${CAMERA.gop}, + AAC ${CAMERA.audioRate} Hz mono ${CAMERA.audioKbps} kb/s, ${seconds} s). PS over RTP as the GB28181 camera sends it; for RTSP the same elementary streams through GStreamer's payloaders (\`${rtsp.command}\`).`,
    '- Method: both stages get RTP packets parsed beforehand (header parse, SSRC filter and reorder buffer stay on the I/O thread in either design); one round pushes the whole clip through fresh instances; CPU = process.cpuUsage user + system (GC included), the two stages alternating per round.',
    '',
    table,
    '',
  ].join('\n');
  writeResultsSection(RESULTS, HEADING, body);
  console.log(`wrote the "${HEADING.slice(3)}" section of ${RESULTS}`);
}
