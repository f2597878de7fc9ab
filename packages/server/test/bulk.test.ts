import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { Logger } from '../src/log.js';
import { SluiceServer } from '../src/server.js';

const SECRET = 's';
const servers: SluiceServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
});

async function start(dataDir: string): Promise<{ server: SluiceServer; post: (name: string, body: unknown) => Promise<any> }> {
  const server = new SluiceServer({
    config: loadConfig({
      env: {},
      overrides: { 'http.port': 0, 'http.bindIp': '127.0.0.1', 'api.secret': SECRET, 'general.dataDir': dataDir },
    }),
    log: new Logger({ level: 'error' }),
  });
  await server.start();
  servers.push(server);
  const post = async (name: string, body: unknown): Promise<any> => {
    const res = await fetch(`http://127.0.0.1:${server.port}/index/api/${name}?secret=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.json();
  };
  return { server, post };
}

const item = (i: number): Record<string, unknown> => ({
  app: 'bulk',
  stream: `cam${i}`,
  url: `rtmp://127.0.0.1:9/live/cam${i}`,
  on_demand: 1,
});

describe('bulk proxy API', () => {
  it('adds 1000 on-demand proxies in one request: all listed, all persisted, all restored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bulk-'));
    const { server, post } = await start(dataDir);
    const reply = await post('bulkStreamProxy', { add: Array.from({ length: 1000 }, (_, i) => item(i)) });
    expect(reply.code).toBe(0);
    expect(reply.data.add).toHaveLength(1000);
    expect(reply.data.add.every((r: any) => r.code === 0 && r.created === true && r.state === 'idle')).toBe(true);
    expect((await post('listStreamProxy', {})).data).toHaveLength(1000);
    const stored = JSON.parse(readFileSync(join(dataDir, 'proxies.json'), 'utf8'));
    expect(stored.proxies).toHaveLength(1000);
    await server.stop();
    servers.length = 0;

    const { post: post2 } = await start(dataDir);
    const list = (await post2('listStreamProxy', {})).data;
    expect(list).toHaveLength(1000);
    expect(list.every((p: any) => p.state === 'idle')).toBe(true);
  }, 30_000);

  it('applies the valid items and names each invalid one', async () => {
    const { post } = await start(mkdtempSync(join(tmpdir(), 'sluice-bulk-')));
    const reply = await post('bulkStreamProxy', {
      add: [item(1), { ...item(2), url: 'ftp://x/y' }, { app: 'bulk' }, item(3), 'not an object', { ...item(4), retry_count: 'x' }],
    });
    expect(reply.code).toBe(0);
    const byIndex = reply.data.add;
    expect(byIndex.map((r: any) => r.code)).toEqual([0, -300, -300, 0, -300, -300]);
    expect(byIndex[1].msg).toMatch(/invalid argument url/);
    expect(byIndex[2].msg).toMatch(/missing required argument: stream/);
    expect(byIndex[4].msg).toMatch(/item 4/);
    expect(byIndex[5].msg).toMatch(/retry_count/);
    expect((await post('listStreamProxy', {})).data.map((p: any) => p.stream).sort()).toEqual(['cam1', 'cam3']);
  });

  it('updates (replaces) and deletes in the same request', async () => {
    const { post } = await start(mkdtempSync(join(tmpdir(), 'sluice-bulk-')));
    await post('bulkStreamProxy', { add: [item(1), item(2)] });
    const reply = await post('bulkStreamProxy', {
      update: [{ ...item(1), url: 'rtmp://127.0.0.1:9/live/new' }],
      delete: ['__defaultVhost__/bulk/cam2', '__defaultVhost__/bulk/none', 5],
    });
    expect(reply.data.update[0]).toMatchObject({ code: 0, key: '__defaultVhost__/bulk/cam1' });
    expect(reply.data.delete.map((d: any) => [d.code, d.flag])).toEqual([
      [0, true],
      [0, false],
      [-300, undefined],
    ]);
    const list = (await post('listStreamProxy', {})).data;
    expect(list.map((p: any) => p.url)).toEqual(['rtmp://127.0.0.1:9/live/new']);
  });

  it('refuses a section that is not an array, naming it', async () => {
    const { post } = await start(mkdtempSync(join(tmpdir(), 'sluice-bulk-')));
    const reply = await post('bulkStreamProxy', { add: { app: 'x' } });
    expect(reply).toEqual({ code: -300, msg: 'invalid argument add: must be a JSON array' });
  });
});
