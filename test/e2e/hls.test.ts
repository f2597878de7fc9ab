/** HLS from the relay, read by ffprobe; bad requests; HLS viewers keep an on-demand pull alive. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from 'node:net';
import { freePort } from '../helpers/free-port.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';
import { publishTestPattern, waitForPublishing } from '../helpers/ffmpeg.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { probeStreams } from '../helpers/ffprobe.js';
import { httpViewer } from '../helpers/viewers.js';
import { spawnTracked, stop, stopAll } from '../helpers/child.js';
import { waitUntil } from '../helpers/wait.js';
import { metricValue, scrape } from '../helpers/metrics.js';

let nginx: NginxRtmp;
let relay: Relay;

beforeAll(async () => {
  nginx = await startNginxRtmp();
  publishTestPattern({ url: nginx.rtmpUrl('live', 'src'), width: 640, height: 360 });
  await waitForPublishing(nginx, 'live', 'src', 20_000);
  relay = await startRelay({
    port: await freePort(),
    env: {
      SLUICE_HLS_SEGDUR: '1',
      SLUICE_HLS_SESSIONIDLEMS: '3000',
      SLUICE_GENERAL_STREAMNONEREADERDELAYMS: '1000',
      // A small per-viewer bound so the stalled client below reaches it within seconds.
      SLUICE_PROXY_MAXPENDINGBYTES: '524288',
    },
  });
  expect((await relay.api('addStreamProxy', { app: 'live', stream: 'cam', url: nginx.rtmpUrl('live', 'src') })).code).toBe(0);
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await stopAll();
  await nginx?.stop();
});

async function mediaPlaylistUrl(app: string, stream: string): Promise<string> {
  const res = await fetch(`${relay.base}/${app}/${stream}/hls.m3u8`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
  const text = await res.text();
  expect(text).toMatch(/CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"/);
  const media = text.split('\n').find((l) => l.endsWith('index.m3u8'))!;
  return `${relay.base}/${app}/${stream}/${media}`;
}

describe('HLS output', () => {
  it('ffprobe reads the playlist and an fMP4 segment', async () => {
    const streams = await probeStreams(`${relay.base}/live/cam/hls.m3u8`);
    expect(streams.find((s) => s.codec_type === 'video')).toMatchObject({ codec_name: 'h264', width: 640, height: 360 });
    expect(streams.find((s) => s.codec_type === 'audio')).toMatchObject({ codec_name: 'aac', sample_rate: '44100' });
    const media = await mediaPlaylistUrl('live', 'cam');
    const playlist = await (await fetch(media)).text();
    const segment = playlist.split('\n').find((l) => /^seg-\d+\.m4s$/.test(l))!;
    const base = media.slice(0, media.lastIndexOf('/') + 1);
    const init = Buffer.from(await (await fetch(base + 'init.mp4')).arrayBuffer());
    const segRes = await fetch(base + segment);
    expect(segRes.headers.get('content-type')).toBe('video/mp4');
    const seg = Buffer.from(await segRes.arrayBuffer());
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-hls-')), 'seg.mp4');
    writeFileSync(file, Buffer.concat([init, seg]));
    const segStreams = await probeStreams(file, ['-count_frames']);
    expect(Number(segStreams.find((s) => s.codec_type === 'video')!.nb_read_frames)).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('answers malformed or too-far-ahead blocking reloads with 400, and unknown streams with a quick 404', async () => {
    const media = await mediaPlaylistUrl('live', 'cam');
    expect((await fetch(`${media}?_HLS_msn=abc`)).status).toBe(400);
    expect((await fetch(`${media}?_HLS_part=1`)).status).toBe(400);
    expect((await fetch(`${media}?_HLS_msn=999999`)).status).toBe(400);
    const started = Date.now();
    expect((await fetch(`${relay.base}/live/nope/hls.m3u8`)).status).toBe(404);
    expect(Date.now() - started).toBeLessThan(1000);
  }, 30_000);

  it('a blocking reload answers once the asked-for part exists', async () => {
    const media = await mediaPlaylistUrl('live', 'cam');
    const playlist = await (await fetch(media)).text();
    const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-(\d+)\.(\d+)\.m4s"/.exec(playlist)!;
    const [msn, part] = [Number(hint[1]), Number(hint[2])];
    const blocked = await (await fetch(`${media}?_HLS_msn=${msn}&_HLS_part=${part}`)).text();
    expect(blocked).toContain(`part-${msn}.${part}.m4s`);
  }, 30_000);

  it('an HLS player keeps an on-demand pull up while it requests, and it closes after it stops', async () => {
    expect((await relay.api('addStreamProxy', { app: 'live', stream: 'od', url: nginx.rtmpUrl('live', 'src'), on_demand: 1 })).code).toBe(0);
    const media = await mediaPlaylistUrl('live', 'od');
    for (let i = 0; i < 6; i++) {
      expect((await fetch(media)).status).toBe(200);
      const info = (await relay.api('getProxyInfo', { key: '__defaultVhost__/live/od' })).data;
      expect(info.state).toBe('playing');
      expect(info.readerCount).toBeGreaterThanOrEqual(1);
      await new Promise((r) => setTimeout(r, 500)); // a player's reload pace
    }
    await waitUntil('on-demand pull to go idle', async () => (await relay.api('getProxyInfo', { key: '__defaultVhost__/live/od' })).data.state === 'idle', 10_000);
  }, 60_000);
});

describe('slow viewers', () => {
  it('a client that never reads is skipped to keyframes; other viewers keep the full rate', async () => {
    // 8 Mbit/s constant bit rate (x264 filler data), so the stalled client's kernel buffers
    // (several MB on loopback) fill within seconds and the relay's own bound is reached.
    const fat = spawnTracked('/usr/bin/ffmpeg', [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-re',
      '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '25', '-pix_fmt', 'yuv420p',
      '-b:v', '8M', '-minrate', '8M', '-maxrate', '8M', '-bufsize', '2M', '-x264-params', 'nal-hrd=cbr',
      '-f', 'flv', nginx.rtmpUrl('live', 'fat'),
    ], { name: 'ffmpeg-cbr' });
    await waitForPublishing(nginx, 'live', 'fat', 20_000);
    expect((await relay.api('addStreamProxy', { app: 'live', stream: 'fat', url: nginx.rtmpUrl('live', 'fat') })).code).toBe(0);
    const stalled = createConnection({ host: '127.0.0.1', port: relay.port });
    stalled.pause(); // never read: the relay's socket buffer fills
    stalled.write('GET /live/fat.live.mp4 HTTP/1.1\r\nHost: x\r\n\r\n');
    const healthy = httpViewer(`${relay.base}/live/fat.live.mp4`);
    await healthy.waitForBytes(1, 10_000);
    const t0 = Date.now();
    const b0 = healthy.bytes;
    await healthy.waitForBytes(b0 + 5_000_000, 20_000); // ~5 s at 8 Mbit/s
    const rate = ((healthy.bytes - b0) * 8) / ((Date.now() - t0) / 1000);
    expect(rate).toBeGreaterThan(6_000_000);
    const media = (await relay.api('getMediaList', { stream: 'fat' })).data[0];
    expect(media.readerCount).toBeGreaterThanOrEqual(2);
    // The stalled one is skipped ahead (counted), not buffered without bound.
    const labels = { vhost: '__defaultVhost__', app: 'live', stream: 'fat' };
    await waitUntil(
      'fragments skipped for the stalled viewer',
      async () => (metricValue(await scrape(relay.base, relay.secret), 'sluice_stream_viewer_skipped_fragments_total', labels) ?? 0) > 0,
      15_000,
    );
    healthy.close();
    stalled.destroy();
    await stop(fat);
  }, 60_000);
});
