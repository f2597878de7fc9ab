/**
 * The RTP remux worker pool against the inline path: same frames for the same
 * input, order per stream with many streams interleaved over several threads,
 * bounded queues that drop and count, and a clean shutdown.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MediaFrame, Track } from '@sluice/codec';
import { parseRtpPacket, type RtpPacket } from '@sluice/rtp-receiver';
import { buildPsRtpPackets, seededRandom, sendUdp } from '../../../test/helpers/ps-rtp.js';
import { buildTsRtpPackets } from '../../../test/helpers/ts-rtp.js';
import { waitFor } from '../../../test/helpers/wait.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { Logger } from '../src/log.js';
import { SluiceServer, parseRemuxMode } from '../src/server.js';
import { FrameRowWriter, PacketBatchWriter, readPacketBatch, replayFrameRows } from '../src/workers/messages.js';
import { InlineRemux, type RemuxOutput, type RemuxPath } from '../src/workers/remux-path.js';
import { RemuxPool } from '../src/workers/remux-pool.js';

type Event =
  | { op: 'track'; kind: string; codec: string; id: number; timescale: number; config: Buffer }
  | { op: 'frame'; trackId: number; kind: string; dts: number; pts: number; keyframe: boolean; timescale: number; bytes: Buffer };

/** Records what a remux path delivers, in order, with the bytes copied out. */
class Recorder implements RemuxOutput {
  readonly events: Event[] = [];
  errors = 0;
  setTrack(t: Track): void {
    this.events.push({ op: 'track', kind: t.kind, codec: t.codec, id: t.id, timescale: t.timescale, config: Buffer.from(t.decoderConfig) });
  }
  pushFrame(f: MediaFrame, timescale: number): void {
    this.events.push({ op: 'frame', trackId: f.trackId, kind: f.kind, dts: f.dts, pts: f.pts, keyframe: f.keyframe, timescale, bytes: Buffer.from(f.data) });
  }
  demuxErrors(count: number): void {
    this.errors += count;
  }
  get frames(): Extract<Event, { op: 'frame' }>[] {
    return this.events.filter((e): e is Extract<Event, { op: 'frame' }> => e.op === 'frame');
  }
}

const pools: RemuxPool[] = [];
function newPool(options: ConstructorParameters<typeof RemuxPool>[0] = {}): RemuxPool {
  const pool = new RemuxPool(options);
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});
afterAll(async () => {
  await Promise.all(pools.splice(0).map((p) => p.destroy()));
});

function inline(packets: readonly RtpPacket[]): Recorder {
  const rec = new Recorder();
  const path = new InlineRemux(rec);
  for (const p of packets) path.push(p);
  return rec;
}

const parse = (raw: readonly Uint8Array[]): RtpPacket[] => raw.map((b) => parseRtpPacket(b));

const CASES = [
  { name: 'PS, H.264 + AAC', build: () => buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 2, ssrc: 0x101 }) },
  { name: 'PS, H.265 + G.711A, PES length 0', build: () => buildPsRtpPackets({ video: 'h265', audio: 'pcma', seconds: 2, ssrc: 0x102, pesLengthZero: true }) },
  { name: 'TS, H.264 + AAC', build: () => buildTsRtpPackets({ video: 'h264', audio: 'aac', seconds: 2, ssrc: 0x103 }) },
] as const;

describe('remux worker pool', () => {
  it.each(CASES)('delivers the same tracks and frames as the inline path: $name', async ({ build }) => {
    const packets = parse((await build()).packets);
    const expected = inline(packets);
    expect(expected.frames.length).toBeGreaterThan(50);
    expect(expected.frames.some((f) => f.kind === 'video' && f.keyframe)).toBe(true);
    expect(expected.frames.some((f) => f.kind === 'audio')).toBe(true);

    const pool = newPool({ threads: 1, flushMs: 1 });
    const got = new Recorder();
    const path = pool.attach(got);
    // Arrive in small bursts, as from a socket, so several batches are in play.
    for (let i = 0; i < packets.length; i++) {
      path.push(packets[i]!);
      if (i % 7 === 6) await new Promise((r) => (i % 28 === 27 ? setTimeout(r, 2) : setImmediate(r)));
    }
    await pool.drain();
    expect(got.events).toEqual(expected.events);
    expect(path.stats).toMatchObject({ packets: packets.length, droppedPackets: 0, demuxErrors: 0 });
    expect(path.stats.elementaryFrames).toBeGreaterThan(0);
    expect(path.stats.batches).toBeGreaterThan(1);
  });

  it('keeps each stream in order with many streams interleaved over two threads (loss and garbage included)', async () => {
    const rand = seededRandom(7);
    const streams = await Promise.all(
      [0, 1, 2, 3, 4, 5].map(async (i) => {
        const built = await buildPsRtpPackets({
          video: i % 2 ? 'h265' : 'h264',
          audio: i % 3 ? 'aac' : 'pcmu',
          seconds: 2,
          ssrc: 0x200 + i,
          firstSequence: 65000 + i * 100,
          firstPts: 2 ** 33 - 45000 * (i + 1),
        });
        let packets = parse(built.packets);
        // Stream 4 loses packets, stream 5 gets a garbage payload in the middle: state must stay per stream.
        if (i === 4) packets = packets.filter(() => rand() > 0.02);
        if (i === 5) packets.splice(40, 0, { ...packets[40]!, sequenceNumber: (packets[39]!.sequenceNumber + 1) & 0xffff, payload: new Uint8Array(900).fill(0x47) });
        if (i === 5) for (let k = 41; k < packets.length; k++) packets[k] = { ...packets[k]!, sequenceNumber: (packets[k]!.sequenceNumber + 1) & 0xffff };
        return { packets, expected: inline(packets) };
      }),
    );
    const pool = newPool({ threads: 2, flushMs: 2 });
    const recs = streams.map(() => new Recorder());
    const paths = recs.map((r) => pool.attach(r));
    const cursors = streams.map(() => 0);
    // Round robin in random-sized bursts, yielding now and then so replies land mid-stream.
    while (cursors.some((c, i) => c < streams[i]!.packets.length)) {
      for (let i = 0; i < streams.length; i++) {
        const n = Math.floor(rand() * 12);
        for (let k = 0; k < n && cursors[i]! < streams[i]!.packets.length; k++) paths[i]!.push(streams[i]!.packets[cursors[i]!++]!);
      }
      if (rand() < 0.3) await new Promise((r) => setTimeout(r, rand() * 4));
    }
    await pool.drain();
    for (let i = 0; i < streams.length; i++) {
      expect(recs[i]!.events, `stream ${i}`).toEqual(streams[i]!.expected.events);
      for (const kind of ['video', 'audio']) {
        const dts = recs[i]!.frames.filter((f) => f.kind === kind).map((f) => f.dts);
        expect(dts.every((d, k) => k === 0 || d > dts[k - 1]!), `stream ${i} ${kind} dts increasing`).toBe(true);
      }
    }
    // Both threads got streams.
    const used = new Set((await pool.inspect()).filter((t) => t.sessions > 0).map((t) => t.threadId));
    expect(used.size).toBe(2);
  });

  it('drops and counts when a stream\'s queue is full instead of growing it, then recovers at the next keyframe', async () => {
    const packets = parse((await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 3, ssrc: 0x300 })).packets);
    const cap = 40;
    const pool = newPool({ threads: 1, maxPendingPacketsPerStream: cap, flushBytes: 8 * 1024 });
    const rec = new Recorder();
    const path = pool.attach(rec);
    // A burst the I/O thread never yields in: the first batch leaves at flushBytes, nothing comes back
    // meanwhile, so everything past one batch and `cap` waiting packets is dropped.
    const half = Math.floor(packets.length / 2);
    for (let i = 0; i < half; i++) path.push(packets[i]!);
    const firstBatch = path.stats.batches;
    expect(firstBatch).toBe(1);
    const dropped = path.stats.droppedPackets;
    expect(dropped).toBeGreaterThan(half / 2);
    expect(pool.stats.droppedPackets).toBe(dropped);
    // Sent: the first batch (≥ 8 KiB worth of packets) plus at most `cap` waiting.
    expect(half - dropped).toBeLessThanOrEqual(Math.ceil((8 * 1024) / 1000) + 1 + cap);
    await pool.drain();
    // The rest arrives at a normal pace: the stream resumes at a keyframe and goes on.
    for (let i = half; i < packets.length; i++) {
      path.push(packets[i]!);
      if (i % 20 === 0) await pool.drain();
    }
    await pool.drain();
    expect(path.stats.droppedPackets).toBe(dropped);
    const lateVideo = rec.frames.filter((f) => f.kind === 'video' && f.dts > 90000 * 2.5);
    expect(lateVideo.length).toBeGreaterThan(5);
    expect(rec.frames.find((f) => f.kind === 'video' && f.dts >= 90000 * 1.5)?.keyframe).toBe(true);
  });

  it('drops the worker-side state of a closed stream, and shuts down with no thread left', async () => {
    const packets = parse((await buildPsRtpPackets({ video: 'h264', seconds: 1, ssrc: 0x400 })).packets);
    const pool = newPool({ threads: 2 });
    const a = pool.attach(new Recorder());
    const b = pool.attach(new Recorder());
    for (const p of packets) {
      a.push(p);
      b.push(p);
    }
    await pool.drain();
    expect((await pool.inspect()).reduce((n, t) => n + t.sessions, 0)).toBe(2);
    a.close();
    a.close(); // idempotent
    await pool.drain();
    expect((await pool.inspect()).reduce((n, t) => n + t.sessions, 0)).toBe(1);

    const threads = pool.workerThreads;
    expect(threads.length).toBe(2);
    const exits = threads.map((t) => new Promise((r) => t.once('exit', r)));
    b.push(packets[0]!); // something pending at shutdown is dropped, not waited for
    await pool.destroy();
    await Promise.all(exits);
    expect(pool.workerThreads.length).toBe(0);
    await pool.destroy(); // idempotent
    expect(() => pool.attach(new Recorder())).toThrow(/destroyed/);
  });

  it('frames after close are discarded, and a closed path ignores packets', async () => {
    const packets = parse((await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 1, ssrc: 0x500 })).packets);
    const pool = newPool({ threads: 1 });
    const rec = new Recorder();
    const path: RemuxPath = pool.attach(rec);
    for (const p of packets) path.push(p);
    path.close();
    path.push(packets[0]!);
    await pool.drain();
    expect(rec.events).toEqual([]);
    expect(path.stats.packets).toBe(packets.length);
  });
});

describe('remux messages', () => {
  it('round-trips a packet batch and frame rows, and reuses a returned batch buffer', () => {
    const w = new PacketBatchWriter(16);
    const payloads = [new Uint8Array([1, 2, 3]), new Uint8Array(3000).fill(9), new Uint8Array(0)];
    payloads.forEach((payload, i) =>
      w.append(i + 1, { version: 2, padding: false, marker: i === 1, payloadType: 96, sequenceNumber: 65535 - i, timestamp: 0xfffffff0 + i, ssrc: 0xdeadbeef, csrcs: [], payload }),
    );
    const { batch, byteLength, packets } = w.take();
    expect(packets).toBe(3);
    expect(w.byteLength).toBe(0);
    const seen: Array<[number, RtpPacket]> = [];
    readPacketBatch(batch, byteLength, (s, p) => seen.push([s, p]));
    expect(seen.map(([s, p]) => [s, p.sequenceNumber, p.timestamp, p.ssrc, p.marker, p.payloadType, Buffer.from(p.payload)])).toEqual(
      payloads.map((payload, i) => [i + 1, 65535 - i, 0xfffffff0 + i, 0xdeadbeef, i === 1, 96, Buffer.from(payload)]),
    );
    expect(() => readPacketBatch(batch, byteLength - 1, () => undefined)).toThrow(/19 bytes after the last packet record/);
    expect(() => readPacketBatch(batch, byteLength - 30, () => undefined)).toThrow(/runs past the batch/);
    // A buffer handed back is written again (after the one being filled) rather than a new one allocated.
    w.recycle(batch);
    const one = { version: 2, padding: false, marker: false, payloadType: 8, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [], payload: new Uint8Array([4]) };
    w.append(1, one);
    expect(w.take().batch).not.toBe(batch);
    w.append(1, one);
    expect(w.take().batch).toBe(batch);

    const writer = new FrameRowWriter();
    const track: Track = { kind: 'audio', id: 2, codec: 'pcma', timescale: 8000, sampleRate: 8000, channels: 1, codecString: 'alaw', decoderConfig: new Uint8Array(0) };
    const s7 = writer.for(7);
    const s9 = writer.for(9);
    s7.setTrack(track);
    s7.pushFrame({ trackId: 2, kind: 'audio', dts: 2 ** 40, pts: 2 ** 40, keyframe: true, data: new Uint8Array([5, 6]) }, 8000);
    s9.pushFrame({ trackId: 1, kind: 'video', dts: 3000, pts: 6000, keyframe: false, data: new Uint8Array([7]) }, 90000);
    s7.pushFrame({ trackId: 1, kind: 'video', dts: 3600, pts: 3600, keyframe: true, data: new Uint8Array([8, 9, 10]) }, 90000);
    const rec7 = new Recorder();
    const rec9 = new Recorder();
    // Stream 9 is gone on the main side: its frames are skipped, the others' bytes still line up.
    replayFrameRows(writer.finish(), (s) => (s === 7 ? rec7 : undefined));
    expect(rec7.events).toEqual([
      { op: 'track', kind: 'audio', codec: 'pcma', id: 2, timescale: 8000, config: Buffer.alloc(0) },
      { op: 'frame', trackId: 2, kind: 'audio', dts: 2 ** 40, pts: 2 ** 40, keyframe: true, timescale: 8000, bytes: Buffer.from([5, 6]) },
      { op: 'frame', trackId: 1, kind: 'video', dts: 3600, pts: 3600, keyframe: true, timescale: 90000, bytes: Buffer.from([8, 9, 10]) },
    ]);
    expect(rec9.events).toEqual([]);
  });

  it('rtp_proxy.remux accepts inline and worker only (default inline, see benchmarks/RESULTS.md)', () => {
    expect(loadConfig({ env: {} })['rtp_proxy.remux']).toBe('inline');
    expect(parseRemuxMode(loadConfig({ env: { SLUICE_RTPPROXY_REMUX: 'worker' } })['rtp_proxy.remux'])).toBe('worker');
    expect(parseRemuxMode(' Worker ')).toBe('worker');
    expect(() => parseRemuxMode('threads')).toThrow(ConfigError);
  });
});

describe('RTP servers in the relay', () => {
  // A range per test process, below the ephemeral ports, away from rtp-api.test.ts (24000+).
  const rangeStart = 26000 + (process.pid % 100) * 20;
  const threads = (): number => readdirSync('/proc/self/task').length;

  it.each(['worker', 'inline'] as const)('publish what cameras send with rtp_proxy.remux = %s, and stop with no remux thread left', async (mode) => {
    const server = new SluiceServer({
      config: loadConfig({
        env: {},
        overrides: {
          'http.port': 0,
          'http.bindIp': '127.0.0.1',
          'api.secret': 's',
          'general.dataDir': mkdtempSync(join(tmpdir(), 'sluice-remux-')),
          'rtp_proxy.port_range': `${rangeStart}-${rangeStart + 19}`,
          'rtp_proxy.remux': mode,
        },
      }),
      log: new Logger({ level: 'error' }),
    });
    await server.start();
    try {
      const before = threads();
      const camera = await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 2, ssrc: 0x600 });
      const [a, b] = await Promise.all(['camA', 'camB'].map(async (id) => (await server.rtp.open({ streamId: id, port: 0, tcpMode: 0, ssrc: 0, onlyTrack: 0 })).server));
      // The pool starts with the first RTP server: one thread on this machine's cores (at least one).
      if (mode === 'worker') expect(threads()).toBeGreaterThan(before);
      else expect(threads()).toBe(before);
      await Promise.all([a!, b!].map((s) => sendUdp(camera.packets, camera.sendTimesMs, '127.0.0.1', s.port, { speed: 8 })));
      const expected = camera.frames.video + camera.frames.audio;
      for (const s of [a!, b!]) {
        // Every frame the cameras sent is published (the worker may still be starting: wait for it).
        await waitFor(() => (server.registry.get(s.spec.key)?.stats.framesIn ?? 0) >= expected, 10_000, `${s.spec.streamId} frames`);
        const source = server.registry.get(s.spec.key)!;
        expect(source.stats.framesIn).toBe(expected);
        expect(source.tracks.map((t) => t.codec).sort()).toEqual(['aac', 'h264']);
        expect(s.remuxStats).toMatchObject({ mode, packets: camera.packets.length, droppedPackets: 0, demuxErrors: 0 });
      }
      await server.stop();
      expect(threads()).toBeLessThanOrEqual(before);
    } finally {
      await server.stop();
    }
  });
});
