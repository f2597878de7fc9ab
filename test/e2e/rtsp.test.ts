/**
 * RTSP pull against GStreamer's gst-rtsp-server (through python3-gi): TCP and
 * UDP transports, H.264 + AAC and H.265, authentication, reconnect, and the
 * port pool staying whole.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/free-port.js';
import { startGstRtspServer, type GstRtspServer } from '../helpers/gst-rtsp-server.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { httpViewer } from '../helpers/viewers.js';
import { probeStreams } from '../helpers/ffprobe.js';
import { metricValue, scrape } from '../helpers/metrics.js';
import { stopAll } from '../helpers/child.js';
import { waitUntil } from '../helpers/wait.js';

const run = promisify(execFile);
const work = mkdtempSync(join(tmpdir(), 'sluice-rtsp-e2e-'));
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await stopAll();
});

async function gst(options: Parameters<typeof startGstRtspServer>[0] = {}): Promise<GstRtspServer> {
  const server = await startGstRtspServer(options);
  cleanups.push(() => server.stop());
  return server;
}

async function relayWith(env: Record<string, string> = {}): Promise<Relay> {
  const base = 40000 + ((process.pid * 11) % 200) * 50;
  const relay = await startRelay({ port: await freePort(), env: { SLUICE_RTPPROXY_PORTRANGE: `${base}-${base + 49}`, ...env } });
  cleanups.push(() => relay.stop());
  return relay;
}

/** First and last packet times (s) of each stream in a recording. */
async function packetSpans(file: string): Promise<{ video: [number, number]; audio?: [number, number] }> {
  const spans: Record<string, [number, number]> = {};
  for (const kind of ['v', 'a'] as const) {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-select_streams', `${kind}:0`, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file]);
    const t = stdout.split('\n').map(Number).filter((n) => Number.isFinite(n) && n > 0);
    if (t.length) spans[kind] = [Math.min(...t), Math.max(...t)];
  }
  return { video: spans.v!, audio: spans.a };
}

describe('RTSP pull', () => {
  it.each([
    ['tcp', 0],
    ['udp', 1],
  ] as const)('H.264 + AAC over %s: right codecs and size, audio and video in sync over 10 s', async (name, rtpType) => {
    const server = await gst();
    const relay = await relayWith();
    const add = await relay.api('addStreamProxy', { app: 'cam', stream: name, url: server.url('/h264'), rtp_type: rtpType });
    expect(add.code).toBe(0);
    const viewer = httpViewer(`${relay.base}/cam/${name}.live.mp4`);
    cleanups.push(() => viewer.close());
    await viewer.waitForBytes(1, 10_000);
    const b0 = viewer.bytes;
    await viewer.waitForBytes(b0 + 450_000, 20_000); // ~10 s at gst's 400 kbit/s video + audio
    viewer.close();
    const file = join(work, `h264-${name}.mp4`);
    writeFileSync(file, viewer.data());
    const streams = await probeStreams(file);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', sample_rate: '44100' });
    const spans = await packetSpans(file);
    expect(spans.video[1] - spans.video[0]).toBeGreaterThan(8);
    // Both tracks come from one pipeline clock: they start and end together within 100 ms.
    expect(Math.abs(spans.audio![0] - spans.video[0])).toBeLessThan(0.1);
    expect(Math.abs(spans.audio![1] - spans.video[1])).toBeLessThan(0.1);
    const info = (await relay.api('getProxyInfo', { key: `__defaultVhost__/cam/${name}` })).data;
    expect(info.state).toBe('playing');
  }, 60_000);

  it('H.265 over TCP', async () => {
    const server = await gst();
    const relay = await relayWith();
    expect((await relay.api('addStreamProxy', { app: 'cam', stream: 'hevc', url: server.url('/h265') })).code).toBe(0);
    const streams = await probeStreams(`${relay.base}/cam/hevc.live.mp4`);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'hevc', width: 320, height: 240 });
  }, 60_000);

  it.each(['digest', 'basic'] as const)('%s authentication, from the URL and from rtsp_user/rtsp_pwd', async (auth) => {
    const server = await gst({ auth, user: 'admin', password: 's3cret' });
    const relay = await relayWith();
    const inUrl = await relay.api('addStreamProxy', { app: 'auth', stream: 'url', url: server.url('/h264-video', { user: 'admin', password: 's3cret' }) });
    expect(inUrl.code).toBe(0);
    const inArgs = await relay.api('addStreamProxy', { app: 'auth', stream: 'args', url: server.url('/h264-video'), rtsp_user: 'admin', rtsp_pwd: 's3cret' });
    expect(inArgs.code).toBe(0);
    const listed = (await relay.api('getProxyInfo', { key: '__defaultVhost__/auth/url' })).data;
    expect(listed.url).toContain('admin:***@');
  }, 60_000);

  it('a wrong password gives a failed state with the 401 reason, and no request loop', async () => {
    const server = await gst({ auth: 'digest', user: 'admin', password: 's3cret' });
    const relay = await relayWith();
    const add = await relay.api('addStreamProxy', {
      app: 'auth',
      stream: 'wrong',
      url: server.url('/h264-video', { user: 'admin', password: 'nope' }),
      force: 1, // keep the proxy after the failed first attempt, to look at it
    });
    const context = `server:\n${server.log()}\nrelay:\n${relay.logs.slice(-30).join('\n')}`;
    expect(add.code, context).toBe(-1);
    expect(add.msg, context).toMatch(/401|Unauthorized/i);
    const info = (await relay.api('getProxyInfo', { key: '__defaultVhost__/auth/wrong' })).data;
    expect(info.state).toBe('failed');
    expect(info.lastError).toMatch(/401|Unauthorized/i);
    const seen = server.responses().length;
    await new Promise((r) => setTimeout(r, 2500)); // longer than the first retry delay would be
    expect(server.responses().length).toBe(seen);
  }, 60_000);

  it('recovers by itself when the camera restarts', async () => {
    const server = await gst();
    const relay = await relayWith();
    const add = await relay.api('addStreamProxy', {
      app: 'cam',
      stream: 'restart',
      url: server.url('/h264-video'),
      retry_initial_ms: 500,
      retry_max_ms: 1000,
      media_timeout_ms: 2000,
    });
    expect(add.code).toBe(0);
    const key = '__defaultVhost__/cam/restart';
    const viewer = httpViewer(`${relay.base}/cam/restart.live.mp4`);
    cleanups.push(() => viewer.close());
    await viewer.waitForBytes(20_000, 10_000);
    await server.kill();
    await waitUntil('the proxy to notice', async () => (await relay.api('getProxyInfo', { key })).data.state !== 'playing', 10_000);
    await server.restart();
    await waitUntil('the proxy to play again', async () => (await relay.api('getProxyInfo', { key })).data.state === 'playing', 30_000);
    expect((await relay.api('getProxyInfo', { key })).data.rePullCount).toBeGreaterThanOrEqual(1);
    const b = viewer.bytes;
    await viewer.waitForBytes(b + 20_000, 10_000); // the same viewer keeps receiving
  }, 90_000);

  it('UDP pulls give their port pairs back: 30 add/delete cycles leave the pool whole', async () => {
    const server = await gst({ shared: true });
    const relay = await relayWith();
    for (let i = 0; i < 30; i++) {
      const add = await relay.api('addStreamProxy', { app: 'pool', stream: 'p', url: server.url('/h264'), rtp_type: 1, timeout_sec: 10 });
      // gst's shared mount may answer 503 while the previous session shuts down: that path must release ports too.
      expect([0, -1]).toContain(add.code);
      if (add.code === 0) {
        const inUse = metricValue(await scrape(relay.base, relay.secret), 'sluice_port_pool_in_use');
        expect(inUse).toBe(2); // one pair per track: video and audio
      }
      await relay.api('delStreamProxy', { key: '__defaultVhost__/pool/p' });
    }
    expect(metricValue(await scrape(relay.base, relay.secret), 'sluice_port_pool_in_use')).toBe(0);
  }, 180_000);
});
