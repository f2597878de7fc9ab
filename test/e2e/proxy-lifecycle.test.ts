/**
 * The proxy lifecycle against real peers: nginx-rtmp origins, ffmpeg publishers,
 * the relay as a child process, a hook receiver.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countVideoFrames } from '../helpers/ffprobe.js';
import { freePort } from '../helpers/free-port.js';
import { startNginxRtmp, type NginxRtmp } from '../helpers/nginx-rtmp.js';
import { publishTestPattern, waitForPublishing } from '../helpers/ffmpeg.js';
import { startRelay, type Relay } from '../helpers/relay.js';
import { httpViewer, type RecordingViewer } from '../helpers/viewers.js';
import { hookEnv, startHookServer, type HookServer } from '../helpers/hook-server.js';
import { stop, stopAll } from '../helpers/child.js';
import { waitUntil, within } from '../helpers/wait.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await stopAll();
});

async function origin(): Promise<NginxRtmp> {
  const nginx = await startNginxRtmp();
  cleanups.push(() => nginx.stop());
  return nginx;
}

async function relayWith(env: Record<string, string> = {}, dataDir?: string): Promise<Relay> {
  const relay = await startRelay({ port: await freePort(), env, dataDir });
  cleanups.push(() => relay.stop());
  return relay;
}

const FAST_RETRY = { retry_initial_ms: 300, retry_factor: 1, retry_max_ms: 300, retry_jitter: 0 };

async function proxyState(relay: Relay, key: string): Promise<any> {
  const r = await relay.api('getProxyInfo', { key });
  return r.data;
}

describe('reconnect', () => {
  it('recovers from an origin restart by itself; the viewer stays connected and keeps decoding', async () => {
    const nginx = await origin();
    let publisher = publishTestPattern({ url: nginx.rtmpUrl('live', 'src') });
    await waitForPublishing(nginx, 'live', 'src', 20_000);
    const relay = await relayWith();
    const add = await relay.api('addStreamProxy', { app: 'live', stream: 'cam', url: nginx.rtmpUrl('live', 'src'), ...FAST_RETRY });
    expect(add.code).toBe(0);
    const key = add.data.key;
    const viewer = httpViewer(`${relay.base}/live/cam.live.mp4`);
    cleanups.push(() => viewer.close());
    let viewerEnded = false;
    void viewer.ended.then(() => (viewerEnded = true));
    await viewer.waitForBytes(50_000, 10_000);

    await stop(publisher);
    await nginx.stop();
    await waitUntil('proxy to retry', async () => ['retrying', 'connecting'].includes((await proxyState(relay, key)).state), 15_000);
    const during = await proxyState(relay, key);
    expect(during.lastError).toBeTruthy();

    await nginx.restart();
    publisher = publishTestPattern({ url: nginx.rtmpUrl('live', 'src') });
    await waitForPublishing(nginx, 'live', 'src', 20_000);
    await waitUntil('proxy to play again', async () => (await proxyState(relay, key)).state === 'playing', 20_000);
    const after = await proxyState(relay, key);
    expect(after.rePullCount).toBeGreaterThanOrEqual(1);

    const bytesAtRecovery = viewer.bytes;
    // About 3.5 s of the 800 kbit/s pattern after the recovery (the encoder's first GOP after a restart runs
    // above its average rate, so fewer bytes would leave the frame count below at its edge on a loaded machine).
    await viewer.waitForBytes(bytesAtRecovery + 350_000, 15_000);
    // The viewer never disconnected, and what it got decodes as one stream.
    expect(viewerEnded).toBe(false);
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-reconnect-')), 'viewer.mp4');
    writeFileSync(file, viewer.data());
    const { frames, spanSec } = await countVideoFrames(file);
    // Before the outage ~0.5 s, after it ~3.5 s, on one continuous timeline (25 fps).
    expect(frames).toBeGreaterThan(60);
    expect(spanSec).toBeGreaterThan(2.4);
    expect(spanSec).toBeLessThan(frames / 25 + 0.5);
    await stop(publisher);
  }, 120_000);
});

describe('unreachable upstream', () => {
  async function countingListener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
    let connections = 0;
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => {
      connections++;
      sockets.push(s);
      s.on('error', () => undefined);
      s.end('this is not RTMP\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return {
      port: (server.address() as { port: number }).port,
      connections: () => connections,
      close: async () => {
        for (const s of sockets) s.destroy();
        await new Promise<void>((r) => server.close(() => r()));
      },
    };
  }

  it.each(['close_streams', 'delStreamProxy'])('shows retrying with the error; %s stops it for good', async (how) => {
    const listener = await countingListener();
    cleanups.push(() => listener.close());
    const relay = await relayWith();
    const add = await relay.api('addStreamProxy', {
      app: 'live',
      stream: 'dead',
      url: `rtmp://127.0.0.1:${listener.port}/live/x`,
      force: 1, // keep the proxy after a failed first attempt
      timeout_sec: 2,
      ...FAST_RETRY,
    });
    expect(add.code).toBe(-1);
    const key = '__defaultVhost__/live/dead';
    await waitUntil('a few attempts', () => listener.connections() >= 3, 10_000);
    const info = await waitUntil('retrying state', async () => {
      const p = await proxyState(relay, key);
      return p.state === 'retrying' ? p : undefined;
    }, 5000, 20);
    expect(info.lastError).toMatch(/handshake|closed|RTMP/i);
    expect(Date.parse(info.nextRetryAt)).toBeGreaterThan(Date.now() - 1000);
    expect(info.consecutiveFailures).toBeGreaterThanOrEqual(1);

    if (how === 'close_streams') {
      expect(await relay.api('close_streams', { app: 'live', stream: 'dead' })).toEqual({ code: 0, count_hit: 1, count_closed: 1 });
    } else {
      expect(await relay.api('delStreamProxy', { key })).toEqual({ code: 0, data: { flag: true } });
    }
    const count = listener.connections();
    // Three times the retry delay: any attempt that was still scheduled would have shown up.
    await new Promise((r) => setTimeout(r, 1000));
    expect(listener.connections()).toBe(count);
    expect((await relay.api('listStreamProxy')).data).toEqual([]);
  }, 60_000);
});

describe('on-demand', () => {
  it('pulls only while someone watches, and starts again for the next viewer', async () => {
    const nginx = await origin();
    const publisher = publishTestPattern({ url: nginx.rtmpUrl('live', 'src') });
    cleanups.push(() => stop(publisher));
    await waitForPublishing(nginx, 'live', 'src', 20_000);
    const relay = await relayWith({ SLUICE_GENERAL_STREAMNONEREADERDELAYMS: '1500' });
    const add = await relay.api('addStreamProxy', { app: 'live', stream: 'od', url: nginx.rtmpUrl('live', 'src'), on_demand: 1 });
    expect(add).toEqual({ code: 0, data: { key: '__defaultVhost__/live/od' } });
    expect(await nginx.subscribers('live', 'src')).toBe(0);
    expect((await proxyState(relay, add.data.key)).state).toBe('idle');

    for (let round = 0; round < 2; round++) {
      const viewer = httpViewer(`${relay.base}/live/od.live.mp4`);
      await viewer.waitForBytes(50_000, 15_000);
      expect(viewer.statusCode).toBe(200);
      expect(await nginx.subscribers('live', 'src')).toBe(1);
      viewer.close();
      await waitUntil('origin to lose its subscriber', async () => (await nginx.subscribers('live', 'src')) === 0, 10_000);
      expect((await proxyState(relay, add.data.key)).state).toBe('idle');
    }
  }, 90_000);

  it('a failing on-demand start answers the viewer 503 with the reason instead of hanging', async () => {
    const relay = await relayWith();
    const port = await freePort();
    await relay.api('addStreamProxy', { app: 'live', stream: 'gone', url: `rtmp://127.0.0.1:${port}/live/x`, on_demand: 1 });
    const started = Date.now();
    const res = await fetch(`${relay.base}/live/gone.live.mp4`);
    expect(res.status).toBe(503);
    expect(await res.text()).toMatch(/ECONNREFUSED/);
    expect(Date.now() - started).toBeLessThan(5000);
  }, 30_000);
});

describe('persistence', () => {
  it('restores every proxy after kill -9, always-on ones playing without any API call', async () => {
    const nginx = await origin();
    const publisher = publishTestPattern({ url: nginx.rtmpUrl('live', 'src') });
    cleanups.push(() => stop(publisher));
    await waitForPublishing(nginx, 'live', 'src', 20_000);
    const port = await freePort();
    const first = await startRelay({ port });
    const url = nginx.rtmpUrl('live', 'src');
    expect((await first.api('addStreamProxy', { app: 'live', stream: 'p1', url })).code).toBe(0);
    expect((await first.api('addStreamProxy', { app: 'live', stream: 'p2', url })).code).toBe(0);
    expect((await first.api('addStreamProxy', { app: 'live', stream: 'p3', url, on_demand: 1 })).code).toBe(0);
    await first.kill('SIGKILL');

    const second = await startRelay({ port, dataDir: first.dataDir });
    cleanups.push(() => second.stop());
    const list = (await second.api('listStreamProxy')).data as any[];
    expect(list.map((p) => p.stream).sort()).toEqual(['p1', 'p2', 'p3']);
    expect(list.find((p) => p.stream === 'p3').state).toBe('idle');
    await waitUntil('always-on proxies to play', async () => {
      const l = (await second.api('listStreamProxy')).data as any[];
      return l.filter((p) => p.state === 'playing').length === 2;
    }, 20_000);
    expect((await second.api('isMediaOnline', { app: 'live', stream: 'p1' })).online).toBe(true);
  }, 90_000);
});

describe('idempotent add through the API', () => {
  it('same add twice and ten concurrent ones leave one proxy; another URL is refused; force replaces', async () => {
    const relay = await relayWith();
    const url = 'rtmp://127.0.0.1:9/live/x';
    const args = { app: 'live', stream: 'idem', url, on_demand: 1 };
    expect(await relay.api('addStreamProxy', args)).toEqual({ code: 0, data: { key: '__defaultVhost__/live/idem' } });
    expect(await relay.api('addStreamProxy', args)).toEqual({ code: 0, data: { key: '__defaultVhost__/live/idem' } });
    const many = await Promise.all(Array.from({ length: 10 }, () => relay.api('addStreamProxy', { ...args, stream: 'many' })));
    expect(many.every((r) => r.code === 0)).toBe(true);
    expect((await relay.api('listStreamProxy')).data).toHaveLength(2);
    const other = await relay.api('addStreamProxy', { ...args, url: 'rtmp://127.0.0.1:9/live/other' });
    expect(other.code).toBe(-300);
    expect(other.msg).toContain('rtmp://127.0.0.1:9/live/x');
    const forced = await relay.api('addStreamProxy', { ...args, url: 'rtmp://127.0.0.1:9/live/other', force: 1 });
    expect(forced.code).toBe(0);
    expect((await relay.api('getProxyInfo', { key: '__defaultVhost__/live/idem' })).data.url).toBe('rtmp://127.0.0.1:9/live/other');
  }, 30_000);
});

describe('hooks', () => {
  let hooks: HookServer;

  it('on_stream_not_found can create the proxy and the waiting viewer plays', async () => {
    hooks = await startHookServer();
    cleanups.push(() => hooks.close());
    const nginx = await origin();
    const publisher = publishTestPattern({ url: nginx.rtmpUrl('live', 'src') });
    cleanups.push(() => stop(publisher));
    await waitForPublishing(nginx, 'live', 'src', 20_000);
    const relay = await relayWith(
      hookEnv(hooks, ['on_stream_not_found', 'on_stream_changed', 'on_proxy_state_changed', 'on_server_started']),
    );
    hooks.reply('on_stream_not_found', async (h) => {
      // The platform's lazy creation, ZLMediaKit style.
      void relay.api('addStreamProxy', { app: h.body.app, stream: h.body.stream, url: nginx.rtmpUrl('live', 'src') });
      return {};
    });
    const viewer = httpViewer(`${relay.base}/live/lazy.live.mp4`);
    cleanups.push(() => viewer.close());
    await viewer.waitForBytes(50_000, 15_000);
    const notFound = await hooks.waitFor('on_stream_not_found', () => true, 1000);
    expect(notFound.body).toMatchObject({ app: 'live', stream: 'lazy', vhost: '__defaultVhost__', mediaServerId: 'sluice' });
    await hooks.waitFor('on_stream_changed', (h) => h.body.regist === true && h.body.stream === 'lazy', 5000);
    const states = hooks.received.filter((h) => h.name === 'on_proxy_state_changed').map((h) => h.body.to);
    expect(states.slice(0, 2)).toEqual(['connecting', 'playing']);
    await hooks.waitFor('on_server_started', () => true, 1000);
  }, 60_000);

  it('honours {close:true} from on_stream_none_reader, and a hook server that never answers does not delay media', async () => {
    hooks = await startHookServer();
    cleanups.push(() => hooks.close());
    const nginx = await origin();
    const publisher = publishTestPattern({ url: nginx.rtmpUrl('live', 'src') });
    cleanups.push(() => stop(publisher));
    await waitForPublishing(nginx, 'live', 'src', 20_000);
    const relay = await relayWith({
      ...hookEnv(hooks, ['on_stream_none_reader', 'on_stream_changed', 'on_play', 'on_proxy_state_changed']),
      SLUICE_GENERAL_STREAMNONEREADERDELAYMS: '1000',
      SLUICE_HOOK_TIMEOUTSEC: '30',
    });
    hooks.reply('on_stream_changed', () => 'never');
    hooks.reply('on_play', () => 'never');
    hooks.reply('on_proxy_state_changed', () => 'never');
    hooks.reply('on_stream_none_reader', () => ({ close: true }));
    const add = await relay.api('addStreamProxy', { app: 'live', stream: 'nr', url: nginx.rtmpUrl('live', 'src') });
    expect(add.code).toBe(0);
    const viewer: RecordingViewer = httpViewer(`${relay.base}/live/nr.live.mp4`);
    const started = Date.now();
    await viewer.waitForBytes(20_000, 5000);
    expect(Date.now() - started).toBeLessThan(3000);
    viewer.close();
    const nr = await hooks.waitFor('on_stream_none_reader', (h) => h.body.stream === 'nr', 10_000);
    expect(nr.body).toMatchObject({ app: 'live', stream: 'nr', schema: 'fmp4' });
    await waitUntil('proxy to close', async () => (await proxyState(relay, add.data.key)).state === 'idle', 5000);
    await within(waitUntil('origin to lose the subscriber', async () => (await nginx.subscribers('live', 'src')) === 0, 5000), 6000, 'origin');
  }, 60_000);
});
