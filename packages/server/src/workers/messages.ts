/**
 * What the I/O thread and a remux worker say to each other, and the two byte
 * layouts that carry the bulk of it: a batch of RTP packets (main → worker) and a
 * stream's frames (worker → main). Both travel as one ArrayBuffer that the sender
 * allocated itself and gives away (transfers): never a socket's Buffer, which may
 * be a view into memory the sender does not own.
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
  | { readonly type: 'frames'; readonly streams: readonly StreamFrames[] }
  | { readonly type: 'inspect'; readonly sessions: number; readonly threadId: number };

/** One stream's output for one batch, in the order it was produced. */
export interface StreamFrames {
  readonly stream: number;
  /** FRAME_ROW numbers per event (see encodeRow). */
  readonly rows: Float64Array;
  /** Tracks set by the rows (op SET_TRACK indexes this list). */
  readonly tracks: readonly Track[];
  /** The frames' bytes, back to back in row order. */
  readonly data: ArrayBuffer;
  /** Elementary frames the demuxer delivered. */
  readonly elementaryFrames: number;
  /** Packets the demuxer threw on, and the first few messages (for a rate-limited log). */
  readonly errorCount: number;
  readonly errors: readonly string[];
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
 * buffer over (to be transferred) and starts a new one sized for the next batch.
 */
export class PacketBatchWriter {
  private buf: ArrayBuffer;
  private bytes: Uint8Array;
  private view: DataView;
  private len = 0;
  packets = 0;

  constructor(private readonly initialBytes = 64 * 1024) {
    this.buf = new ArrayBuffer(initialBytes);
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

  /** The batch so far (this writer never touches that buffer again), and a fresh buffer for the next. */
  take(): { batch: ArrayBuffer; byteLength: number; packets: number } {
    const out = { batch: this.buf, byteLength: this.len, packets: this.packets };
    // The next batch is probably about as large: start there to avoid growing.
    this.buf = new ArrayBuffer(Math.max(this.initialBytes, this.len));
    this.bytes = new Uint8Array(this.buf);
    this.view = new DataView(this.buf);
    this.len = 0;
    this.packets = 0;
    return out;
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.len + n) size *= 2;
    const next = new ArrayBuffer(size);
    const bytes = new Uint8Array(next);
    bytes.set(this.bytes.subarray(0, this.len));
    this.buf = next;
    this.bytes = bytes;
    this.view = new DataView(next);
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
}

// ---- Frame rows ------------------------------------------------------------------
//
// One row of FRAME_ROW numbers per event, so a batch's metadata is one
// Float64Array (transferred) instead of an object per frame to clone:
//   [SET_TRACK, track index, 0...]
//   [FRAME, trackId, kind (0 video, 1 audio), timescale, dts, pts, keyframe (0/1), byte length]
// Frame bytes follow each other in `data` in row order.

export const FRAME_ROW = 8;
const OP_SET_TRACK = 0;
const OP_FRAME = 1;

export interface FrameEvents {
  setTrack(track: Track): void;
  pushFrame(frame: MediaFrame, timescale: number): void;
}

/** Worker side: records one stream's events, then packs them into owned buffers. */
export class FrameRowWriter implements FrameEvents {
  private readonly rows: number[] = [];
  private readonly tracks: Track[] = [];
  private readonly chunks: Uint8Array[] = [];
  private bytes = 0;

  setTrack(track: Track): void {
    this.rows.push(OP_SET_TRACK, this.tracks.length, 0, 0, 0, 0, 0, 0);
    this.tracks.push(track);
  }

  pushFrame(frame: MediaFrame, timescale: number): void {
    const n = frame.data.byteLength;
    this.rows.push(OP_FRAME, frame.trackId, frame.kind === 'video' ? 0 : 1, timescale, frame.dts, frame.pts, frame.keyframe ? 1 : 0, n);
    this.chunks.push(frame.data);
    this.bytes += n;
  }

  finish(): { rows: Float64Array; tracks: Track[]; data: ArrayBuffer } {
    const data = new ArrayBuffer(this.bytes);
    const out = new Uint8Array(data);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return { rows: Float64Array.from(this.rows), tracks: this.tracks, data };
  }
}

/** Main side: replays a stream's events. Frames are views into `data` (one allocation per stream and batch, never mutated). */
export function replayFrameRows(out: Pick<StreamFrames, 'rows' | 'tracks' | 'data'>, to: FrameEvents): void {
  const r = out.rows;
  let offset = 0;
  for (let i = 0; i + FRAME_ROW <= r.length; i += FRAME_ROW) {
    if (r[i] === OP_SET_TRACK) {
      to.setTrack(out.tracks[r[i + 1]!]!);
      continue;
    }
    const length = r[i + 7]!;
    const frame: MediaFrame = {
      trackId: r[i + 1]!,
      kind: r[i + 2] === 0 ? 'video' : 'audio',
      dts: r[i + 4]!,
      pts: r[i + 5]!,
      keyframe: r[i + 6] === 1,
      data: new Uint8Array(out.data, offset, length),
    };
    offset += length;
    to.pushFrame(frame, r[i + 3]!);
  }
}
