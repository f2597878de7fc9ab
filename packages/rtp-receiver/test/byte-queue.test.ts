/** The queue's start-code searches (native over a Buffer view of its storage) against a plain byte loop. */
import { describe, expect, test } from 'vitest';
import { ByteQueue, findPackStartCode, findSystemStartCode } from '../src/byte-queue.js';

/** The definition: 00 00 01 id at i, from <= i < limit, i + 3 inside the data, id in [min, max]. */
function reference(v: Uint8Array, from: number, limit: number, min: number, max: number): number {
  for (let i = from; i < Math.min(limit, v.byteLength - 3); i++) {
    if (v[i] === 0 && v[i + 1] === 0 && v[i + 2] === 1 && v[i + 3]! >= min && v[i + 3]! <= max) return i;
  }
  return -1;
}

/** Seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('start-code searches', () => {
  const next = rng(5);
  // Zero-heavy bytes with start codes of every kind: elementary (id < 0xB9), system (>= 0xB9), pack (0xBA).
  const randomBytes = (n: number) =>
    Uint8Array.from({ length: n }, () => {
      const r = next();
      return r < 0.45 ? 0 : r < 0.65 ? 1 : r < 0.75 ? 0xba : r < 0.85 ? 0xe0 : Math.floor(next() * 256);
    });

  test('the free functions agree with the definition on plain arrays and Buffers, with limits', () => {
    for (let n = 0; n < 300; n++) {
      const v = randomBytes(Math.floor(next() * 40));
      for (const bytes of [v, Buffer.from(v)]) {
        for (let from = 0; from <= v.byteLength; from += 3) {
          const limit = Math.floor(next() * (v.byteLength + 2));
          expect(findSystemStartCode(bytes, from, limit)).toBe(reference(v, from, limit, 0xb9, 0xff));
          expect(findPackStartCode(bytes, from, limit)).toBe(reference(v, from, limit, 0xba, 0xba));
        }
      }
    }
  });

  test('the queue searches only its queued bytes, offsets relative to the front, across appends and consumes', () => {
    const q = new ByteQueue();
    const mirror: number[] = [];
    for (let step = 0; step < 400; step++) {
      if (next() < 0.6) {
        const chunk = randomBytes(Math.floor(next() * 700));
        q.append(chunk);
        mirror.push(...chunk);
      } else {
        const n = Math.floor(next() * (q.length + 1));
        q.consume(n);
        mirror.splice(0, n);
      }
      const v = Uint8Array.from(mirror);
      expect(q.view()).toEqual(v);
      const limit = Math.floor(next() * (v.byteLength + 1));
      expect(q.findSystemStartCode()).toBe(reference(v, 0, v.byteLength, 0xb9, 0xff));
      expect(q.findSystemStartCode(0, limit)).toBe(reference(v, 0, limit, 0xb9, 0xff));
      expect(q.findPackStartCode(0, limit)).toBe(reference(v, 0, limit, 0xba, 0xba));
    }
  });
});
