/**
 * First light: nginx-rtmp origin ← ffmpeg test pattern; Sluice pulls it with
 * addStreamProxy and serves fMP4 over HTTP and WebSocket; ffprobe checks it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/free-port.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';
import { publishTestPattern, waitForPublishing } from '../helpers/ffmpeg.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { httpViewer, wsViewer } from '../helpers/viewers.js';
import { countVideoFrames, probeStreams } from '../helpers/ffprobe.js';
import { stopAll } from '../helpers/child.js';
import { waitUntil, within } from '../helpers/wait.js';
import { metricValue, scrape } from '../helpers/metrics.js';

let nginx: NginxRtmp;
let relay: Relay;
const work = mkdtempSync(join(tmpdir(), 'sluice-first-light-'));

beforeAll(async () => {
  nginx = await startNginxRtmp();
  publishTestPattern({ url: nginx.rtmpUrl('live', 'src'), width: 640, height: 360, fps: 25, audioRate: 44100 });
  await waitForPublishing(nginx, 'live', 'src', 20_000);
  relay = await startRelay({ port: await freePort() });
});

afterAll(async () => {
  await relay?.stop();
  await stopAll();
  await nginx?.stop();
});

describe('RTMP pull to fMP4 viewers', () => {
  it('pulls, serves, and stops cleanly', async () => {
    const add = await relay.api('addStreamProxy', {
      vhost: '__defaultVhost__',
      app: 'live',
      stream: 'cam',
      url: nginx.rtmpUrl('live', 'src'),
    });
    expect(add).toEqual({ code: 0, data: { key: '__defaultVhost__/live/cam' } });
    expect(await nginx.subscribers('live', 'src')).toBe(1);

    expect(await relay.api('isMediaOnline', { app: 'live', stream: 'cam' })).toEqual({ code: 0, online: true });
    const list = await relay.api('getMediaList', {});
    expect(list.code).toBe(0);
    const entry = list.data.find((m: any) => m.stream === 'cam');
    expect(entry).toMatchObject({ app: 'live', vhost: '__defaultVhost__', schema: 'fmp4', originType: 4 });
    expect(entry.tracks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ codec_id_name: 'H264', width: 640, height: 360 }),
        expect.objectContaining({ codec_id_name: 'mpeg4-generic', sample_rate: 44100 }),
      ]),
    );
    const proxies = await relay.api('listStreamProxy', {});
    expect(proxies.data).toHaveLength(1);
    expect(proxies.data[0]).toMatchObject({ key: '__defaultVhost__/live/cam', state: 'playing' });

    // ffprobe reads the live stream directly.
    const url = `${relay.base}/live/cam.live.mp4`;
    const streams = await probeStreams(url);
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    expect(video).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(audio).toMatchObject({ codec_name: 'aac', sample_rate: '44100' });

    // Two HTTP viewers and one WebSocket viewer at once, for 5 s.
    const a = httpViewer(url);
    const b = httpViewer(url);
    const w = wsViewer(`ws://127.0.0.1:${relay.port}/live/cam.live.mp4`);
    await Promise.all([a.waitForBytes(1, 10_000), b.waitForBytes(1, 10_000), w.waitForBytes(1, 10_000)]);
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 5000)); // a recording window, not an assertion
    const elapsed = (Date.now() - started) / 1000;
    expect(a.statusCode).toBe(200);
    for (const v of [a, b, w]) expect(v.bytes).toBeGreaterThan(50_000);
    const viewers = (await relay.api('getMediaList', { stream: 'cam' })).data[0].readerCount;
    expect(viewers).toBe(3);
    // Prometheus counters move while the stream flows.
    const labels = { vhost: '__defaultVhost__', app: 'live', stream: 'cam' };
    const m1 = await scrape(relay.base, relay.secret);
    expect(metricValue(m1, 'sluice_stream_readers', labels)).toBe(3);
    expect(metricValue(m1, 'sluice_proxy_state', { ...labels, state: 'playing' })).toBe(1);
    await a.waitForBytes(a.bytes + 20_000, 5000);
    const m2 = await scrape(relay.base, relay.secret);
    expect(metricValue(m2, 'sluice_stream_bytes_in_total', labels)!).toBeGreaterThan(metricValue(m1, 'sluice_stream_bytes_in_total', labels)!);
    expect(metricValue(m2, 'sluice_stream_bytes_out_total', labels)!).toBeGreaterThan(metricValue(m1, 'sluice_stream_bytes_out_total', labels)!);

    // The recordings decode: about 5 s of 25 fps video (plus the cached GOP it started with).
    for (const [name, v] of [['http', a], ['ws', w]] as const) {
      const file = join(work, `${name}.mp4`);
      writeFileSync(file, v.data());
      const probe = await probeStreams(file);
      expect(probe.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
      const { frames, spanSec } = await countVideoFrames(file);
      expect(spanSec).toBeGreaterThan(elapsed - 1.5);
      expect(spanSec).toBeLessThan(elapsed + 2.5);
      expect(frames).toBeGreaterThan((elapsed - 1.5) * 25);
      expect(frames).toBeLessThan((elapsed + 2.5) * 25);
    }

    // Deleting the proxy ends all three viewers and the upstream connection.
    expect(await relay.api('delStreamProxy', { key: '__defaultVhost__/live/cam' })).toEqual({ code: 0, data: { flag: true } });
    await Promise.all([a.ended, b.ended, w.ended].map((p) => within(p, 5000, 'viewer to end')));
    await waitUntil('nginx to show no subscriber', async () => (await nginx.subscribers('live', 'src')) === 0, 10_000);
    expect(await relay.api('isMediaOnline', { app: 'live', stream: 'cam' })).toEqual({ code: 0, online: false });
    expect((await relay.api('listStreamProxy', {})).data).toEqual([]);
  }, 90_000);

  it('refuses a second proxy on a missing upstream stream without harming the first', async () => {
    await relay.api('addStreamProxy', { app: 'live', stream: 'keep', url: nginx.rtmpUrl('live', 'src') });
    const bad = await relay.api('addStreamProxy', {
      app: 'live',
      stream: 'missing',
      url: nginx.rtmpUrl('live', 'no-such-stream'),
      timeout_sec: 3,
    });
    expect(bad.code).toBe(-1);
    const viewer = httpViewer(`${relay.base}/live/keep.live.mp4`);
    await viewer.waitForBytes(100_000, 15_000);
    viewer.close();
    expect((await relay.api('close_streams', { app: 'live', stream: 'keep' }))).toEqual({ code: 0, count_hit: 1, count_closed: 1 });
  }, 60_000);

  it('plays an upstream whose AVC sequence header is empty (SPS/PPS in band only), and the relay stays up', async () => {
    // Before: the empty configuration record threw inside the RTMP client's socket handler and ended the process.
    const src = publishTestPattern({ url: nginx.rtmpUrl('live', 'inband'), width: 320, height: 240, emptySequenceHeader: true });
    await waitForPublishing(nginx, 'live', 'inband', 20_000);
    const add = await relay.api('addStreamProxy', { app: 'live', stream: 'inband', url: nginx.rtmpUrl('live', 'inband') });
    expect(add.code).toBe(0);
    const streams = await probeStreams(`${relay.base}/live/inband.live.mp4`);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 320, height: 240 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac' });
    expect((await relay.api('version', {})).code).toBe(0);
    expect((await relay.api('delStreamProxy', { key: '__defaultVhost__/live/inband' })).code).toBe(0);
    src.kill('SIGTERM');
  }, 60_000);

  it('SIGTERM shuts the relay down cleanly: proxies kept, exit code 0', async () => {
    const own = await startRelay({ port: await freePort() });
    expect((await own.api('addStreamProxy', { app: 'live', stream: 'kept', url: nginx.rtmpUrl('live', 'src') })).code).toBe(0);
    const exited = new Promise<number | null>((resolve) => own.process.once('exit', (code) => resolve(code)));
    own.process.kill('SIGTERM');
    expect(await within(exited, 10_000, 'relay to exit')).toBe(0);
    expect(own.logs.some((l) => l.includes('sluice stopped'))).toBe(true);
    const stored = JSON.parse(readFileSync(join(own.dataDir, 'proxies.json'), 'utf8'));
    expect(stored.proxies.map((p: { stream: string }) => p.stream)).toEqual(['kept']);
  }, 60_000);
});
