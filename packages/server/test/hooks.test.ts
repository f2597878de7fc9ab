import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { HookDispatcher, type HookDispatcherOptions } from '../src/hooks/dispatcher.js';
import { Logger } from '../src/log.js';

let server: Server;
let base: string;
const calls: Array<{ path: string; body: any }> = [];
let failuresLeft = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls.push({ path: req.url!, body: JSON.parse(Buffer.concat(chunks).toString()) });
      if (req.url === '/hang') return; // never answers
      if (req.url === '/flaky' && failuresLeft-- > 0) {
        res.writeHead(500).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 0, close: true }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function dispatcher(overrides: Partial<HookDispatcherOptions>): HookDispatcher {
  return new HookDispatcher({
    enabled: true,
    mediaServerId: 'node-1',
    urls: {},
    timeoutMs: 1000,
    retries: 0,
    retryDelayMs: 10,
    maxInFlight: 10,
    log: new Logger({ level: 'error' }),
    ...overrides,
  });
}

describe('hook dispatcher', () => {
  it('posts JSON with mediaServerId and returns the reply', async () => {
    const d = dispatcher({ urls: { on_stream_none_reader: `${base}/ok` } });
    const reply = await d.call('on_stream_none_reader', { app: 'live', stream: 'a' });
    expect(reply).toEqual({ code: 0, close: true });
    expect(calls.at(-1)!.body).toMatchObject({ mediaServerId: 'node-1', app: 'live', stream: 'a' });
  });

  it('does nothing for an unconfigured hook or when disabled', async () => {
    expect(await dispatcher({}).call('on_play', {})).toBeUndefined();
    expect(await dispatcher({ enabled: false, urls: { on_play: `${base}/ok` } }).call('on_play', {})).toBeUndefined();
  });

  it('retries a failed hook', async () => {
    failuresLeft = 2;
    const d = dispatcher({ urls: { on_play: `${base}/flaky` }, retries: 2 });
    expect(await d.call('on_play', {})).toEqual({ code: 0, close: true });
    expect(d.stats).toMatchObject({ sent: 1, failed: 0 });
  });

  it('gives up on a hook server that never answers after the timeout', async () => {
    const d = dispatcher({ urls: { on_play: `${base}/hang` }, timeoutMs: 200 });
    const started = Date.now();
    expect(await d.call('on_play', {})).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1500);
    expect(d.stats.failed).toBe(1);
  });

  it('bounds hooks in flight: more are dropped and counted, never queued without bound', async () => {
    const d = dispatcher({ urls: { on_play: `${base}/hang` }, timeoutMs: 300, maxInFlight: 3 });
    for (let i = 0; i < 10; i++) d.fire('on_play', { i });
    expect(d.stats.dropped).toBe(7);
  });
});
