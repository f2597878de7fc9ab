import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { PortPool, type PortPair } from '../src/port-pool.js';
import { CoreError } from '../src/errors.js';

const held: Array<{ close(): void }> = [];
afterEach(() => {
  for (const h of held.splice(0)) {
    try {
      h.close();
    } catch {
      // already closed
    }
  }
});

// A range away from the ephemeral range (32768+) so the OS does not hand these ports to others mid-test.
let nextBase = 21000 + (process.pid % 200) * 20;
function range(pairs: number): { min: number; max: number } {
  const min = nextBase;
  nextBase += pairs * 2 + 2;
  return { min, max: min + pairs * 2 - 1 };
}

function bindUdp(port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}
function listenTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('port pool', () => {
  it('hands out bound even/odd pairs, each once, and takes them back', async () => {
    const r = range(4);
    const pool = new PortPool({ ...r, bindIp: '127.0.0.1' });
    expect(pool.size).toBe(4);
    const pairs = await Promise.all([pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()]);
    const ports = pairs.map((p) => p.rtpPort).sort();
    expect(new Set(ports).size).toBe(4);
    for (const p of pairs) {
      expect(p.rtpPort % 2).toBe(0);
      expect(p.rtcpPort).toBe(p.rtpPort + 1);
      expect(p.rtp.address().port).toBe(p.rtpPort);
      expect(p.rtcp.address().port).toBe(p.rtcpPort);
    }
    await expect(pool.allocate()).rejects.toThrow(CoreError);
    expect(pool.stats).toMatchObject({ inUse: 4, allocationFailures: 1 });
    for (const p of pairs) p.release();
    pairs[0]!.release(); // idempotent
    expect(pool.inUse).toBe(0);
    // Released ports can be bound again: the sockets really closed.
    const again = await Promise.all(ports.map((port) => bindUdp(port)));
    for (const s of again) s.close();
  });

  it('skips ports another process holds', async () => {
    const r = range(3);
    const squatter = await bindUdp(r.min + 1); // the first pair's RTCP port
    held.push(squatter);
    const pool = new PortPool({ ...r, bindIp: '127.0.0.1' });
    const pair = await pool.allocate();
    expect(pair.rtpPort).toBe(r.min + 2);
    expect(pool.stats.busySkipped).toBe(1);
    pair.release();
  });

  it('a failed TCP listen releases the UDP sockets it had bound', async () => {
    const r = range(1);
    const tcpSquatter = await listenTcp(r.min);
    held.push(tcpSquatter);
    const pool = new PortPool({ ...r, bindIp: '127.0.0.1' });
    await expect(pool.allocate({ tcp: true })).rejects.toThrow(/no free RTP port pair/);
    expect(pool.inUse).toBe(0);
    const rtp = await bindUdp(r.min);
    const rtcp = await bindUdp(r.min + 1);
    rtp.close();
    rtcp.close();
  });

  it('binds TCP on the RTP port when asked, and closes it on release', async () => {
    const r = range(2);
    const pool = new PortPool({ ...r, bindIp: '127.0.0.1' });
    const pair = await pool.allocate({ tcp: true });
    expect(pair.tcp!.address()).toMatchObject({ port: pair.rtpPort });
    pair.release();
    const s = await listenTcp(pair.rtpPort);
    s.close();
  });

  it('gives an explicit port, and refuses one in use with PORT_IN_USE', async () => {
    const r = range(3);
    const pool = new PortPool({ ...r, bindIp: '127.0.0.1' });
    const explicit = await pool.allocate({ port: r.min + 2 });
    expect(explicit.rtpPort).toBe(r.min + 2);
    await expect(pool.allocate({ port: r.min + 2 })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
    await expect(pool.allocate({ port: r.min + 3 })).rejects.toMatchObject({ code: 'PORT_IN_USE' });
    // The pool's own round-robin steps over it.
    const a = await pool.allocate();
    const b = await pool.allocate();
    expect([a.rtpPort, b.rtpPort].sort()).toEqual([r.min, r.min + 4]);
    for (const p of [explicit, a, b]) p.release();
  });

  it('is whole again after 300 concurrent allocate/release cycles', async () => {
    const r = range(20);
    const pool = new PortPool({ ...r, bindIp: '127.0.0.1' });
    const cycle = async (): Promise<void> => {
      let pair: PortPair | undefined;
      try {
        pair = await pool.allocate({ tcp: true });
      } catch {
        return; // exhausted at this moment: fine, nothing held
      }
      await new Promise((res) => setImmediate(res));
      pair.release();
    };
    for (let round = 0; round < 10; round++) await Promise.all(Array.from({ length: 30 }, cycle));
    expect(pool.inUse).toBe(0);
  });

  it('rejects a range with no pair in it', () => {
    expect(() => new PortPool({ min: 30001, max: 30001, bindIp: '127.0.0.1' })).toThrow(/at least one/);
  });
});
