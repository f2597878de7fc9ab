/** Backup upstreams against two real nginx-rtmp origins. */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';
import { publishTestPattern, waitForPublishing } from '../helpers/ffmpeg.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { httpViewer } from '../helpers/viewers.js';
import { stop, stopAll } from '../helpers/child.js';
import { waitUntil } from '../helpers/wait.js';

const started: Array<{ stop(): Promise<void> }> = [];
afterAll(async () => {
  for (const s of started.reverse()) await s.stop();
  await stopAll();
});

describe('failover between upstreams', () => {
  it('switches to the backup when the primary dies and returns when it is back; the viewer never disconnects', async () => {
    const primary: NginxRtmp = await startNginxRtmp();
    const backup: NginxRtmp = await startNginxRtmp();
    started.push(primary, backup);
    let primaryPublisher = publishTestPattern({ url: primary.rtmpUrl('live', 'src') });
    publishTestPattern({ url: backup.rtmpUrl('live', 'src') });
    await waitForPublishing(primary, 'live', 'src', 20_000);
    await waitForPublishing(backup, 'live', 'src', 20_000);
    const relay: Relay = await startRelay({ port: await freePort() });
    started.push(relay);
    const mediaTimeoutMs = 2000;
    const retryMs = 1000;
    const add = await relay.api('addStreamProxy', {
      app: 'live',
      stream: 'ha',
      url: primary.rtmpUrl('live', 'src'),
      backup_url: backup.rtmpUrl('live', 'src'),
      media_timeout_ms: mediaTimeoutMs,
      retry_initial_ms: retryMs,
      retry_factor: 1,
      retry_max_ms: retryMs,
      retry_jitter: 0,
    });
    expect(add.code).toBe(0);
    const key = '__defaultVhost__/live/ha';
    const info = async (): Promise<any> => (await relay.api('getProxyInfo', { key })).data;
    expect(await info()).toMatchObject({ activeIndex: 0, state: 'playing' });

    const viewer = httpViewer(`${relay.base}/live/ha.live.mp4`);
    let disconnected = false;
    void viewer.ended.then(() => (disconnected = true));
    await viewer.waitForBytes(50_000, 10_000);

    // Kill the primary origin: its publisher and its subscriber (us) lose the connection.
    await stop(primaryPublisher);
    await primary.stop();
    const killedAt = Date.now();
    await waitUntil('failover to the backup', async () => {
      const p = await info();
      return p.activeIndex === 1 && p.state === 'playing';
    }, 15_000);
    // Video keeps coming from the backup within the media timeout plus one retry.
    const atFailover = viewer.bytes;
    await viewer.waitForBytes(atFailover + 30_000, mediaTimeoutMs + retryMs + 5000);
    expect(Date.now() - killedAt).toBeLessThan(mediaTimeoutMs + retryMs + 8000);
    expect(await backup.subscribers('live', 'src')).toBe(1);
    const failedOver = await info();
    expect(failedOver.upstreams[0]).toMatchObject({ active: false, healthy: false });
    expect(failedOver.upstreams[1]).toMatchObject({ active: true, healthy: true });

    // The primary comes back: the proxy returns to it.
    await primary.restart();
    primaryPublisher = publishTestPattern({ url: primary.rtmpUrl('live', 'src') });
    await waitForPublishing(primary, 'live', 'src', 20_000);
    await waitUntil('return to the primary', async () => {
      const p = await info();
      return p.activeIndex === 0 && p.state === 'playing';
    }, 20_000);
    await waitUntil('backup released', async () => (await backup.subscribers('live', 'src')) === 0, 10_000);
    const back = viewer.bytes;
    await viewer.waitForBytes(back + 30_000, 10_000);
    expect(disconnected).toBe(false);
    viewer.close();
  }, 120_000);
});
