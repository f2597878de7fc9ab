import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { FileProxyStore, STORE_FILE } from '../src/store/file-store.js';
import type { ProxySpec } from '../src/proxy/stream-proxy.js';

function spec(stream: string): ProxySpec {
  return {
    vhost: '__defaultVhost__',
    app: 'live',
    stream,
    url: `rtmp://127.0.0.1/live/${stream}`,
    retryCount: -1,
    timeoutSec: 10,
    rtpType: 0,
    onDemand: false,
    enableFmp4: true,
    enableHls: false,
    mediaTimeoutMs: 5000,
    backoff: { initialMs: 2000, factor: 2, maxMs: 60000, jitter: 0.2 },
  };
}

describe('file proxy store', () => {
  it('round-trips puts and deletes through the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
    const store = new FileProxyStore(dir);
    expect(await store.load()).toEqual([]);
    await Promise.all([store.put(spec('a')), store.put(spec('b')), store.put(spec('c'))]);
    await store.delete('__defaultVhost__/live/b');
    const again = new FileProxyStore(dir);
    expect((await again.load()).map((s) => s.stream)).toEqual(['a', 'c']);
    expect(readdirSync(dir)).toEqual([STORE_FILE]); // no temporary file left behind
  });

  it('refuses to be written before it is loaded', () => {
    const store = new FileProxyStore(mkdtempSync(join(tmpdir(), 'sluice-store-')));
    expect(() => store.put(spec('a'))).toThrow(/before load/);
  });

  it('refuses a corrupt file instead of starting over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-store-'));
    writeFileSync(join(dir, STORE_FILE), '{"schemaVersion":1,"proxies":[{"vh');
    await expect(new FileProxyStore(dir).load()).rejects.toThrow(/not valid JSON/);
    writeFileSync(join(dir, STORE_FILE), '{"schemaVersion":99,"proxies":[]}');
    await expect(new FileProxyStore(dir).load()).rejects.toThrow(/unsupported schemaVersion 99/);
  });

  it('survives kill -9 in the middle of writes: the file always loads', async () => {
    // A child process writes the store as fast as it can; we SIGKILL it at
    // varying moments and check that what is on disk is always a whole document.
    const dir = mkdtempSync(join(tmpdir(), 'sluice-store-kill-'));
    const storeModule = resolve(import.meta.dirname, '../dist/store/file-store.js');
    const script = `
      import { FileProxyStore } from ${JSON.stringify(storeModule)};
      const store = new FileProxyStore(${JSON.stringify(dir)});
      await store.load();
      const base = ${JSON.stringify(spec('x'))};
      process.stdout.write('ready\\n');
      for (let i = 0; ; i++) {
        await store.put({ ...base, stream: 's' + i, url: base.url + '?pad=' + 'x'.repeat(2000) });
      }
    `;
    let lastCount = 0;
    for (let round = 0; round < 8; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await once(child.stdout!, 'data');
      await new Promise((r) => setTimeout(r, 30 + round * 25)); // let it get into its write loop
      child.kill('SIGKILL');
      await once(child, 'exit');
      const specs = await new FileProxyStore(dir).load();
      expect(specs.length).toBeGreaterThanOrEqual(lastCount);
      lastCount = specs.length;
    }
    expect(lastCount).toBeGreaterThan(0);
  }, 30_000);
});
