import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { Logger } from '../src/log.js';
import { SluiceServer } from '../src/server.js';

const SECRET = 'test-secret';
let server: SluiceServer;
let base: string;

async function api(name: string, params: Record<string, string | number> = {}, init?: RequestInit): Promise<any> {
  const q = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  const res = await fetch(`${base}/index/api/${name}?${q}`, init);
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-api-'));
  server = new SluiceServer({
    config: loadConfig({
      env: {},
      overrides: { 'http.port': 0, 'http.bindIp': '127.0.0.1', 'api.secret': SECRET, 'general.dataDir': dataDir },
    }),
    log: new Logger({ level: 'error' }),
  });
  await server.start();
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop();
});

describe('API envelope and secret', () => {
  it('answers version with code 0', async () => {
    const r = await api('version', { secret: SECRET });
    expect(r.code).toBe(0);
    expect(r.data.version).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('matches API names case-insensitively', async () => {
    expect((await api('VERSION', { secret: SECRET })).code).toBe(0);
    expect((await api('getmedialist', { secret: SECRET })).code).toBe(0);
  });
  it.each([
    ['missing', {}, 'missing secret'],
    ['wrong', { secret: 'nope' }, 'incorrect secret'],
  ])('a %s secret gets -100', async (_n, params, msg) => {
    const r = await api('getMediaList', params);
    expect(r).toEqual({ code: -100, msg });
  });
  it('accepts the secret from a header and from a JSON or form body', async () => {
    expect((await api('version', {}, { headers: { secret: SECRET } })).code).toBe(0);
    const json = await api('version', {}, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: SECRET }),
    });
    expect(json.code).toBe(0);
    const form = await api('version', {}, { method: 'POST', body: new URLSearchParams({ secret: SECRET }) });
    expect(form.code).toBe(0);
  });
  it('lets the query win over the body', async () => {
    const r = await api('version', { secret: 'wrong' }, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: SECRET }),
    });
    expect(r.code).toBe(-100);
  });
  it('refuses an unknown API with -500', async () => {
    expect((await api('noSuchThing', { secret: SECRET })).code).toBe(-500);
  });
  it('bounds request bodies', async () => {
    const res = await fetch(`${base}/index/api/version`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ secret: SECRET, pad: 'x'.repeat(5 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
  });
  it('answers malformed JSON with 400', async () => {
    const res = await fetch(`${base}/index/api/version`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"secret":',
    });
    expect(res.status).toBe(400);
  });
});

describe('addStreamProxy argument checks', () => {
  const good = { secret: SECRET, vhost: '__defaultVhost__', app: 'live', stream: 's1', url: 'rtmp://127.0.0.1:1/live/x' };
  it.each([
    ['app', { ...good, app: '' }, /missing required argument: app/],
    ['stream', { ...good, stream: '' }, /missing required argument: stream/],
    ['url', { ...good, url: '' }, /missing required argument: url/],
    ['url', { ...good, url: 'not a url' }, /invalid argument url: "not a url" is not a URL/],
    ['url', { ...good, url: 'http://example.com/x' }, /invalid argument url: scheme "http" is not pulled/],
    ['url', { ...good, url: 'file:///etc/passwd' }, /invalid argument url: scheme "file"/],
    ['stream', { ...good, stream: '../x' }, /invalid argument stream/],
    ['retry_count', { ...good, retry_count: 'many' }, /invalid argument retry_count: "many" is not an integer/],
    ['retry_count', { ...good, retry_count: -2 }, /invalid argument retry_count: -2 is below -1/],
    ['timeout_sec', { ...good, timeout_sec: 'x' }, /invalid argument timeout_sec/],
    ['rtp_type', { ...good, rtp_type: 7 }, /invalid argument rtp_type/],
    ['force', { ...good, force: 'maybe' }, /invalid argument force/],
  ])('a bad %s gets -300 naming it', async (_name, params, msg) => {
    const r = await api('addStreamProxy', params);
    expect(r.code).toBe(-300);
    expect(r.msg).toMatch(msg);
  });

  it('an unreachable upstream gets -1 with the reason and leaves no proxy', async () => {
    // A port that refuses connections: bind, note the port, close.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await api('addStreamProxy', { ...good, stream: 'unreach', url: `rtmp://127.0.0.1:${port}/live/x`, timeout_sec: 5 });
    expect(r.code).toBe(-1);
    expect(r.msg).toMatch(/ECONNREFUSED|refused/i);
    expect((await api('listStreamProxy', { secret: SECRET })).data).toEqual([]);
  });

  it('an upstream that answers with garbage gets -1 and the server keeps serving', async () => {
    const sockets: Socket[] = [];
    const garbage: Server = createServer((s) => {
      sockets.push(s);
      s.on('error', () => undefined);
      s.write(Buffer.alloc(4000, 0x5a));
    });
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', () => r()));
    const port = (garbage.address() as { port: number }).port;
    const r = await api('addStreamProxy', { ...good, stream: 'garbage', url: `rtmp://127.0.0.1:${port}/live/x`, timeout_sec: 5 });
    expect(r.code).toBe(-1);
    expect(r.msg).toMatch(/pull failed/);
    for (const s of sockets) s.destroy();
    await new Promise<void>((res) => garbage.close(() => res()));
    expect((await api('version', { secret: SECRET })).code).toBe(0);
  });
});

describe('stream queries', () => {
  it('isMediaOnline is false for an unknown stream and requires app/stream', async () => {
    expect(await api('isMediaOnline', { secret: SECRET, app: 'live', stream: 'none' })).toEqual({ code: 0, online: false });
    const r = await api('isMediaOnline', { secret: SECRET, app: 'live' });
    expect(r.code).toBe(-300);
    expect(r.msg).toMatch(/stream/);
  });
  it('close_streams reports real zero counts when nothing matches', async () => {
    expect(await api('close_streams', { secret: SECRET, app: 'nothing' })).toEqual({ code: 0, count_hit: 0, count_closed: 0 });
  });
  it('delStreamProxy of an unknown key answers flag false', async () => {
    expect(await api('delStreamProxy', { secret: SECRET, key: '__defaultVhost__/live/none' })).toEqual({
      code: 0,
      data: { flag: false },
    });
  });
  it('malformed percent-escapes in a media path are a 404, over HTTP and WebSocket, and the server stays up', async () => {
    expect((await fetch(`${base}/a/%E0.live.mp4`)).status).toBe(404);
    expect((await fetch(`${base}/a/%E0/hls.m3u8`)).status).toBe(404);
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/a/%E0.live.mp4`);
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    });
    expect(status).toBe(404);
    expect((await api('version', { secret: SECRET })).code).toBe(0);
  });

  it('an unknown stream is a quick 404 on .live.mp4', async () => {
    const res = await fetch(`${base}/live/none.live.mp4`);
    expect(res.status).toBe(404);
  });
});

describe('health', () => {
  it('answers /healthz and /readyz without the secret once started', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ok\n');
  });
});

describe('generated secret', () => {
  it('generates a secret at first start, keeps it in the data directory and reuses it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-secret-'));
    const make = (): SluiceServer =>
      new SluiceServer({
        config: loadConfig({ env: {}, overrides: { 'http.port': 0, 'http.bindIp': '127.0.0.1', 'general.dataDir': dataDir } }),
        log: new Logger({ level: 'error' }),
      });
    const first = make();
    await first.start();
    const secret = readFileSync(join(dataDir, 'secret'), 'utf8').trim();
    expect(secret.length).toBeGreaterThanOrEqual(24);
    expect(first.secret).toBe(secret);
    await first.stop();
    const second = make();
    await second.start();
    expect(second.secret).toBe(secret);
    await second.stop();
  });
});
