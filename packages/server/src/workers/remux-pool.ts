/**
 * The worker side of rtp_proxy.remux = worker: RTP servers' packets are
 * demuxed and turned into frames on worker threads instead of the I/O thread.
 *
 * Design (the simplest one that keeps a stream's demuxer state in one place):
 *
 * - Pinning. The PS demuxer carries state from packet to packet, so a stream
 *   must always reach the same thread. Piscina spreads tasks over its threads
 *   as it likes, so each worker thread here is the only thread of its own
 *   Piscina (maxThreads 1); a stream is pinned at attach() to the thread with
 *   the fewest streams and keeps it. The worker (remux-worker.ts) holds each
 *   stream's RemuxSession in a map keyed by a pool-local stream number.
 *
 * - Batching. Messaging costs far more than demuxing one ~1400-byte packet,
 *   and per stream a 2 Mbps camera sends only ~2 packets per 10 ms. So the
 *   packets of *all* streams of a thread go into one batch: each accepted
 *   packet is copied (header fields + payload) into an ArrayBuffer the pool
 *   allocated itself, which is transferred to the worker as is. A batch leaves
 *   FLUSH_MS after its first packet, or at once past FLUSH_BYTES.
 *
 * - Order. A thread has at most one batch in flight; what arrives meanwhile
 *   gathers in the next batch, sent when the reply is in. So a stream never
 *   has more than one batch in flight, its batches are demuxed in order, and
 *   its frames are delivered in order (streams interleave freely). Under load
 *   batches grow by themselves, which amortises messaging further.
 *
 * - Back-pressure. Nothing queues without bound: Piscina's own queue is
 *   limited (maxQueue) so it can never become the buffer, and what waits for
 *   the worker is bounded per stream (packets and bytes) and per thread
 *   (bytes). Past a bound the packet is dropped and counted in the stream's
 *   droppedPackets; the demuxer sees the sequence gap and resumes at the next
 *   keyframe, as it does for network loss.
 *
 * - Replies. The worker packs the batch's frames into one ArrayBuffer and
 *   their metadata into a Float64Array, both transferred back with the packet
 *   buffer (reused for a later batch); frames here are views into that
 *   buffer, never copied again and never mutated.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { RtpPacket } from '@sluice/rtp-receiver';
import { RateLimitedLog, type Logger } from '../log.js';
import { PACKET_RECORD_HEADER, PacketBatchWriter, replayFrameRows, type RemuxReply, type RemuxRequest } from './messages.js';
import { newRemuxStats, type RemuxOutput, type RemuxPath, type RemuxStats } from './remux-path.js';

/** A batch leaves at most this long after its first packet (the delay this path adds, at most). */
export const DEFAULT_FLUSH_MS = 10;
/** ...or at once when it holds this much (about 45 ms of 100 streams at 2 Mbps). */
export const DEFAULT_FLUSH_BYTES = 1024 * 1024;
/** Waiting for the worker, per stream: about 2 s of an 8 Mbps camera. */
export const DEFAULT_MAX_PENDING_BYTES_PER_STREAM = 2 * 1024 * 1024;
export const DEFAULT_MAX_PENDING_PACKETS_PER_STREAM = 4096;
/** Waiting for the worker, all streams of one thread together. */
export const DEFAULT_MAX_PENDING_BYTES_PER_THREAD = 64 * 1024 * 1024;
/** Piscina's queue: one batch may wait behind the running one (an inspect() call), never more. */
const PISCINA_MAX_QUEUE = 1;

export interface RemuxPoolOptions {
  /** Worker threads (default: one per core beyond the I/O thread's, 1 to 4). */
  readonly threads?: number;
  readonly flushMs?: number;
  readonly flushBytes?: number;
  readonly maxPendingBytesPerStream?: number;
  readonly maxPendingPacketsPerStream?: number;
  readonly maxPendingBytesPerThread?: number;
  readonly log?: Logger;
}

export interface RemuxPoolStats {
  /** Batches sent to workers, and those that failed (their packets count as dropped). */
  batches: number;
  failedBatches: number;
  /** Packets sent to workers. */
  packets: number;
  /** Packets dropped: a full per-stream or per-thread bound, or a failed batch. */
  droppedPackets: number;
}

export function defaultRemuxThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}

/**
 * The worker module: the compiled .js next to this file, or, when the relay runs
 * from its TypeScript sources (tests, tsx), the .ts one through the same loader.
 */
function workerModule(): { filename: string; execArgv: string[] } {
  const js = new URL('./remux-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { filename: js.href, execArgv: [] };
  return {
    filename: new URL('./remux-worker.ts', import.meta.url).href,
    execArgv: ['--import', 'tsx', '--conditions', 'sluice:source'],
  };
}

type Limits = Required<Omit<RemuxPoolOptions, 'threads' | 'log'>>;

export class RemuxPool {
  private readonly threads: PinnedThread[];
  private nextStream = 1;
  private destroyed = false;
  readonly stats: RemuxPoolStats = { batches: 0, failedBatches: 0, packets: 0, droppedPackets: 0 };

  constructor(options: RemuxPoolOptions = {}) {
    const count = options.threads ?? defaultRemuxThreads();
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`remux threads: ${count}`);
    const limits: Limits = {
      flushMs: options.flushMs ?? DEFAULT_FLUSH_MS,
      flushBytes: options.flushBytes ?? DEFAULT_FLUSH_BYTES,
      maxPendingBytesPerStream: options.maxPendingBytesPerStream ?? DEFAULT_MAX_PENDING_BYTES_PER_STREAM,
      maxPendingPacketsPerStream: options.maxPendingPacketsPerStream ?? DEFAULT_MAX_PENDING_PACKETS_PER_STREAM,
      maxPendingBytesPerThread: options.maxPendingBytesPerThread ?? DEFAULT_MAX_PENDING_BYTES_PER_THREAD,
    };
    const log = options.log ? new RateLimitedLog(options.log, 30_000) : undefined;
    const module = workerModule();
    this.threads = Array.from({ length: count }, () => new PinnedThread(module, limits, this.stats, log));
  }

  /** A stream's remux path, pinned to the thread with the fewest streams. */
  attach(out: RemuxOutput): RemuxPath {
    if (this.destroyed) throw new Error('remux pool destroyed');
    let thread = this.threads[0]!;
    for (const t of this.threads) if (t.streamCount < thread.streamCount) thread = t;
    const id = this.nextStream;
    this.nextStream = this.nextStream >= 0xffffffff ? 1 : this.nextStream + 1;
    return thread.attach(id, out);
  }

  /** Packets waiting for a worker, over all threads and streams (the pool's queue depth). */
  get queuedPackets(): number {
    let n = 0;
    for (const t of this.threads) n += t.queuedPackets;
    return n;
  }

  /** The live worker threads (all of the pool's Piscina instances). */
  get workerThreads(): Worker[] {
    return this.threads.flatMap((t) => t.piscina.threads);
  }

  /** Sends what is pending now and resolves when every thread has delivered everything. */
  async drain(): Promise<void> {
    await Promise.all(this.threads.map((t) => t.drain()));
  }

  /** Per thread: demuxer sessions alive in the worker (call drain() first for a settled answer). */
  async inspect(): Promise<Array<{ sessions: number; threadId: number }>> {
    return Promise.all(
      this.threads.map(async (t) => {
        const reply = await t.piscina.run({ type: 'inspect' });
        if (reply.type !== 'inspect') throw new Error(`unexpected reply ${reply.type}`);
        return { sessions: reply.sessions, threadId: reply.threadId };
      }),
    );
  }

  /** Stops every thread; packets still waiting are dropped. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all(this.threads.map((t) => t.destroy()));
  }
}

/** One worker thread (its own single-thread Piscina) and the streams pinned to it. */
class PinnedThread {
  readonly piscina: Piscina<RemuxRequest, RemuxReply>;
  private readonly streams = new Map<number, WorkerRemux>();

  get queuedPackets(): number {
    let n = 0;
    for (const s of this.streams.values()) n += s.pendingPackets;
    return n;
  }

  /** Streams with packets in `writer`. */
  private readonly dirty = new Set<WorkerRemux>();
  private writer = new PacketBatchWriter();
  private closedStreams: number[] = [];
  private inFlight = false;
  private timer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  private destroyed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    module: { filename: string; execArgv: string[] },
    private readonly limits: Limits,
    private readonly poolStats: RemuxPoolStats,
    private readonly log: RateLimitedLog | undefined,
  ) {
    this.piscina = new Piscina<RemuxRequest, RemuxReply>({
      filename: module.filename,
      execArgv: module.execArgv,
      minThreads: 1,
      maxThreads: 1,
      concurrentTasksPerWorker: 1,
      maxQueue: PISCINA_MAX_QUEUE,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      name: 'default',
    });
    // A worker that dies is replaced by Piscina (minThreads 1); its batch fails and is counted.
    this.piscina.on('error', (err: Error) => this.log?.log('error', 'remux worker failed', { err: err.message }));
  }

  get streamCount(): number {
    return this.streams.size;
  }

  attach(id: number, out: RemuxOutput): WorkerRemux {
    const stream = new WorkerRemux(id, guarded(out, this.log), this);
    this.streams.set(id, stream);
    return stream;
  }

  detach(stream: WorkerRemux): void {
    if (this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if (this.destroyed) return;
    // The worker drops the stream's session after the batch that carries this close.
    this.closedStreams.push(stream.id);
    this.schedule();
  }

  append(stream: WorkerRemux, packet: RtpPacket): void {
    if (this.destroyed) return;
    const size = PACKET_RECORD_HEADER + packet.payload.byteLength;
    const l = this.limits;
    if (
      stream.pendingPackets >= l.maxPendingPacketsPerStream ||
      stream.pendingBytes + size > l.maxPendingBytesPerStream ||
      this.writer.byteLength + size > l.maxPendingBytesPerThread
    ) {
      stream.s.droppedPackets++;
      this.poolStats.droppedPackets++;
      this.log?.log('warn', 'remux worker behind: dropping packets', { stream: stream.id, dropped: stream.s.droppedPackets });
      return;
    }
    if (this.writer.byteLength === 0) this.firstPendingAt = performance.now();
    this.writer.append(stream.id, packet);
    stream.pendingPackets++;
    stream.pendingBytes += size;
    this.dirty.add(stream);
    if (this.inFlight) return; // the reply sends what gathered meanwhile
    if (this.writer.byteLength >= l.flushBytes) this.flush();
    else this.schedule();
  }

  /** Arms the flush timer for what is pending (nothing to do while a batch is in flight: its reply flushes). */
  private schedule(): void {
    if (this.inFlight || this.timer || this.destroyed) return;
    const age = this.writer.byteLength > 0 ? performance.now() - this.firstPendingAt : this.limits.flushMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, Math.max(0, this.limits.flushMs - age));
    this.timer.unref();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || this.destroyed) return;
    if (this.writer.byteLength === 0 && this.closedStreams.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const { batch, byteLength, packets } = this.writer.take();
    const closed = this.closedStreams;
    this.closedStreams = [];
    const carried: Array<[WorkerRemux, number]> = [];
    for (const s of this.dirty) {
      carried.push([s, s.pendingPackets]);
      s.s.batches++;
      s.pendingPackets = 0;
      s.pendingBytes = 0;
    }
    this.dirty.clear();
    this.inFlight = true;
    this.poolStats.batches++;
    this.poolStats.packets += packets;
    this.piscina
      .run({ type: 'packets', batch, byteLength, closed }, { transferList: [batch] })
      .then(
        (reply) => this.deliver(reply),
        (err: Error) => this.failed(err, carried, closed),
      )
      // deliver() guards each stream's output; anything else must not become an unhandled rejection.
      .catch((err: Error) => this.log?.log('error', 'remux delivery failed', { err: err.message }))
      .finally(() => {
        this.inFlight = false;
        this.afterReply();
      });
  }

  private deliver(reply: RemuxReply): void {
    if (reply.type !== 'frames' || this.destroyed) return;
    this.writer.recycle(reply.batch);
    const live = (id: number): WorkerRemux | undefined => {
      const stream = this.streams.get(id);
      return stream && !stream.closed ? stream : undefined; // closed meanwhile: its frames go nowhere
    };
    for (const summary of reply.streams) {
      const stream = live(summary.stream);
      if (!stream) continue;
      stream.s.elementaryFrames += summary.elementaryFrames;
      stream.s.demuxErrors += summary.errorCount;
      if (summary.errorCount > 0) stream.events.demuxErrors(summary.errorCount, summary.errors);
    }
    replayFrameRows(reply, (id) => live(id)?.events);
  }

  private failed(err: Error, carried: ReadonlyArray<[WorkerRemux, number]>, closed: readonly number[]): void {
    this.poolStats.failedBatches++;
    for (const [stream, n] of carried) {
      stream.s.droppedPackets += n;
      this.poolStats.droppedPackets += n;
    }
    if (this.destroyed) return;
    this.closedStreams.push(...closed); // those sessions still have to go
    this.log?.log('warn', 'remux batch failed', { err: err.message, packets: carried.reduce((n, [, k]) => n + k, 0) });
  }

  private afterReply(): void {
    if (this.destroyed) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const pending = this.writer.byteLength > 0 || this.closedStreams.length > 0;
    if (!pending) {
      for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const due =
      this.idleWaiters.length > 0 ||
      this.closedStreams.length > 0 ||
      this.writer.byteLength >= this.limits.flushBytes ||
      performance.now() - this.firstPendingAt >= this.limits.flushMs;
    if (due) this.flush();
    else this.schedule();
  }

  drain(): Promise<void> {
    if (this.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      if (!this.inFlight) this.flush();
    });
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.streams.values()) s.closed = true;
    this.streams.clear();
    this.dirty.clear();
    for (const w of this.idleWaiters.splice(0)) w();
    await this.piscina.destroy();
  }
}

/** A fault downstream of one stream (gate, registry) must not stop the other streams of a batch. */
function guarded(out: RemuxOutput, log: RateLimitedLog | undefined): RemuxOutput {
  const fail = (err: unknown): void => log?.log('error', 'remux output failed', { err: (err as Error).message });
  return {
    setTrack(track) {
      try {
        out.setTrack(track);
      } catch (err) {
        fail(err);
      }
    },
    pushFrame(frame, timescale) {
      try {
        out.pushFrame(frame, timescale);
      } catch (err) {
        fail(err);
      }
    },
    demuxErrors(count, messages) {
      try {
        out.demuxErrors(count, messages);
      } catch (err) {
        fail(err);
      }
    },
  };
}

/** A stream's handle on its thread. */
class WorkerRemux implements RemuxPath {
  readonly mode = 'worker';
  readonly s: RemuxStats = newRemuxStats();
  /** Packets and bytes in the thread's next batch. */
  pendingPackets = 0;
  pendingBytes = 0;
  closed = false;

  constructor(
    readonly id: number,
    /** Where the stream's output goes, each call guarded. */
    readonly events: RemuxOutput,
    private readonly thread: PinnedThread,
  ) {}

  get stats(): Readonly<RemuxStats> {
    return this.s;
  }

  push(packet: RtpPacket): void {
    if (this.closed) return;
    this.s.packets++;
    this.thread.append(this, packet);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.thread.detach(this);
  }
}
