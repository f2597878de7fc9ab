/**
 * The remux worker (a Piscina task module). Each worker thread is the only
 * thread of its own Piscina pool (see remux-pool.ts), so every batch of a
 * stream reaches the same thread, in order, and the demuxer state can live
 * here, keyed by the pool-local stream number.
 */
import { threadId } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { FrameRowWriter, readPacketBatch, type FrameEvents, type RemuxReply, type RemuxRequest, type StreamSummary } from './messages.js';
import { RemuxSession } from './remux-session.js';

/** Demux error messages returned per stream and batch (the rest are only counted). */
const MAX_ERROR_MESSAGES = 3;
/**
 * A session that got nothing for this long is dropped: a safety net for a close
 * that never arrived (its batch failed). The relay usually closes a silent RTP
 * server before (rtp_proxy.timeoutSec); a stream that does come back after this
 * long starts with a fresh demuxer, which resyncs at the next pack header.
 */
const SESSION_IDLE_MS = 120_000;

interface Entry {
  readonly session: RemuxSession;
  lastUsed: number;
}

const sessions = new Map<number, Entry>();
let lastSweep = Date.now();

interface StreamWork {
  readonly entry: Entry;
  readonly events: FrameEvents;
  readonly elementaryBefore: number;
  readonly errorsBefore: number;
  readonly errors: string[];
}

function remuxBatch(request: Extract<RemuxRequest, { type: 'packets' }>): unknown {
  const now = Date.now();
  const writer = new FrameRowWriter();
  const work = new Map<number, StreamWork>();
  readPacketBatch(request.batch, request.byteLength, (stream, packet) => {
    let w = work.get(stream);
    if (!w) {
      let entry = sessions.get(stream);
      if (!entry) {
        entry = { session: new RemuxSession(), lastUsed: now };
        sessions.set(stream, entry);
      }
      entry.lastUsed = now;
      w = {
        entry,
        events: writer.for(stream),
        elementaryBefore: entry.session.elementaryFrames,
        errorsBefore: entry.session.errors,
        errors: [],
      };
      work.set(stream, w);
    }
    let error: string | undefined;
    try {
      error = w.entry.session.push(packet, w.events);
    } catch (err) {
      // A bug past the demuxer (a track builder): lose the packet, not the whole batch of every stream.
      w.entry.session.errors++;
      error = (err as Error).message;
    }
    if (error !== undefined && w.errors.length < MAX_ERROR_MESSAGES) w.errors.push(error);
  });
  for (const stream of request.closed) sessions.delete(stream);
  if (now - lastSweep > SESSION_IDLE_MS / 4) {
    lastSweep = now;
    for (const [stream, entry] of sessions) if (now - entry.lastUsed > SESSION_IDLE_MS) sessions.delete(stream);
  }

  const streams: StreamSummary[] = [];
  for (const [stream, w] of work) {
    streams.push({
      stream,
      elementaryFrames: w.entry.session.elementaryFrames - w.elementaryBefore,
      errorCount: w.entry.session.errors - w.errorsBefore,
      errors: w.errors,
    });
  }
  const { rows, tracks, data } = writer.finish();
  const reply: RemuxReply = { type: 'frames', rows, tracks, data, streams, batch: request.batch };
  // All three buffers were allocated for this exchange and nothing here refers to them any more
  // (the demuxers copied what they keep): give them away rather than copy them.
  return move({ [transferableSymbol]: [data, rows.buffer, request.batch], [valueSymbol]: reply } as never);
}

export default function remux(request: RemuxRequest): unknown {
  switch (request.type) {
    case 'packets':
      return remuxBatch(request);
    case 'inspect':
      return { type: 'inspect', sessions: sessions.size, threadId } satisfies RemuxReply;
  }
}
