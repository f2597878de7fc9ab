/**
 * What the I/O thread and a remux worker say to each other, and the two byte
 * layouts that carry the bulk of it: a batch of RTP packets (main → worker) and
 * the batch's frames (worker → main). Each travels as one ArrayBuffer that its
 * sender allocated itself and gives away (transfers): never a socket's Buffer,
 * which may be a view into memory the sender does not own.
 *
 * The packet buffer comes back with the reply and is reused for a later batch:
 * the demuxers copy what they keep (their contract, since the TCP receiver
 * reuses its buffer), so nothing in the worker refers to it after the batch.
 */
import type { MediaFrame, Track } from '@sluice/codec';
import type { RtpPacket } from '@sluice/rtp-receiver';

/** Main → worker. */
export type RemuxRequest =
  | {
      readonly type: 'packets';
      /** PACKET_RECORD_HEADER + payload per packet, streams interleaved in arrival order. */
      readonly batch: ArrayBuffer;
      readonly byteLength: number;
      /** Streams closed since the last batch: the worker drops their state after this batch. */
      readonly closed: readonly number[];
    }
  | { readonly type: 'inspect' };

/** Worker → main. */
export type RemuxReply =
  | {
      readonly type: 'frames';
      /** FRAME_ROW numbers per event, every stream's events in the order they were produced. */
      readonly rows: Float64Array;
      /** Tracks set by the rows (op SET_TRACK indexes this list). */
      readonly tracks: readonly Track[];
      /** The frames' bytes, back to back in row order. */
      readonly data: ArrayBuffer;
      /** Per stream that had packets in the batch. */
      readonly streams: readonly StreamSummary[];
      /** The request's packet buffer, handed back for reuse. */
      readonly batch: ArrayBuffer;
    }
  | { readonly type: 'inspect'; readonly sessions: number; readonly threadId: number };

export interface StreamSummary {
  readonly stream: number;
  /** Elementary frames the demuxer delivered. */
  readonly elementaryFrames: number;
  /** Packets the demuxer threw on, and the first few messages (for a rate-limited log). */
  readonly errorCount: number;
  readonly errors: readonly string[];
}

/**
 * An ArrayBuffer of exactly `n` bytes that nothing else shares and that is not
 * zero-filled (every byte is written before it is read): Buffer.allocUnsafeSlow
 * never takes from Node's shared pool, so its buffer may be transferred.
 */
export function ownedBuffer(n: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(n).buffer as ArrayBuffer;
}

// ---- Packet batch -------------------------------------------------------------
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                 stream (pool-local number)                    |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                        RTP timestamp                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                            SSRC                               |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |       sequence number         |  flags (M=1)  | payload type  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                       payload length                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                    payload (length bytes) ...                 |
//
// The RTP header was parsed (and the packet filtered and reordered) on the I/O
// thread already; only what the demuxer reads crosses over.

export const PACKET_RECORD_HEADER = 20;
/** An RTP payload cannot exceed a UDP datagram / an RFC 4571 frame. */
const MAX_RECORD_PAYLOAD = 0xffff;
const MARKER_FLAG = 0x01;
const EMPTY_CSRCS: readonly number[] = Object.freeze([]);

/**
 * Appends packets (copied) to a buffer of its own; `take()` hands the filled
 * buffer over (to be transferred) and continues in a buffer given back with
 * `recycle()`, or a new one.
 */
export class PacketBatchWriter {
  private buf: ArrayBuffer;
  private bytes: Uint8Array;
  private view: DataView;
  private len = 0;
  private spare: ArrayBuffer | undefined;
  packets = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = ownedBuffer(initialBytes);
    this.bytes = new Uint8Array(this.buf);
    this.view = new DataView(this.buf);
  }

  get byteLength(): number {
    return this.len;
  }

  append(stream: number, packet: RtpPacket): void {
    const n = packet.payload.byteLength;
    if (n > MAX_RECORD_PAYLOAD) throw new RangeError(`RTP payload of ${n} bytes`);
    this.reserve(PACKET_RECORD_HEADER + n);
    const v = this.view;
    const o = this.len;
    v.setUint32(o, stream);
    v.setUint32(o + 4, packet.timestamp);
    v.setUint32(o + 8, packet.ssrc);
    v.setUint16(o + 12, packet.sequenceNumber);
    v.setUint8(o + 14, packet.marker ? MARKER_FLAG : 0);
    v.setUint8(o + 15, packet.payloadType);
    v.setUint32(o + 16, n);
    this.bytes.set(packet.payload, o + PACKET_RECORD_HEADER);
    this.len = o + PACKET_RECORD_HEADER + n;
    this.packets++;
  }

  /** The batch so far (this writer never touches that buffer again until it is recycled). */
  take(): { batch: ArrayBuffer; byteLength: number; packets: number } {
    const out = { batch: this.buf, byteLength: this.len, packets: this.packets };
    const next = this.spare && this.spare.byteLength >= this.len ? this.spare : ownedBuffer(Math.max(this.initialBytes, this.len));
    this.spare = undefined;
    this.use(next);
    this.len = 0;
    this.packets = 0;
    return out;
  }

  /** A buffer that came back from the worker (detached ones, and the smaller of two, are dropped). */
  recycle(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return;
    if (!this.spare || buffer.byteLength > this.spare.byteLength) this.spare = buffer;
  }

  private use(buffer: ArrayBuffer): void {
    this.buf = buffer;
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.len + n) size *= 2;
    const before = this.bytes;
    this.use(ownedBuffer(size));
    this.bytes.set(before.subarray(0, this.len));
  }
}

/** Calls `each` per packet of a batch, in order. The packets' payloads are views into `batch`. */
export function readPacketBatch(batch: ArrayBuffer, byteLength: number, each: (stream: number, packet: RtpPacket) => void): void {
  const v = new DataView(batch, 0, byteLength);
  let o = 0;
  while (o + PACKET_RECORD_HEADER <= byteLength) {
    const n = v.getUint32(o + 16);
    const start = o + PACKET_RECORD_HEADER;
    if (start + n > byteLength) throw new RangeError(`packet record at ${o} runs past the batch (${byteLength} bytes)`);
    each(v.getUint32(o), {
      version: 2,
      padding: false,
      marker: (v.getUint8(o + 14) & MARKER_FLAG) !== 0,
      payloadType: v.getUint8(o + 15),
      sequenceNumber: v.getUint16(o + 12),
      timestamp: v.getUint32(o + 4),
      ssrc: v.getUint32(o + 8),
      csrcs: EMPTY_CSRCS,
      payload: new Uint8Array(batch, start, n),
    });
    o = start + n;
  }
  if (o !== byteLength) throw new RangeError(`${byteLength - o} bytes after the last packet record`);
}

// ---- Frame rows ------------------------------------------------------------------
//
// One row of FRAME_ROW numbers per event, so a batch's metadata is one
// Float64Array (transferred) instead of an object per frame to clone:
//   [SET_TRACK, stream, track index, 0...]
//   [FRAME, stream, trackId, kind (0 video, 1 audio), timescale, dts, pts, keyframe (0/1), byte length]
// Frame bytes follow each other in `data` in row order. One data buffer per batch
// (not per stream or frame) keeps allocations and transfers to one per batch; a
// frame kept in a GOP cache keeps its batch's buffer alive, which costs little
// since every stream's GOP cache spans about the same recent batches.

export const FRAME_ROW = 9;
const OP_SET_TRACK = 0;
const OP_FRAME = 1;

export interface FrameEvents {
  setTrack(track: Track): void;
  pushFrame(frame: MediaFrame, timescale: number): void;
}

/** Worker side: records the events of a batch's streams, then packs them into owned buffers. */
export class FrameRowWriter {
  private readonly rows: number[] = [];
  private readonly tracks: Track[] = [];
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;

  /** The events of one stream, to hand to its RemuxSession. */
  for(stream: number): FrameEvents {
    return {
      setTrack: (track) => {
        this.rows.push(OP_SET_TRACK, stream, this.tracks.length, 0, 0, 0, 0, 0, 0);
        this.tracks.push(track);
      },
      pushFrame: (frame, timescale) => {
        const n = frame.data.byteLength;
        this.rows.push(OP_FRAME, stream, frame.trackId, frame.kind === 'video' ? 0 : 1, timescale, frame.dts, frame.pts, frame.keyframe ? 1 : 0, n);
        this.chunks.push(frame.data);
        this.bytes += n;
      },
    };
  }

  finish(): { rows: Float64Array; tracks: Track[]; data: ArrayBuffer } {
    const data = ownedBuffer(this.bytes);
    const out = new Uint8Array(data);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return { rows: Float64Array.from(this.rows), tracks: this.tracks, data };
  }
}

/**
 * Main side: replays a batch's events to each stream's receiver (`to` returns
 * undefined for a stream that is gone). Frames are views into `data`, never
 * copied again and never mutated.
 */
export function replayFrameRows(
  out: { readonly rows: Float64Array; readonly tracks: readonly Track[]; readonly data: ArrayBuffer },
  to: (stream: number) => FrameEvents | undefined,
): void {
  const r = out.rows;
  let offset = 0;
  let stream = -1;
  let target: FrameEvents | undefined;
  for (let i = 0; i + FRAME_ROW <= r.length; i += FRAME_ROW) {
    if (r[i + 1] !== stream) {
      stream = r[i + 1]!;
      target = to(stream);
    }
    if (r[i] === OP_SET_TRACK) {
      target?.setTrack(out.tracks[r[i + 2]!]!);
      continue;
    }
    const length = r[i + 8]!;
    if (target) {
      target.pushFrame(
        {
          trackId: r[i + 2]!,
          kind: r[i + 3] === 0 ? 'video' : 'audio',
          dts: r[i + 5]!,
          pts: r[i + 6]!,
          keyframe: r[i + 7] === 1,
          data: new Uint8Array(out.data, offset, length),
        },
        r[i + 4]!,
      );
    }
    offset += length;
  }
}
