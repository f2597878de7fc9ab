/**
 * GB28181-style RTP ingest against the relay as a child process: a camera in a
 * box (test/helpers/ps-rtp.ts, built from ffmpeg's elementary streams) pushes
 * MPEG-PS or MPEG-TS in RTP over UDP, TCP passive and TCP active; ffprobe reads
 * what the relay serves.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { httpViewer } from '../helpers/viewers.js';
import { countVideoFrames, probeStreams } from '../helpers/ffprobe.js';
import { buildPsRtpPackets, frame4571, sendUdp, type PsRtpStream } from '../helpers/ps-rtp.js';
import { buildTsRtpPackets } from '../helpers/ts-rtp.js';
import { hookEnv, startHookServer } from '../helpers/hook-server.js';
import { waitUntil } from '../helpers/wait.js';
import { stopAll } from '../helpers/child.js';

const work = mkdtempSync(join(tmpdir(), 'sluice-rtp-e2e-'));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await stopAll();
});

async function relayWith(env: Record<string, string> = {}): Promise<Relay> {
  // Each relay gets its own slice of ports so parallel test files never collide.
  const base = 36000 + ((process.pid * 7) % 200) * 50;
  const relay = await startRelay({
    port: await freePort(),
    env: { SLUICE_RTPPROXY_PORTRANGE: `${base}-${base + 49}`, ...env },
  });
  cleanups.push(() => relay.stop());
  return relay;
}

/** Writes RFC 4571 frames to a TCP socket at the camera's pace. */
async function sendTcpPaced(socket: Socket, stream: PsRtpStream | { packets: Uint8Array[]; sendTimesMs: number[] }): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < stream.packets.length; i++) {
    const wait = t0 + stream.sendTimesMs[i]! - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    if (!socket.write(frame4571(stream.packets[i]!))) await new Promise((r) => socket.once('drain', r));
  }
}

/** Opens a viewer as soon as the stream is online and records until `done` settles. */
async function recordWhile(relay: Relay, streamId: string, done: Promise<unknown>): Promise<Buffer> {
  await waitUntil('stream online', async () => (await relay.api('isMediaOnline', { app: 'rtp', stream: streamId })).online, 10_000, 50);
  const viewer = httpViewer(`${relay.base}/rtp/${streamId}.live.mp4`);
  await done;
  await viewer.waitForBytes(viewer.bytes + 1, 2000).catch(() => undefined);
  viewer.close();
  return viewer.data();
}

async function checkRecording(name: string, data: Buffer, expect_: { video: string; audio?: string; width: number; height: number; minFrames: number }): Promise<void> {
  const file = join(work, `${name}.mp4`);
  writeFileSync(file, data);
  const streams = await probeStreams(file);
  expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: expect_.video, width: expect_.width, height: expect_.height });
  if (expect_.audio) expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: expect_.audio });
  const { frames } = await countVideoFrames(file);
  expect(frames).toBeGreaterThanOrEqual(expect_.minFrames);
}

describe('RTP server ingest', () => {
  it('PS over UDP (H.264 + AAC): one truth from open to close, and ffprobe reads the stream', async () => {
    const relay = await relayWith();
    const camera = await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 4, width: 640, height: 360, ssrc: 0x1234 });
    const open = await relay.api('openRtpServer', { stream_id: 'udp1', port: 0, tcp_mode: 0 });
    expect(open.code).toBe(0);
    expect((await relay.api('getRtpInfo', { stream_id: 'udp1' })).state).toBe('waiting');
    const sending = sendUdp(camera.packets, camera.sendTimesMs, '127.0.0.1', open.port);
    const data = await recordWhile(relay, 'udp1', sending);
    const info = await relay.api('getRtpInfo', { stream_id: 'udp1' });
    expect(info).toMatchObject({ exist: true, state: 'receiving', local_port: open.port, peer_ip: '127.0.0.1', peer_transport: 'udp' });
    const media = (await relay.api('getMediaList', { app: 'rtp', stream: 'udp1' })).data[0];
    expect(media).toMatchObject({ originType: 3 });
    await checkRecording('ps-udp', data, { video: 'h264', audio: 'aac', width: 640, height: 360, minFrames: camera.frames.video - 30 });
    expect(await relay.api('closeRtpServer', { stream_id: 'udp1' })).toEqual({ code: 0, hit: 1 });
    expect((await relay.api('isMediaOnline', { app: 'rtp', stream: 'udp1' })).online).toBe(false);
    expect((await relay.api('listRtpServer')).data).toEqual([]);
  }, 60_000);

  it('PS over TCP passive (H.265 + G.711A)', async () => {
    const relay = await relayWith();
    const camera = await buildPsRtpPackets({ video: 'h265', audio: 'pcma', seconds: 3, width: 320, height: 240 });
    const open = await relay.api('openRtpServer', { stream_id: 'tcp1', port: 0, tcp_mode: 1 });
    expect(open.code).toBe(0);
    const socket = connect(open.port, '127.0.0.1');
    cleanups.push(() => socket.destroy());
    await new Promise((r) => socket.once('connect', r));
    const data = await recordWhile(relay, 'tcp1', sendTcpPaced(socket, camera));
    expect((await relay.api('getRtpInfo', { stream_id: 'tcp1' })).peer_transport).toBe('tcp');
    await checkRecording('ps-tcp-passive', data, { video: 'hevc', audio: 'pcm_alaw', width: 320, height: 240, minFrames: camera.frames.video - 30 });
  }, 60_000);

  it('PS over TCP active: connectRtpServer dials the camera', async () => {
    const relay = await relayWith();
    const camera = await buildPsRtpPackets({ video: 'h264', seconds: 3, width: 320, height: 240 });
    let finished!: () => void;
    const sent = new Promise<void>((r) => (finished = r));
    const cam = createServer((socket) => {
      socket.on('error', () => undefined);
      void sendTcpPaced(socket, camera).then(finished);
    });
    await new Promise<void>((r) => cam.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => cam.close(() => r())));
    const camPort = (cam.address() as { port: number }).port;
    const open = await relay.api('openRtpServer', { stream_id: 'active1', port: 0, tcp_mode: 2 });
    expect(open.code).toBe(0);
    expect(await relay.api('connectRtpServer', { stream_id: 'active1', dst_url: '127.0.0.1', dst_port: camPort })).toEqual({ code: 0 });
    const data = await recordWhile(relay, 'active1', sent);
    expect((await relay.api('getRtpInfo', { stream_id: 'active1' })).peer_port).toBe(camPort);
    await checkRecording('ps-tcp-active', data, { video: 'h264', width: 320, height: 240, minFrames: camera.frames.video - 30 });
  }, 60_000);

  it('TS in RTP over UDP', async () => {
    const relay = await relayWith();
    const camera = await buildTsRtpPackets({ video: 'h264', audio: 'aac', seconds: 3, width: 320, height: 240 });
    const open = await relay.api('openRtpServer', { stream_id: 'ts1', port: 0 });
    const data = await recordWhile(relay, 'ts1', sendUdp(camera.packets, camera.sendTimesMs, '127.0.0.1', open.port));
    await checkRecording('ts-udp', data, { video: 'h264', audio: 'aac', width: 320, height: 240, minFrames: camera.frames.video - 30 });
  }, 60_000);

  it('sends on_publish at the first packet, and reclaims a silent server with on_rtp_server_timeout', async () => {
    const hooks = await startHookServer();
    cleanups.push(() => hooks.close());
    const relay = await relayWith({
      ...hookEnv(hooks, ['on_publish', 'on_rtp_server_timeout']),
      SLUICE_RTPPROXY_OPENTIMEOUTSEC: '1',
      SLUICE_RTPPROXY_TIMEOUTSEC: '1',
    });
    // Never receives anything: closed after openTimeoutSec, port returned.
    const idle = await relay.api('openRtpServer', { stream_id: 'silent', port: 0 });
    const timeout = await hooks.waitFor('on_rtp_server_timeout', (h) => h.body.stream_id === 'silent', 5000);
    expect(timeout.body).toMatchObject({ local_port: idle.port, stream_id: 'silent', tcp_mode: 0 });
    expect(await relay.api('getRtpInfo', { stream_id: 'silent' })).toEqual({ code: 0, exist: false });
    // The same port can be opened again explicitly: it really was released.
    expect((await relay.api('openRtpServer', { stream_id: 'again', port: idle.port })).port).toBe(idle.port);
    await relay.api('closeRtpServer', { stream_id: 'again' });

    // Receives, then stops: on_publish first, on_rtp_server_timeout after timeoutSec.
    const camera = await buildPsRtpPackets({ video: 'h264', seconds: 1, width: 320, height: 240 });
    const open = await relay.api('openRtpServer', { stream_id: 'brief', port: 0 });
    await sendUdp(camera.packets, camera.sendTimesMs, '127.0.0.1', open.port, { speed: 4 });
    const publish = await hooks.waitFor('on_publish', (h) => h.body.stream === 'brief', 5000);
    expect(publish.body).toMatchObject({ app: 'rtp', stream: 'brief', schema: 'rtp', ip: '127.0.0.1' });
    await hooks.waitFor('on_rtp_server_timeout', (h) => h.body.stream_id === 'brief', 5000);
    expect((await relay.api('listRtpServer')).data).toEqual([]);
  }, 60_000);
});
