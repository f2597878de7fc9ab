/**
 * Faults on the way from a camera: reordering, loss (1 %, 5 %, seeded), duplicates,
 * late packets, an SSRC change, garbage and truncated PES. The pipeline survives,
 * counts, delivers every frame it can prove intact (and nothing after a loss until
 * the next keyframe), and its memory stays bounded.
 *
 * The UDP path runs on a simulated clock (the receive times below) through the same
 * pieces RtpUdpReceiver chains: parseRtpPacket → ReorderBuffer → RtpPayloadDemuxer.
 */
import { EventEmitter } from 'node:events';
import type { Socket as UdpSocket } from 'node:dgram';
import { describe, expect, test } from 'vitest';
import {
  MAX_ACCESS_UNIT_BYTES, PsDemuxer, ReorderBuffer, RtpPayloadDemuxer, RtpUdpReceiver, SSRC_RELOCK_PACKETS, parseRtpPacket,
  serializeRtpPacket, type ElementaryFrame,
} from '../src/index.js';
import { buildPsRtpPackets, type PsRtpStream } from '../../../test/helpers/ps-rtp.js';
import { seededRandom } from './helpers.js';

interface Arrival {
  readonly bytes: Uint8Array;
  readonly atMs: number;
}

function pipeline(arrivals: readonly Arrival[]) {
  const reorder = new ReorderBuffer({ maxDelayMs: 100 });
  const demux = new RtpPayloadDemuxer();
  const frames: ElementaryFrame[] = [];
  let maxHeld = 0;
  for (const a of [...arrivals].sort((x, y) => x.atMs - y.atMs)) {
    for (const p of reorder.push(parseRtpPacket(a.bytes), a.atMs)) frames.push(...demux.push(p));
    maxHeld = Math.max(maxHeld, reorder.size);
  }
  for (const p of reorder.drain(Infinity)) frames.push(...demux.push(p));
  frames.push(...demux.flush());
  return { frames, reorder, demux, maxHeld };
}

const isVideo = (f: ElementaryFrame) => f.codec === 'h264' || f.codec === 'h265';
/** Video frame index from its PTS (the generator starts at 90000, 25 fps). */
const indexOf = (f: ElementaryFrame) => (f.pts - 90000) / 3600;

/**
 * Which video frames an honest receiver delivers when the packets in `lost` never
 * arrive: a frame with all its packets, unless a packet was lost since the last
 * keyframe delivered (its references are gone).
 */
function deliverable(s: PsRtpStream, lost: ReadonlySet<number>): number[] {
  const out: number[] = [];
  let tainted = true;
  let prevEnd = -1;
  s.videoPacketRanges.forEach(([a, b], k) => {
    for (let i = prevEnd + 1; i < a; i++) if (lost.has(i)) tainted = true;
    prevEnd = b;
    let whole = true;
    for (let i = a; i <= b; i++) if (lost.has(i)) whole = false;
    if (!whole) tainted = true;
    else if (s.keyframes[k]) {
      tainted = false;
      out.push(k);
    } else if (!tainted) out.push(k);
  });
  return out;
}

const audioPackets = (s: PsRtpStream) => {
  const video = new Set<number>();
  for (const [a, b] of s.videoPacketRanges) for (let i = a; i <= b; i++) video.add(i);
  return s.packets.map((_, i) => i).filter((i) => !video.has(i));
};

/** Random bytes to take garbage from (cheaper than a random call per byte). */
function randomPool(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const words = new Uint32Array(out.buffer);
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(rand() * 2 ** 32);
  return out;
}

const stream = () => buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 6, ssrc: 0x5151 });

describe('faults', () => {
  test('reordering within the delay: every frame, in order', async () => {
    const s = await stream();
    const rand = seededRandom(1);
    const arrivals = s.packets.map((bytes, i) => ({ bytes, atMs: s.sendTimesMs[i]! + rand() * 30 }));
    const { frames, reorder, maxHeld } = pipeline(arrivals);
    expect(reorder.stats.reordered).toBeGreaterThan(20);
    expect(reorder.stats.lost).toBe(0);
    expect(frames.filter(isVideo)).toHaveLength(s.frames.video);
    expect(frames.filter((f) => !isVideo(f))).toHaveLength(s.frames.audio);
    expect(maxHeld).toBeLessThanOrEqual(256);
  });

  test.each([
    { name: '1 % loss', rate: 0.01, seed: 2 },
    { name: '5 % loss', rate: 0.05, seed: 3 },
  ])('$name (seeded): exactly the provably intact frames, resuming at keyframes', async ({ rate, seed }) => {
    const s = await stream();
    const rand = seededRandom(seed);
    const lost = new Set(s.packets.map((_, i) => i).filter(() => rand() < rate));
    const arrivals = s.packets.flatMap((bytes, i) => (lost.has(i) ? [] : [{ bytes, atMs: s.sendTimesMs[i]! }]));
    const { frames, reorder, demux } = pipeline(arrivals);
    const want = deliverable(s, lost);
    const video = frames.filter(isVideo);
    expect(video.map(indexOf)).toEqual(want);
    for (const f of video) expect(f.data).toEqual(s.videoFrames[indexOf(f)]);
    expect(want.length).toBeGreaterThan(0);
    expect(frames.filter((f) => !isVideo(f))).toHaveLength(audioPackets(s).filter((i) => !lost.has(i)).length);
    // Loss before the first or after the last packet received is invisible to a receiver.
    const received = s.packets.map((_, i) => i).filter((i) => !lost.has(i));
    const visible = [...lost].filter((i) => i > received[0]! && i < received[received.length - 1]!).length;
    expect(reorder.stats.lost).toBe(visible);
    expect(demux.stats.lostPackets).toBe(visible);
    expect(demux.stats.bufferedBytes).toBe(0);
  });

  test('duplicates are dropped and counted', async () => {
    const s = await stream();
    const rand = seededRandom(4);
    const arrivals: Arrival[] = [];
    let dups = 0;
    s.packets.forEach((bytes, i) => {
      arrivals.push({ bytes, atMs: s.sendTimesMs[i]! });
      if (rand() < 0.05) {
        dups++;
        arrivals.push({ bytes, atMs: s.sendTimesMs[i]! + rand() * 50 });
      }
    });
    const { frames, reorder } = pipeline(arrivals);
    expect(reorder.stats.duplicates).toBe(dups);
    expect(frames.filter(isVideo)).toHaveLength(s.frames.video);
  });

  test('late packets (beyond the delay) count as lost, then late; frames resume at the next keyframe', async () => {
    const s = await stream();
    const lateOnes = new Set([30, 200, 201, 420]);
    const arrivals = s.packets.map((bytes, i) => ({ bytes, atMs: s.sendTimesMs[i]! + (lateOnes.has(i) ? 400 : 0) }));
    const { frames, reorder } = pipeline(arrivals);
    expect(reorder.stats.lost).toBe(lateOnes.size);
    expect(reorder.stats.late).toBe(lateOnes.size);
    expect(frames.filter(isVideo).map(indexOf)).toEqual(deliverable(s, lateOnes));
  });

  test('a truncated PES (bytes missing, no sequence gap): the frame is dropped, video resumes at the next keyframe', async () => {
    const s = await stream();
    // Cut 300 bytes out of the middle packet of a frame that spans several packets.
    const k = s.videoPacketRanges.findIndex(([a, b], i) => b - a >= 2 && !s.keyframes[i] && i > 5);
    const [a, b] = s.videoPacketRanges[k]!;
    const victim = Math.floor((a + b) / 2);
    const p = parseRtpPacket(s.packets[victim]!);
    const cut = serializeRtpPacket({ ...p, payload: p.payload.subarray(0, p.payload.byteLength - 300) });
    const arrivals = s.packets.map((bytes, i) => ({ bytes: i === victim ? cut : bytes, atMs: s.sendTimesMs[i]! }));
    const { frames, demux } = pipeline(arrivals);
    expect(frames.filter(isVideo).map(indexOf)).toEqual(deliverable(s, new Set([victim])));
    expect(demux.demuxer!.stats).toMatchObject({ shortPes: 1 });
  });

  test('garbage: junk datagrams and junk RTP payloads between frames are counted; frames are intact', async () => {
    const s = await stream();
    const rand = seededRandom(5);
    const junk = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    const socket = new EventEmitter();
    const receiver = new RtpUdpReceiver(socket as unknown as UdpSocket);
    const demux = new RtpPayloadDemuxer();
    const frames: ElementaryFrame[] = [];
    receiver.on('packet', (p) => frames.push(...demux.push(p)));
    const send = (b: Uint8Array) => socket.emit('message', Buffer.from(b), { address: '192.0.2.1', port: 5000, family: 'IPv4', size: b.byteLength });
    // Renumber so that the junk RTP packets take sequence numbers of their own (no gap).
    let seq = 0;
    const renumber = (b: Uint8Array) => {
      const p = parseRtpPacket(b);
      return serializeRtpPacket({ ...p, sequenceNumber: seq++ & 0xffff });
    };
    const ends = new Set(s.videoPacketRanges.map(([, b]) => b));
    let junkPayloads = 0;
    s.packets.forEach((b, i) => {
      send(renumber(b));
      if (i % 7 === 0) send(junk(1 + Math.floor(rand() * 1400))); // not RTP at all (version bits random)
      if (ends.has(i) && i % 3 === 0) {
        junkPayloads++;
        send(serializeRtpPacket({ marker: false, payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: 0, ssrc: 0x5151, payload: junk(500).map((x) => (x === 0 ? 1 : x)) }));
      }
    });
    receiver.close();
    frames.push(...demux.flush());
    expect(frames.filter(isVideo)).toHaveLength(s.frames.video);
    frames.filter(isVideo).forEach((f, i) => expect(f.data).toEqual(s.videoFrames[i]));
    expect(receiver.stats.badPackets + receiver.stats.packets).toBeGreaterThan(s.packets.length);
    expect(receiver.stats.badPackets).toBeGreaterThan(0);
    expect((demux.demuxer as PsDemuxer).stats.droppedBytes).toBe(junkPayloads * 500);
  });

  test.each([
    { name: 'implicit lock (ssrc 0): follows the new camera, from its next keyframe', ssrc: 0 },
    { name: 'explicit ssrc: the new sender is only counted', ssrc: 0x1111 },
  ])('SSRC change mid-stream, $name', async ({ ssrc }) => {
    const a = await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 2, ssrc: 0x1111 });
    const b = await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 2, ssrc: 0x2222, firstSequence: 40000, firstTimestamp: 123456, firstPts: 5_000_000 });
    const socket = new EventEmitter();
    const receiver = new RtpUdpReceiver(socket as unknown as UdpSocket, { ssrc });
    const demux = new RtpPayloadDemuxer();
    const frames: ElementaryFrame[] = [];
    receiver.on('packet', (p) => frames.push(...demux.push(p)));
    for (const bytes of [...a.packets, ...b.packets]) socket.emit('message', Buffer.from(bytes), { address: '192.0.2.1', port: 5000, family: 'IPv4', size: bytes.byteLength });
    receiver.close();
    frames.push(...demux.flush());
    const video = frames.filter(isVideo);
    if (ssrc === 0) {
      // The lock moves after SSRC_RELOCK_PACKETS packets of the new sender; its first keyframe went by, the next is frame 25.
      expect(receiver.stats.ssrcMismatches).toBe(SSRC_RELOCK_PACKETS);
      expect(receiver.stats.ssrcChanges).toBe(2);
      expect(receiver.ssrc).toBe(0x2222);
      expect(video).toHaveLength(a.frames.video + 25);
      const fromB = video.slice(a.frames.video);
      expect(fromB[0]!.keyframe).toBe(true);
      fromB.forEach((f, i) => expect(f.data).toEqual(b.videoFrames[25 + i]));
    } else {
      expect(receiver.stats.ssrcMismatches).toBe(b.packets.length);
      expect(video).toHaveLength(a.frames.video);
    }
    for (let i = 1; i < video.length; i++) expect(video[i]!.dts).toBeGreaterThan(video[i - 1]!.dts);
  });

  test('100k garbage RTP packets: no throw, buffers stay under their caps', () => {
    const rand = seededRandom(6);
    const pool = randomPool(rand, 1 << 20);
    const payload = new Uint8Array(1400);
    for (const format of ['ps', 'ts'] as const) {
      const demux = new RtpPayloadDemuxer({ format });
      let maxHeld = 0;
      let frames = 0;
      for (let i = 0; i < 100_000; i++) {
        const at = Math.floor(rand() * (pool.length - 1400));
        payload.set(pool.subarray(at, at + 1400));
        if (format === 'ps' && i % 3 === 0) {
          // Plant a plausible start: pack header, then an unbounded video PES (grows until the cap).
          payload.set([0, 0, 1, 0xba, 0x44, 0, 4, 0, 4, 1, 0, 0, 3, 0xf8, 0, 0, 1, 0xe0, 0, 0, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1]);
        }
        frames += demux.push({ version: 2, padding: false, marker: rand() < 0.01, payloadType: 96, sequenceNumber: i & 0xffff, timestamp: i * 3600, ssrc: 1, csrcs: [], payload }).length;
        if (i % 100 === 0) maxHeld = Math.max(maxHeld, demux.stats.bufferedBytes);
      }
      expect(maxHeld).toBeLessThanOrEqual(MAX_ACCESS_UNIT_BYTES + 2 * 65536);
      expect(frames).toBeLessThan(100);
    }
  });

  test('100k garbage datagrams: counted, nothing held', () => {
    const rand = seededRandom(7);
    const socket = new EventEmitter();
    const receiver = new RtpUdpReceiver(socket as unknown as UdpSocket);
    let packets = 0;
    receiver.on('packet', () => packets++);
    const pool = randomPool(rand, 1 << 20);
    for (let i = 0; i < 100_000; i++) {
      const at = Math.floor(rand() * (pool.length - 200));
      const junk = pool.subarray(at, at + 200);
      socket.emit('message', Buffer.from(junk), { address: '192.0.2.1', port: 5000, family: 'IPv4', size: 200 });
    }
    receiver.close();
    const st = receiver.stats;
    expect(st.badPackets + st.packets + st.rtcpPackets).toBe(100_000);
    expect(st.heldPackets).toBe(0);
    expect(st.received).toBeLessThanOrEqual(st.packets);
    expect(packets).toBeLessThanOrEqual(st.received);
  });
});
