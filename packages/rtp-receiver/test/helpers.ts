/** Small builders shared by this package's tests. */
import { serializeRtpPacket, type RtpPacket } from '../src/index.js';
export { seededRandom } from '../../../test/helpers/ps-rtp.js';

/** An RTP packet (serialized) with a recognisable payload. */
export function rtp(seq: number, payloadLength = 20, ssrc = 0x1234, pt = 96, marker = false, timestamp = seq * 3600): Uint8Array {
  const payload = new Uint8Array(payloadLength).map((_, i) => (seq + i) & 0xff);
  return serializeRtpPacket({ marker, payloadType: pt, sequenceNumber: seq & 0xffff, timestamp: timestamp % 2 ** 32, ssrc, payload });
}

export function packet(seq: number, ssrc = 0x1234): RtpPacket {
  return {
    version: 2, padding: false, marker: false, payloadType: 96, sequenceNumber: seq & 0xffff,
    timestamp: 0, ssrc, csrcs: [], payload: new Uint8Array(0),
  };
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Bytes from a string of bits; spaces and '|' separate fields for readability: bits('01 001 1 ...'). */
export function bits(layout: string): Uint8Array {
  const digits = layout.replace(/[\s|]/g, '');
  if (!/^[01]*$/.test(digits) || digits.length % 8 !== 0) throw new Error(`bits(): ${digits.length} bits, not whole bytes: ${layout}`);
  const out = new Uint8Array(digits.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(i * 8, i * 8 + 8), 2);
  return out;
}

/** `value` as a `width`-bit binary string (for bits()); arithmetic, so 33-bit values work. */
export function bin(value: number, width: number): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    s = String(value % 2) + s;
    value = Math.floor(value / 2);
  }
  return s;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (h) => parseInt(h, 16));

/** Splits `data` into chunks at seeded random points (sizes 1..maxChunk). */
export function randomSplit(data: Uint8Array, rand: () => number, maxChunk = 300): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.byteLength; ) {
    const n = 1 + Math.floor(rand() * maxChunk);
    out.push(data.subarray(off, Math.min(data.byteLength, off + n)));
    off += n;
  }
  return out;
}
