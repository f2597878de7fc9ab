import { describe, expect, it } from 'vitest';
import { Receiver } from 'ws';
import { binaryFrame, SharedFrames } from '../src/outputs/ws-frame.js';

/** Decodes frames with the `ws` library's own client-side receiver (an independent reader). */
function decode(frames: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const messages: Buffer[] = [];
    const receiver = new Receiver({ isServer: false, maxPayload: 0 });
    receiver.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) reject(new Error('text message'));
      messages.push(Buffer.from(data));
      if (messages.length === frames.length) resolve(messages);
    });
    receiver.on('error', reject);
    for (const f of frames) receiver.write(f);
  });
}

describe('WebSocket binary frames (RFC 6455 5.2)', () => {
  it.each([0, 1, 125, 126, 127, 65535, 65536, 300_000])('a %i-byte payload: the header length form a client reads back', async (n) => {
    const payload = Buffer.alloc(n, 0);
    for (let i = 0; i < n; i++) payload[i] = (i * 31) & 0xff;
    const frame = binaryFrame(payload);
    expect(frame[0]).toBe(0x82); // FIN, binary
    expect(frame[1]! & 0x80).toBe(0); // a server never masks
    expect(frame.byteLength - n).toBe(n < 126 ? 2 : n < 65536 ? 4 : 10);
    const [message] = await decode([frame]);
    expect(message!.equals(payload)).toBe(true);
  });

  it('frames back to back split at every byte still decode', async () => {
    const a = binaryFrame(Buffer.from('first'));
    const b = binaryFrame(Buffer.alloc(1000, 7));
    const joined = Buffer.concat([a, b]);
    const pieces = Array.from(joined, (_, i) => joined.subarray(i, i + 1));
    const messages = await new Promise<Buffer[]>((resolve, reject) => {
      const out: Buffer[] = [];
      const receiver = new Receiver({ isServer: false, maxPayload: 0 });
      receiver.on('message', (data: Buffer) => {
        out.push(Buffer.from(data));
        if (out.length === 2) resolve(out);
      });
      receiver.on('error', reject);
      for (const p of pieces) receiver.write(p);
    });
    expect(messages[0]!.toString()).toBe('first');
    expect(messages[1]!.equals(Buffer.alloc(1000, 7))).toBe(true);
  });

  it('SharedFrames frames a message once for every viewer', () => {
    const frames = new SharedFrames();
    const message = Buffer.from('batch');
    const first = frames.of(message);
    expect(frames.of(message)).toBe(first); // the same buffer: no per-viewer work
    expect(frames.of(Buffer.from('batch'))).not.toBe(first); // another message, another frame
  });
});
