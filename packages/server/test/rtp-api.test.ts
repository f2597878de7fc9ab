import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { Logger } from '../src/log.js';
import { SluiceServer } from '../src/server.js';
import { metricValue, scrape } from '../../../test/helpers/metrics.js';

const SECRET = 's';
let server: SluiceServer;
let base: string;
// A range per test process, below the ephemeral ports, so parallel test files don't collide.
const rangeStart = 24000 + (process.pid % 100) * 40;

async function api(name: string, params: Record<string, string | number> = {}): Promise<any> {
  const q = new URLSearchParams({ secret: SECRET, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  const res = await fetch(`${base}/index/api/${name}?${q}`);
  return res.json();
}

/**
 * This process's file descriptors that are UDP sockets or listening TCP sockets
 * (HTTP keep-alive connections of the test's own client are TCP but not listening,
 * so they do not blur the count).
 */
function udpAndListeningFds(): number {
  const inodes = new Set<string>();
  for (const [file, listenOnly] of [['/proc/net/udp', false], ['/proc/net/tcp', true]] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (listenOnly && cols[3] !== '0A') continue;
      inodes.add(cols[9]!);
    }
  }
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m && inodes.has(m[1]!)) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

/** Sockets (UDP bound, TCP listening) in this process's RTP port range, read from the kernel's tables. */
function socketsInRange(): number {
  let n = 0;
  for (const [file, listenOnly] of [['/proc/net/udp', false], ['/proc/net/tcp', true]] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4) continue;
      const port = parseInt(cols[1]!.split(':')[1]!, 16);
      if (listenOnly && cols[3] !== '0A') continue;
      if (port >= rangeStart && port < rangeStart + 40) n++;
    }
  }
  return n;
}

beforeAll(async () => {
  server = new SluiceServer({
    config: loadConfig({
      env: {},
      overrides: {
        'http.port': 0,
        'http.bindIp': '127.0.0.1',
        'api.secret': SECRET,
        'general.dataDir': mkdtempSync(join(tmpdir(), 'sluice-rtp-api-')),
        'rtp_proxy.port_range': `${rangeStart}-${rangeStart + 39}`,
        'rtp_proxy.openTimeoutSec': 600,
      },
    }),
    log: new Logger({ level: 'error' }),
  });
  await server.start();
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server.stop();
});

describe('RTP server API: one truth', () => {
  it('walks the platform sequence: info → open → info → open again → list → close → list', async () => {
    expect(await api('getRtpInfo', { stream_id: 'cam1' })).toEqual({ code: 0, exist: false });
    const opened = await api('openRtpServer', { stream_id: 'cam1', port: 0, tcp_mode: 0 });
    expect(opened.code).toBe(0);
    const port = opened.port;
    expect(port % 2).toBe(0);
    expect(port).toBeGreaterThanOrEqual(rangeStart);

    const waiting = await api('getRtpInfo', { stream_id: 'cam1' });
    expect(waiting).toMatchObject({ code: 0, exist: true, state: 'waiting', local_port: port, tcp_mode: 0, peer_ip: null });

    expect(await api('openRtpServer', { stream_id: 'cam1', port: 0 })).toEqual({ code: 0, port });
    expect(await api('openRtpServer', { stream_id: 'cam1', port })).toEqual({ code: 0, port });
    const otherMode = await api('openRtpServer', { stream_id: 'cam1', port: 0, tcp_mode: 1 });
    expect(otherMode.code).toBe(-300);
    expect(otherMode.msg).toContain(String(port));
    const otherPort = await api('openRtpServer', { stream_id: 'cam1', port: port + 2 });
    expect(otherPort.code).toBe(-300);
    expect(otherPort.msg).toContain(`already open on port ${port}`);

    const list = await api('listRtpServer');
    expect(list.data).toEqual([expect.objectContaining({ stream_id: 'cam1', port, state: 'waiting' })]);

    expect(await api('closeRtpServer', { stream_id: 'cam1' })).toEqual({ code: 0, hit: 1 });
    expect(await api('closeRtpServer', { stream_id: 'cam1' })).toEqual({ code: 0, hit: 0 });
    expect((await api('listRtpServer')).data).toEqual([]);
    expect(await api('getRtpInfo', { stream_id: 'cam1' })).toEqual({ code: 0, exist: false });
    expect(server.ports.inUse).toBe(0);
  });

  it.each([
    ['stream_id', {}, /missing required argument: stream_id/],
    ['tcp_mode', { stream_id: 'x', tcp_mode: 3 }, /invalid argument tcp_mode/],
    ['ssrc', { stream_id: 'x', ssrc: -1 }, /invalid argument ssrc/],
    ['ssrc', { stream_id: 'x', ssrc: 'abc' }, /invalid argument ssrc/],
    ['port', { stream_id: 'x', port: 80 }, /invalid argument port/],
    ['port', { stream_id: 'x', port: 70000 }, /invalid argument port/],
    ['only_track', { stream_id: 'x', only_track: 5 }, /invalid argument only_track/],
    ['stream_id', { stream_id: 'a/b' }, /invalid argument stream_id/],
  ])('a bad %s gets -300 naming it', async (_n, params, msg) => {
    const r = await api('openRtpServer', params as Record<string, string | number>);
    expect(r.code).toBe(-300);
    expect(r.msg).toMatch(msg);
  });

  it('updateRtpServerSSRC and connectRtpServer name what is wrong', async () => {
    expect((await api('updateRtpServerSSRC', { stream_id: 'none', ssrc: 1 })).code).toBe(-500);
    const { port } = await api('openRtpServer', { stream_id: 'ssrc', port: 0 });
    expect(await api('updateRtpServerSSRC', { stream_id: 'ssrc', ssrc: 123456 })).toEqual({ code: 0 });
    expect((await api('getRtpInfo', { stream_id: 'ssrc' })).ssrc).toBe(123456);
    const wrongMode = await api('connectRtpServer', { stream_id: 'ssrc', dst_url: '127.0.0.1', dst_port: 9 });
    expect(wrongMode.code).toBe(-300);
    expect(wrongMode.msg).toMatch(/tcp_mode 2/);
    expect(port).toBeGreaterThan(0);
    await api('closeRtpServer', { stream_id: 'ssrc' });
  });

  it('100 concurrent opens of one stream_id yield one server; 1000 open/close cycles leave the pool whole and no socket open', async () => {
    expect(socketsInRange()).toBe(0);
    const fdsBefore = udpAndListeningFds();
    const replies = await Promise.all(Array.from({ length: 100 }, () => api('openRtpServer', { stream_id: 'race', port: 0 })));
    expect(new Set(replies.map((r) => r.port)).size).toBe(1);
    expect(replies.every((r) => r.code === 0)).toBe(true);
    expect((await api('listRtpServer')).data).toHaveLength(1);
    await api('closeRtpServer', { stream_id: 'race' });
    for (let i = 0; i < 1000; i++) {
      const id = `cycle${i % 7}`;
      const open = await api('openRtpServer', { stream_id: id, port: 0, tcp_mode: i % 2 });
      expect(open.code).toBe(0);
      expect((await api('closeRtpServer', { stream_id: id })).hit).toBe(1);
    }
    expect(server.ports.inUse).toBe(0);
    // Sockets close asynchronously: wait (bounded) until the kernel shows none.
    const deadline = Date.now() + 2000;
    while ((socketsInRange() > 0 || udpAndListeningFds() > fdsBefore) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(socketsInRange()).toBe(0);
    expect(udpAndListeningFds()).toBe(fdsBefore);
  }, 60_000);

  it('/metrics shows the port pool filling and emptying, and wants the secret', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const before = await scrape(base, SECRET);
    expect(metricValue(before, 'sluice_port_pool_size')).toBe(20);
    expect(metricValue(before, 'sluice_port_pool_in_use')).toBe(0);
    await api('openRtpServer', { stream_id: 'm1', port: 0 });
    await api('openRtpServer', { stream_id: 'm2', port: 0, tcp_mode: 1 });
    expect(metricValue(await scrape(base, SECRET), 'sluice_port_pool_in_use')).toBe(2);
    await api('closeRtpServer', { stream_id: 'm1' });
    await api('closeRtpServer', { stream_id: 'm2' });
    const after = await scrape(base, SECRET);
    expect(metricValue(after, 'sluice_port_pool_in_use')).toBe(0);
    expect(metricValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metricValue(after, 'sluice_worker_pool_queue_depth')).toBe(0);
  });
});
