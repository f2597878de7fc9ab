import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { WebSocketServer } from 'ws';
import { WsUnwrapper, checkUpgradeResponse, wsAccept, wsUpgradeRequest } from '../benchmarks/lib/ws-frames.js';
import type { BodyParser } from '../benchmarks/lib/frames.js';

// The fan-out benchmark's WS probes read the relay's frames with their own unwrapper;
// it is checked here against the `ws` package's framing, which the relay uses.

/** ws's own frame encoder: exported at run time, not declared by @types/ws. */
const { Sender } = wsModule as unknown as {
  Sender: { frame(data: Buffer, options: { fin: boolean; opcode: number; mask: boolean; readOnly: boolean; rsv1: boolean }): Buffer[] };
};

class Collect implements BodyParser {
  readonly pieces: Buffer[] = [];
  push(data: Uint8Array): void {
    this.pieces.push(Buffer.from(data));
  }
  bytes(): Buffer {
    return Buffer.concat(this.pieces);
  }
}

const frame = (payload: Buffer, opcode: number, fin = true, mask = false): Buffer =>
  Buffer.concat(Sender.frame(payload, { fin, opcode, mask, readOnly: false, rsv1: false }));

const pattern = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));

describe('WebSocket frame unwrapping (benchmarks/lib/ws-frames.ts)', () => {
  // 7-bit, 16-bit and 64-bit lengths, and the edges between them.
  const cases = [
    { name: 'empty binary frame', sizes: [0] },
    { name: '7-bit lengths', sizes: [1, 125] },
    { name: '16-bit lengths', sizes: [126, 300, 65535] },
    { name: '64-bit lengths', sizes: [65536, 200_000] },
  ];
  for (const c of cases) {
    it(`passes the payload of ${c.name} through, whatever the read boundaries`, () => {
      const payloads = c.sizes.map((n, i) => pattern(n, i));
      const wire = Buffer.concat(payloads.map((p) => frame(p, 2)));
      for (const step of [1, 3, 7, 4096, wire.length]) {
        const out = new Collect();
        const unwrap = new WsUnwrapper(out);
        for (let p = 0; p < wire.length; p += step) unwrap.push(wire.subarray(p, p + step));
        expect(out.bytes().equals(Buffer.concat(payloads))).toBe(true);
        expect(unwrap.dataFrames).toBe(payloads.length);
      }
    });
  }

  it('skips ping, pong and close frames and joins continuation frames', () => {
    const a = pattern(1000, 1);
    const b = pattern(70_000, 2);
    const wire = Buffer.concat([
      frame(Buffer.from('hi'), 0x9),
      frame(a, 2, false),
      frame(Buffer.alloc(0), 0xa),
      frame(b, 0, true),
      frame(Buffer.from([0x03, 0xe8]), 0x8),
    ]);
    const out = new Collect();
    const unwrap = new WsUnwrapper(out);
    for (let p = 0; p < wire.length; p += 5) unwrap.push(wire.subarray(p, p + 5));
    expect(out.bytes().equals(Buffer.concat([a, b]))).toBe(true);
    expect([unwrap.dataFrames, unwrap.controlFrames]).toEqual([2, 3]);
  });

  it('rejects a masked frame (servers never mask), RSV bits and reserved opcodes', () => {
    expect(() => new WsUnwrapper(new Collect()).push(frame(pattern(10, 0), 2, true, true))).toThrow(/masked frame/);
    expect(() => new WsUnwrapper(new Collect()).push(Buffer.from([0xc2, 0x00]))).toThrow(/RSV bits/);
    expect(() => new WsUnwrapper(new Collect()).push(Buffer.from([0x83, 0x00]))).toThrow(/reserved opcode 3/);
    expect(() => new WsUnwrapper(new Collect()).push(Buffer.from([0x89, 0x7e, 0x00, 0x7e]))).toThrow(/bad control frame/);
  });

  it('computes the Sec-WebSocket-Accept of RFC 6455 section 1.3', () => {
    expect(wsAccept('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  describe('against a real ws server on loopback', () => {
    let wss: WebSocketServer | undefined;
    afterEach(async () => {
      if (!wss) return;
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss!.close(() => r()));
      wss = undefined;
    });

    it('completes the handshake from a raw socket and unwraps what the server sends', async () => {
      const messages = [pattern(100, 1), pattern(4000, 2), pattern(100_000, 3)];
      wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
      await once(wss, 'listening');
      wss.on('connection', (ws) => {
        ws.ping();
        for (const m of messages) ws.send(m, { binary: true });
      });
      const { port } = wss.address() as AddressInfo;
      const { request, accept } = wsUpgradeRequest('127.0.0.1', port, '/live/x.live.mp4');
      const socket = connect({ host: '127.0.0.1', port });
      socket.write(request);
      const out = new Collect();
      const unwrap = new WsUnwrapper(out);
      const want = messages.reduce((a, m) => a + m.length, 0);
      let head = Buffer.alloc(0);
      let verdict: string | undefined = 'no response';
      await new Promise<void>((resolve, reject) => {
        socket.on('error', reject);
        socket.on('data', (chunk: Buffer) => {
          if (verdict !== undefined) {
            head = Buffer.concat([head, chunk]);
            const at = head.indexOf('\r\n\r\n');
            if (at < 0) return;
            verdict = checkUpgradeResponse(head.toString('latin1', 0, at), accept);
            if (verdict !== undefined) return reject(new Error(verdict));
            chunk = head.subarray(at + 4);
          }
          unwrap.push(chunk);
          if (out.bytes().length >= want) resolve();
        });
      });
      socket.destroy();
      expect(out.bytes().equals(Buffer.concat(messages))).toBe(true);
      expect([unwrap.dataFrames, unwrap.controlFrames]).toEqual([3, 1]);
    });

    it('tells a wrong Sec-WebSocket-Accept and a non-101 status apart', () => {
      expect(checkUpgradeResponse('HTTP/1.1 404 Not Found\r\nContent-Length: 0', 'x')).toMatch(/expected 101/);
      expect(checkUpgradeResponse('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: abc', 'xyz')).toMatch(/does not match/);
      expect(checkUpgradeResponse('HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: xyz', 'xyz')).toBeUndefined();
    });
  });
});
