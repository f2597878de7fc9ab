import { ByteReader, TruncatedError } from '@sluice/codec';
import { EXTENDED_TIMESTAMP, MAX_CHUNK_HEADER_SIZE } from './chunk-header.js';
import { RtmpError } from './errors.js';
import { MessageType, type RtmpMessage } from './message-types.js';
import { DEFAULT_CHUNK_SIZE, parseAbort, parseSetChunkSize } from './protocol-control.js';

// Specification: Adobe RTMP 1.0, section 5.3 "Chunking" (header layout in
// chunk-header.ts) and 5.4.1/5.4.2 (Set Chunk Size and Abort act on this layer).

/**
 * Largest message this reader reassembles. The wire field is 24 bits (16 MiB); the
 * biggest real messages are video keyframes, and 8 MiB holds a 4K IDR at a very high
 * bitrate (nginx-rtmp's own default limit is 1 MiB). A larger length is treated as a
 * broken or hostile peer: the buffer is allocated when the first chunk arrives.
 */
export const MAX_MESSAGE_LENGTH = 8 * 1024 * 1024;

/**
 * Bound on the bytes held by all partially reassembled messages together. Chunk
 * streams interleave (audio, video, control), so several messages can be in flight;
 * without this, headers on many chunk stream ids could each reserve a large buffer.
 */
export const MAX_REASSEMBLY_BYTES = 32 * 1024 * 1024;

const TWO_POW_32 = 0x1_0000_0000;

interface ChunkStream {
  readonly csid: number;
  /** Timestamp of the current (or last) message, 32-bit. */
  timestamp: number;
  /** Delta a type 3 chunk starting a new message adds; 0 after a type 0 header. */
  delta: number;
  length: number;
  type: number;
  streamId: number;
  /** The last type 0/1/2 header had an extended timestamp, so type 3 headers carry one too. */
  extended: boolean;
  /** The message being reassembled, or null between messages. */
  payload: Uint8Array | null;
  received: number;
}

interface ChunkHeader {
  readonly size: number;
  readonly fmt: number;
  readonly csid: number;
  /** Absolute timestamp (fmt 0) or delta (fmt 1, 2); unused for fmt 3. */
  readonly time: number;
  readonly extended: boolean;
  readonly length: number;
  readonly type: number;
  readonly streamId: number;
}

export interface ChunkReaderOptions {
  /** Defaults to MAX_MESSAGE_LENGTH; lower it to bound memory harder. */
  readonly maxMessageLength?: number;
}

/**
 * Demultiplexes the chunk stream into messages. Bytes may be pushed in any split
 * (down to one byte at a time); each message is copied once, into its own buffer.
 * Set Chunk Size and Abort messages take effect here, between two chunks, as the
 * spec requires; they are still returned for the layers above to see.
 */
export class ChunkReader {
  private readonly streams = new Map<number, ChunkStream>();
  private readonly maxMessageLength: number;
  private inChunkSize = DEFAULT_CHUNK_SIZE;
  /** A header split across pushes, kept until it is complete. */
  private readonly headerBuf = new Uint8Array(MAX_CHUNK_HEADER_SIZE);
  private headerFill = 0;
  /** The chunk stream whose chunk data is being read, and how much of that chunk is left. */
  private current: ChunkStream | null = null;
  private chunkLeft = 0;
  private reassemblyBytes = 0;
  private completed = 0;

  constructor(options: ChunkReaderOptions = {}) {
    this.maxMessageLength = Math.min(options.maxMessageLength ?? MAX_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH);
  }

  /** Messages completed so far (for statistics). */
  get messageCount(): number {
    return this.completed;
  }

  /** The peer's current chunk size. */
  get chunkSize(): number {
    return this.inChunkSize;
  }

  /**
   * Feeds bytes from the socket; returns the messages they completed, in order.
   * Throws RtmpError ('PROTOCOL' or 'MESSAGE_TOO_LARGE') on a chunk stream that makes
   * no sense; the reader is unusable afterwards.
   */
  push(data: Uint8Array): RtmpMessage[] {
    const out: RtmpMessage[] = [];
    let pos = 0;
    while (pos < data.byteLength) {
      const st = this.current;
      if (st === null) {
        pos += this.readHeader(data, pos, out);
        continue;
      }
      const n = Math.min(this.chunkLeft, data.byteLength - pos);
      st.payload!.set(data.subarray(pos, pos + n), st.received);
      st.received += n;
      this.chunkLeft -= n;
      pos += n;
      if (this.chunkLeft === 0) this.endChunk(st, out);
    }
    return out;
  }

  /** Consumes a header (or stashes its first bytes); returns the bytes taken from data. */
  private readHeader(data: Uint8Array, pos: number, out: RtmpMessage[]): number {
    if (this.headerFill === 0) {
      const header = this.parseHeader(data.subarray(pos));
      if (header === null) {
        this.headerBuf.set(data.subarray(pos), 0);
        this.headerFill = data.byteLength - pos;
        return this.headerFill;
      }
      this.startChunk(header, out);
      return header.size;
    }
    const take = Math.min(MAX_CHUNK_HEADER_SIZE - this.headerFill, data.byteLength - pos);
    this.headerBuf.set(data.subarray(pos, pos + take), this.headerFill);
    const have = this.headerFill + take;
    const header = this.parseHeader(this.headerBuf.subarray(0, have));
    if (header === null) {
      // MAX_CHUNK_HEADER_SIZE bytes always hold a whole header, so here take used up data.
      this.headerFill = have;
      return take;
    }
    const used = header.size - this.headerFill;
    this.headerFill = 0;
    this.startChunk(header, out);
    return used;
  }

  /** Parses a chunk header without changing state; null if `bytes` holds only part of it. */
  private parseHeader(bytes: Uint8Array): ChunkHeader | null {
    const r = new ByteReader(bytes);
    try {
      const b0 = r.u8();
      const fmt = b0 >> 6;
      let csid = b0 & 0x3f;
      if (csid === 0) csid = 64 + r.u8();
      else if (csid === 1) csid = 64 + r.u8() + r.u8() * 256;

      const st = this.streams.get(csid);
      if (fmt !== 0 && st === undefined) {
        throw new RtmpError('PROTOCOL', `chunk stream ${csid}: first chunk has fmt ${fmt}, expected a type 0 header`);
      }
      let time = 0;
      let length = 0;
      let type = 0;
      let streamId = 0;
      let extended: boolean;
      if (fmt <= 2) {
        time = r.u24();
        if (fmt <= 1) {
          length = r.u24();
          type = r.u8();
          if (fmt === 0) streamId = r.u32le();
        }
        extended = time === EXTENDED_TIMESTAMP;
      } else {
        extended = st!.extended;
      }
      if (extended) {
        const ext = r.u32();
        if (fmt <= 2) time = ext;
      }
      return { size: r.pos, fmt, csid, time, extended, length, type, streamId };
    } catch (err) {
      if (err instanceof TruncatedError) return null;
      throw err;
    }
  }

  private startChunk(h: ChunkHeader, out: RtmpMessage[]): void {
    let st = this.streams.get(h.csid);
    if (st === undefined) {
      // parseHeader only lets fmt 0 through for a new chunk stream.
      st = { csid: h.csid, timestamp: 0, delta: 0, length: 0, type: 0, streamId: 0, extended: false, payload: null, received: 0 };
      this.streams.set(h.csid, st);
    }
    const continuing = st.payload !== null;
    if (continuing && h.fmt !== 3) {
      throw new RtmpError(
        'PROTOCOL',
        `chunk stream ${h.csid}: type ${h.fmt} header while ${st.length - st.received} bytes of the previous message are outstanding`,
      );
    }
    if (h.fmt === 0) {
      st.timestamp = h.time;
      // nginx-rtmp's reading, as the spec defines no delta for type 0: a type 3
      // chunk that starts a message after it repeats the same timestamp.
      st.delta = 0;
      st.length = h.length;
      st.type = h.type;
      st.streamId = h.streamId;
      st.extended = h.extended;
    } else if (h.fmt <= 2) {
      if (h.fmt === 1) {
        st.length = h.length;
        st.type = h.type;
      }
      st.delta = h.time;
      st.timestamp = (st.timestamp + h.time) % TWO_POW_32;
      st.extended = h.extended;
    } else if (!continuing) {
      // Type 3 starting a new message repeats the previous delta (5.3.1.2.4).
      st.timestamp = (st.timestamp + st.delta) % TWO_POW_32;
    }
    if (!continuing) this.beginMessage(st);
    this.current = st;
    this.chunkLeft = Math.min(this.inChunkSize, st.length - st.received);
    if (this.chunkLeft === 0) this.endChunk(st, out);
  }

  private beginMessage(st: ChunkStream): void {
    if (st.length > this.maxMessageLength) {
      throw new RtmpError(
        'MESSAGE_TOO_LARGE',
        `chunk stream ${st.csid}: message of ${st.length} bytes exceeds the ${this.maxMessageLength}-byte limit`,
      );
    }
    if (this.reassemblyBytes + st.length > MAX_REASSEMBLY_BYTES) {
      throw new RtmpError(
        'MESSAGE_TOO_LARGE',
        `chunk stream ${st.csid}: ${this.reassemblyBytes + st.length} bytes of partial messages exceed ${MAX_REASSEMBLY_BYTES}`,
      );
    }
    st.payload = new Uint8Array(st.length);
    st.received = 0;
    this.reassemblyBytes += st.length;
  }

  private endChunk(st: ChunkStream, out: RtmpMessage[]): void {
    this.current = null;
    if (st.received < st.length) return;
    const payload = st.payload!;
    st.payload = null;
    this.reassemblyBytes -= st.length;
    this.completed++;
    const msg: RtmpMessage = { csid: st.csid, type: st.type, streamId: st.streamId, timestamp: st.timestamp, payload };
    // Applied here, before the next chunk header is read (sections 5.4.1, 5.4.2).
    if (msg.type === MessageType.SetChunkSize) this.inChunkSize = parseSetChunkSize(payload);
    else if (msg.type === MessageType.Abort) this.abort(parseAbort(payload));
    out.push(msg);
  }

  private abort(csid: number): void {
    const st = this.streams.get(csid);
    if (st === undefined || st.payload === null) return;
    this.reassemblyBytes -= st.length;
    st.payload = null;
    st.received = 0;
  }
}
