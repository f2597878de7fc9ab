/**
 * Seeded fuzzing of every parser and depacketizer: random bytes, every truncation
 * of the case-table inputs and random mutations of them. Depacketizers must never
 * throw and never hold more than their cap; parsers may only throw TruncatedError,
 * CodecError or RtspError (no TypeError, RangeError, hang or out-of-range read).
 */
import { CodecError, TruncatedError } from '@sluice/codec';
import { describe, expect, it, test } from 'vitest';
import {
  G711Depacketizer,
  H264Depacketizer,
  H265Depacketizer,
  LatmDepacketizer,
  MAX_ACCESS_UNIT_SIZE,
  MAX_AU_SIZE,
  MAX_BODY,
  MAX_HEADER_BLOCK,
  MAX_LATM_ELEMENT_SIZE,
  Mpeg4GenericDepacketizer,
  AAC_HBR,
  RtspError,
  RtspStreamReader,
  parseMessageHead,
  parseRtcp,
  parseRtpInfo,
  parseSdp,
  parseSession,
  parseStreamMuxConfig,
  parseTransport,
  parseWwwAuthenticate,
  planTracks,
  buildReceiverReport,
  buildSenderReport,
  buildBye,
  type AudioFrame,
  type Depacketizer,
  type RtpPayloadPacket,
  type VideoAccessUnit,
} from '../src/index.js';
import { aacHbrCases, g711Cases, h264Cases, h265Cases, h265DonlCases } from './cases/depacketizers.js';
import { digestCases } from './cases/digest.js';
import { messageCases } from './cases/messages.js';
import { sdpCases } from './cases/sdp.js';
import { rng } from './helpers/bytes.js';

function randomBytes(next: () => number, max: number): Uint8Array {
  return Uint8Array.from({ length: Math.floor(next() * max) }, () => Math.floor(next() * 256));
}

function mutate(next: () => number, seed: Uint8Array): Uint8Array {
  const copy = seed.slice();
  const flips = 1 + Math.floor(next() * 4);
  for (let f = 0; f < flips && copy.byteLength > 0; f++) copy[Math.floor(next() * copy.byteLength)] = Math.floor(next() * 256);
  return copy;
}

function isTyped(err: unknown): boolean {
  return err instanceof TruncatedError || err instanceof CodecError || err instanceof RtspError;
}

interface DepacketizerTarget {
  name: string;
  make: () => Depacketizer<VideoAccessUnit> | Depacketizer<AudioFrame>;
  seeds: RtpPayloadPacket[];
  cap: number;
  /** First payload bytes forced on half of the random packets, to get past the type byte. */
  prefixes: number[][];
}

const latmConfig = parseStreamMuxConfig(Uint8Array.from(Buffer.from('40002420', 'hex')));
const depacketizers: DepacketizerTarget[] = [
  { name: 'H264Depacketizer', make: () => new H264Depacketizer(), seeds: h264Cases.flatMap((c) => c.bytes), cap: MAX_ACCESS_UNIT_SIZE, prefixes: [[0x7c, 0x85], [0x7c, 0x05], [0x7c, 0x45], [0x78]] },
  { name: 'H265Depacketizer', make: () => new H265Depacketizer(), seeds: h265Cases.flatMap((c) => c.bytes), cap: MAX_ACCESS_UNIT_SIZE, prefixes: [[0x62, 0x01, 0x93], [0x62, 0x01, 0x13], [0x60, 0x01]] },
  { name: 'H265Depacketizer (DONL)', make: () => new H265Depacketizer({ donl: true }), seeds: h265DonlCases.flatMap((c) => c.bytes), cap: MAX_ACCESS_UNIT_SIZE, prefixes: [[0x62, 0x01, 0x93], [0x60, 0x01]] },
  { name: 'Mpeg4GenericDepacketizer', make: () => new Mpeg4GenericDepacketizer(AAC_HBR), seeds: aacHbrCases.flatMap((c) => c.bytes), cap: MAX_AU_SIZE, prefixes: [[0x00, 0x10], [0x00, 0x10, 0xff, 0xf8]] },
  {
    name: 'LatmDepacketizer',
    make: () => new LatmDepacketizer(latmConfig),
    seeds: [{ sequenceNumber: 1, timestamp: 0, marker: true, payload: Uint8Array.of(4, 1, 2, 3, 4) }],
    cap: MAX_LATM_ELEMENT_SIZE, prefixes: [[0xff, 0xff], [0x10]] },
  { name: 'G711Depacketizer', make: () => new G711Depacketizer(), seeds: g711Cases.flatMap((c) => c.bytes), cap: 0, prefixes: [[0xd5]] },
];

describe('fuzz: depacketizers (seeded)', () => {
  test.each(depacketizers.map((t, i) => ({ ...t, seed: 4000 + i })))('$name never throws and stays under its cap', (t) => {
    const next = rng(t.seed);
    const d = t.make();
    let seq = Math.floor(next() * 65536);
    let ts = Math.floor(next() * 2 ** 32);
    let frames = 0;
    const push = (payload: Uint8Array): void => {
      // Mostly in order, sometimes a gap or a repeat; the timestamp moves now and then.
      const r = next();
      seq = (seq + (r < 0.9 ? 1 : r < 0.95 ? 2 + Math.floor(next() * 5) : 0)) % 65536;
      if (next() < 0.2) ts = (ts + 3000) % 2 ** 32;
      frames += d.push({ sequenceNumber: seq, timestamp: ts, marker: next() < 0.3, payload }).length;
      expect(d.bufferedBytes).toBeLessThanOrEqual(t.cap + 2 * 65536);
    };
    for (let i = 0; i < 3000; i++) {
      const bytes = randomBytes(next, 1500);
      if (i % 2 === 0 && t.prefixes.length > 0) bytes.set(t.prefixes[i % t.prefixes.length]!.slice(0, bytes.byteLength));
      push(bytes);
    }
    for (const p of t.seeds) {
      for (let len = 0; len < p.payload.byteLength; len++) push(p.payload.subarray(0, len));
      for (let i = 0; i < 30; i++) push(mutate(next, p.payload));
    }
    d.flush();
    expect(d.counters.packets).toBeGreaterThanOrEqual(3000);
    expect(frames + d.counters.badPackets + d.counters.droppedFrames).toBeGreaterThan(0);
  });

  it('an endless fragmented unit is dropped at the cap, not held (H.264 FU-A, H.265 FU, AAC, LATM)', () => {
    const chunk = new Uint8Array(1400).fill(0x11);
    const cases: [Depacketizer<VideoAccessUnit> | Depacketizer<AudioFrame>, Uint8Array, Uint8Array, number][] = [
      [new H264Depacketizer(), Uint8Array.of(0x7c, 0x85), Uint8Array.of(0x7c, 0x05), MAX_ACCESS_UNIT_SIZE],
      [new H265Depacketizer(), Uint8Array.of(0x62, 0x01, 0x93), Uint8Array.of(0x62, 0x01, 0x13), MAX_ACCESS_UNIT_SIZE],
      [new LatmDepacketizer(latmConfig), new Uint8Array(0), new Uint8Array(0), MAX_LATM_ELEMENT_SIZE],
    ];
    for (const [d, start, middle, cap] of cases) {
      const withHeader = (h: Uint8Array): Uint8Array => {
        const out = new Uint8Array(h.byteLength + chunk.byteLength);
        out.set(h);
        out.set(chunk, h.byteLength);
        return out;
      };
      d.push({ sequenceNumber: 0, timestamp: 0, marker: false, payload: withHeader(start) });
      let max = 0;
      for (let seq = 1; seq < (cap / chunk.byteLength) * 2; seq++) {
        d.push({ sequenceNumber: seq % 65536, timestamp: 0, marker: false, payload: withHeader(middle) });
        max = Math.max(max, d.bufferedBytes);
      }
      expect(max).toBeLessThanOrEqual(cap);
      d.flush();
      expect(d.counters.droppedFrames).toBeGreaterThan(0);
    }
  });
});

interface ParserTarget {
  name: string;
  run: (input: Uint8Array) => unknown;
  seeds: Uint8Array[];
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

const parsers: ParserTarget[] = [
  {
    name: 'RtspStreamReader (random chunking)',
    run: (b) => {
      const reader = new RtspStreamReader();
      for (let o = 0; o < b.byteLength; o += 7) {
        reader.push(b.subarray(o, o + 7));
        expect(reader.buffered).toBeLessThanOrEqual(MAX_HEADER_BLOCK + MAX_BODY + 65536 + 8);
      }
    },
    seeds: messageCases.map((c) => c.bytes),
  },
  { name: 'parseMessageHead', run: parseMessageHead, seeds: messageCases.map((c) => c.bytes) },
  { name: 'parseSdp + planTracks', run: (b) => planTracks(parseSdp(text(b)), 'rtsp://cam/'), seeds: sdpCases.map((c) => ascii(c.bytes)) },
  { name: 'parseTransport', run: (b) => parseTransport(text(b)), seeds: [ascii('RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=1A2B3C4D;mode="PLAY"'), ascii('RTP/AVP;unicast;client_port=5000-5001;server_port=6970-6971;source=10.0.0.1')] },
  { name: 'parseSession', run: (b) => parseSession(text(b)), seeds: [ascii('12345678;timeout=60')] },
  { name: 'parseRtpInfo', run: (b) => parseRtpInfo(text(b)), seeds: [ascii('url=rtsp://cam/a;seq=1;rtptime=2,url=rtsp://cam/b;seq=3;rtptime=4')] },
  { name: 'parseWwwAuthenticate', run: (b) => parseWwwAuthenticate([text(b)]), seeds: digestCases.map((c) => ascii(c.bytes)) },
  {
    name: 'parseRtcp',
    run: parseRtcp,
    seeds: [
      buildSenderReport({ ssrc: 1, ntpMsw: 2, ntpLsw: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6 }),
      buildReceiverReport(1, [{ ssrc: 2, fractionLost: 3, cumulativeLost: 4, highestSequence: 5, jitter: 6, lastSr: 7, delaySinceLastSr: 8 }]),
      buildBye([1, 2, 3]),
    ],
  },
  { name: 'parseStreamMuxConfig', run: parseStreamMuxConfig, seeds: [Uint8Array.from(Buffer.from('40002420', 'hex'))] },
];

describe('fuzz: parsers (seeded)', () => {
  test.each(parsers.map((t, i) => ({ ...t, seed: 5000 + i })))('$name only throws typed errors', (t) => {
    const next = rng(t.seed);
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 500; i++) inputs.push(randomBytes(next, 256));
    for (const seed of t.seeds) {
      const step = Math.max(1, Math.floor(seed.byteLength / 150));
      for (let len = 0; len < seed.byteLength; len += step) inputs.push(seed.subarray(0, len));
      for (let i = 0; i < 60; i++) inputs.push(mutate(next, seed));
    }
    for (const input of inputs) {
      try {
        t.run(input);
      } catch (err) {
        if (!isTyped(err)) throw err;
      }
    }
  });
});
