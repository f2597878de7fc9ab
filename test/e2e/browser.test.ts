/**
 * Real browser playback: Debian's Chromium, driven headless by playwright-core,
 * plays the relay's player page (WS-fMP4 through MSE, HLS and LL-HLS through
 * hls.js) for an RTMP-proxied stream from nginx-rtmp.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../helpers/free-port.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';
import { publishTestPattern, waitForPublishing } from '../helpers/ffmpeg.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { stopAll } from '../helpers/child.js';

let nginx: NginxRtmp;
let relay: Relay;
let browser: Browser;

beforeAll(async () => {
  nginx = await startNginxRtmp();
  publishTestPattern({ url: nginx.rtmpUrl('live', 'src'), width: 640, height: 360, fps: 25 });
  await waitForPublishing(nginx, 'live', 'src', 20_000);
  relay = await startRelay({ port: await freePort(), env: { SLUICE_HLS_SEGDUR: '1' } });
  const add = await relay.api('addStreamProxy', { app: 'live', stream: 'cam', url: nginx.rtmpUrl('live', 'src') });
  expect(add.code).toBe(0);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
  await stopAll();
  await nginx?.stop();
});

async function openPlayer(mode: 'ws' | 'hls' | 'llhls'): Promise<Page> {
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${relay.base}/player.html?app=live&stream=cam&mode=${mode}`);
  (page as Page & { pageErrors?: string[] }).pageErrors = pageErrors;
  return page;
}

async function playsPastFiveSeconds(page: Page): Promise<void> {
  // currentTime counts from where playback started (the stream's own timestamps), so measure the advance.
  const start = await page.waitForFunction(() => {
    const v = document.querySelector('video')!;
    return v.currentTime > 0 && !v.paused ? v.currentTime : false;
  }, undefined, { timeout: 20_000 });
  const t0 = (await start.jsonValue()) as number;
  await page.waitForFunction((from) => document.querySelector('video')!.currentTime > from + 5, t0, { timeout: 20_000 });
  const state = await page.evaluate(() => {
    const v = document.querySelector('video')!;
    const p = (window as any).sluicePlayer;
    return { width: v.videoWidth, height: v.videoHeight, errors: p.errors as string[], videoError: v.error?.message ?? null };
  });
  expect(state).toEqual({ width: 640, height: 360, errors: [], videoError: null });
  expect((page as Page & { pageErrors?: string[] }).pageErrors).toEqual([]);
}

describe('Chromium plays the relay', () => {
  it('WebSocket fMP4 through MSE', async () => {
    const page = await openPlayer('ws');
    await playsPastFiveSeconds(page);
    expect(await page.evaluate(() => (window as any).sluicePlayer.codecs)).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    await page.close();
  }, 60_000);

  it('HLS through hls.js', async () => {
    const page = await openPlayer('hls');
    await playsPastFiveSeconds(page);
    await page.close();
  }, 60_000);

  it('Low-Latency HLS through hls.js holds the server\'s 1.5 s part hold-back, under 3 s behind the live edge', async () => {
    const page = await openPlayer('llhls');
    await playsPastFiveSeconds(page);
    const hls = (): Promise<{ lowLatencyMode: boolean; partHoldBack: number; target: number; latency: number }> =>
      page.evaluate(() => {
        const h = (window as any).sluicePlayer.hls;
        return { lowLatencyMode: h.lowLatencyMode, partHoldBack: h.levels[h.currentLevel].details.partHoldBack, target: h.targetLatency, latency: h.latency };
      });
    const first = await hls();
    expect(first.lowLatencyMode).toBe(true);
    expect(first.partHoldBack).toBe(1.5); // 3 x the 0.5 s part target, from #EXT-X-SERVER-CONTROL
    // hls.js's own distance to the live edge, sampled for a few seconds. It aims at PART-HOLD-BACK and adds 1 s
    // per stall (liveSyncOnStallIncrease), which a loaded machine can cause at start: so the player must sit at
    // its target, and the target at most one stall above the hold-back (plain HLS would be ~6 s behind).
    const samples: Array<{ target: number; latency: number }> = [];
    for (let i = 0; i < 6; i++) {
      samples.push(await hls());
      await page.waitForTimeout(500);
    }
    const seen = samples.map((x) => `${x.latency.toFixed(2)}/${x.target.toFixed(2)}`).join(', ');
    const latencies = samples.map((x) => x.latency).sort((a, b) => a - b);
    const target = samples[samples.length - 1]!.target;
    expect(target, `latency/target ${seen}`).toBeLessThanOrEqual(2.5);
    expect(latencies[Math.floor(latencies.length / 2)], `latency/target ${seen}`).toBeLessThan(target + 0.5);
    expect(latencies[latencies.length - 1], `latency/target ${seen}`).toBeLessThan(3);
    await page.close();
  }, 60_000);
});
