import { describe, expect, test } from 'vitest';
import { RFC4571_MAX_BUFFERED, Rfc4571Deframer, frameRfc4571 } from '../src/index.js';
import { concat, randomSplit, rtp, seededRandom } from './helpers.js';

const pkts = [rtp(1, 20), rtp(2, 1400), rtp(3, 0), rtp(4, 333)];
const framed = concat(pkts.map(frameRfc4571));
const rtcpRr = Uint8Array.of(0x80, 0xc9, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef);
const garbage = (n: number, seed: number) => {
  const r = seededRandom(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
};

interface FramingCase {
  name: string;
  chunks: Uint8Array[];
  decoded: Uint8Array[];
  stats?: { resyncs?: number; skippedBytes?: number };
}

const cases: FramingCase[] = [
  { name: 'whole stream in one read', chunks: [framed], decoded: pkts, stats: { resyncs: 0, skippedBytes: 0 } },
  { name: 'one byte per read', chunks: Array.from(framed, (b) => Uint8Array.of(b)), decoded: pkts, stats: { resyncs: 0 } },
  { name: 'split inside the length field', chunks: [framed.subarray(0, 1), framed.subarray(1, 23), framed.subarray(23)], decoded: pkts },
  ...[1, 2, 3, 4, 5].map((seed) => ({ name: `random splits, seed ${seed}`, chunks: randomSplit(framed, seededRandom(seed)), decoded: pkts, stats: { resyncs: 0 } })),
  {
    name: 'garbage prefix → resync, bytes counted',
    chunks: [concat([garbage(1000, 7), framed])],
    decoded: pkts,
    stats: { resyncs: 1, skippedBytes: 1000 },
  },
  {
    name: 'garbage prefix, one byte per read',
    chunks: Array.from(concat([garbage(300, 8), framed]), (b) => Uint8Array.of(b)),
    decoded: pkts,
    stats: { resyncs: 1, skippedBytes: 300 },
  },
  {
    name: 'garbage between frames',
    chunks: [concat([frameRfc4571(pkts[0]!), frameRfc4571(pkts[1]!), garbage(57, 9), frameRfc4571(pkts[2]!), frameRfc4571(pkts[3]!), frameRfc4571(rtp(5))])],
    decoded: [...pkts, rtp(5)],
    stats: { resyncs: 1, skippedBytes: 57 },
  },
  {
    name: 'a zero length is not a frame',
    chunks: [concat([Uint8Array.of(0, 0), framed])],
    decoded: pkts,
    stats: { resyncs: 1, skippedBytes: 2 },
  },
  {
    name: 'RTCP framed into the same stream',
    chunks: [concat([frameRfc4571(pkts[0]!), frameRfc4571(rtcpRr), frameRfc4571(pkts[1]!), frameRfc4571(pkts[2]!)])],
    decoded: [pkts[0]!, rtcpRr, pkts[1]!, pkts[2]!],
    stats: { resyncs: 0 },
  },
  {
    name: 'a new SSRC mid-stream is followed without skipping bytes',
    chunks: [concat([frameRfc4571(rtp(1)), frameRfc4571(rtp(2)), frameRfc4571(rtp(900, 20, 0x9999)), frameRfc4571(rtp(901, 20, 0x9999)), frameRfc4571(rtp(902, 20, 0x9999))])],
    decoded: [rtp(1), rtp(2), rtp(900, 20, 0x9999), rtp(901, 20, 0x9999), rtp(902, 20, 0x9999)],
    stats: { resyncs: 0, skippedBytes: 0 },
  },
  {
    name: 'the largest frame (65535 bytes)',
    chunks: randomSplit(concat([frameRfc4571(rtp(1, 65535 - 12)), frameRfc4571(rtp(2))]), seededRandom(3), 20000),
    decoded: [rtp(1, 65535 - 12), rtp(2)],
  },
];

describe('Rfc4571Deframer (RFC 4571 section 2)', () => {
  test.each(cases)('$name', ({ chunks, decoded, stats }) => {
    const d = new Rfc4571Deframer();
    const out = chunks.flatMap((c) => d.push(c));
    expect(out.map((f) => Array.from(f))).toEqual(decoded.map((f) => Array.from(f)));
    if (stats) expect(d.stats).toMatchObject(stats);
    // What is held is at most one frame and the bytes to confirm the next.
    expect(d.stats.buffered).toBeLessThanOrEqual(RFC4571_MAX_BUFFERED);
  });

  test('the first frame waits for its successor; once synchronised, frames come out at once', () => {
    const d = new Rfc4571Deframer();
    expect(d.push(frameRfc4571(rtp(1)))).toHaveLength(0);
    expect(d.push(frameRfc4571(rtp(2)))).toHaveLength(2);
    expect(d.push(frameRfc4571(rtp(3)))).toHaveLength(1);
  });

  test('frames are copies: the chunk can be reused', () => {
    const d = new Rfc4571Deframer();
    const chunk = concat([frameRfc4571(rtp(1)), frameRfc4571(rtp(2))]);
    const out = d.push(chunk);
    chunk.fill(0);
    expect(out[0]).toEqual(rtp(1));
  });

  test('6.5 MB of garbage: memory stays bounded, nothing comes out', () => {
    const d = new Rfc4571Deframer();
    const chunk = garbage(64 * 1024, 11);
    let max = 0;
    let frames = 0;
    for (let i = 0; i < 100; i++) {
      frames += d.push(chunk).length;
      max = Math.max(max, d.stats.buffered);
    }
    expect(max).toBeLessThanOrEqual(RFC4571_MAX_BUFFERED);
    expect(d.stats.skippedBytes).toBeGreaterThanOrEqual(100 * 64 * 1024 - RFC4571_MAX_BUFFERED);
    expect(frames).toBe(0);
  });

  test('frameRfc4571 rejects a packet over 65535 bytes', () => {
    expect(() => frameRfc4571(new Uint8Array(65536))).toThrow(/^FIELD_OVERFLOW/);
  });
});
