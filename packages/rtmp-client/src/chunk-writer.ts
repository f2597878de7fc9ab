import { EXTENDED_TIMESTAMP, basicHeaderSize } from './chunk-header.js';
import { DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE } from './protocol-control.js';

// Specification: Adobe RTMP 1.0, section 5.3 "Chunking" (layout in chunk-header.ts).

export interface OutgoingMessage {
  readonly csid: number;
  readonly type: number;
  readonly streamId: number;
  /** Milliseconds; taken modulo 2^32. */
  readonly timestamp: number;
  readonly payload: Uint8Array;
}

/**
 * Splits messages into chunks. The first chunk of every message has a type 0
 * header and the rest type 3: a play client sends a handful of small messages, so
 * header compression would save nothing and would need state mirroring the peer's.
 */
export class ChunkWriter {
  private outChunkSize = DEFAULT_CHUNK_SIZE;

  get chunkSize(): number {
    return this.outChunkSize;
  }

  /** Call after the Set Chunk Size message announcing `size` has been written. */
  setChunkSize(size: number): void {
    if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) throw new RangeError(`invalid chunk size ${size}`);
    this.outChunkSize = size;
  }

  byteLength(msg: OutgoingMessage): number {
    const basic = basicHeaderSize(msg.csid);
    const ext = this.timestampField(msg) === EXTENDED_TIMESTAMP ? 4 : 0;
    const chunks = Math.max(1, Math.ceil(msg.payload.byteLength / this.outChunkSize));
    return basic + 11 + ext + (chunks - 1) * (basic + ext) + msg.payload.byteLength;
  }

  /** Writes `msg` at `offset`; returns the number of bytes written (= byteLength(msg)). */
  writeTo(msg: OutgoingMessage, buf: Uint8Array, offset: number): number {
    if (msg.payload.byteLength > 0xffffff) throw new RangeError('message longer than the 24-bit length field');
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const timestamp = msg.timestamp % 0x1_0000_0000;
    const field = this.timestampField(msg);
    let p = offset;
    p = writeBasicHeader(buf, p, 0, msg.csid);
    writeU24(buf, p, field);
    writeU24(buf, p + 3, msg.payload.byteLength);
    buf[p + 6] = msg.type;
    view.setUint32(p + 7, msg.streamId, true);
    p += 11;
    if (field === EXTENDED_TIMESTAMP) {
      view.setUint32(p, timestamp);
      p += 4;
    }
    let sent = 0;
    for (;;) {
      const n = Math.min(this.outChunkSize, msg.payload.byteLength - sent);
      buf.set(msg.payload.subarray(sent, sent + n), p);
      p += n;
      sent += n;
      if (sent >= msg.payload.byteLength) break;
      p = writeBasicHeader(buf, p, 3, msg.csid);
      // Section 5.3.1.3: type 3 chunks repeat the extended timestamp.
      if (field === EXTENDED_TIMESTAMP) {
        view.setUint32(p, timestamp);
        p += 4;
      }
    }
    return p - offset;
  }

  encode(msg: OutgoingMessage): Uint8Array {
    const buf = new Uint8Array(this.byteLength(msg));
    this.writeTo(msg, buf, 0);
    return buf;
  }

  private timestampField(msg: OutgoingMessage): number {
    return Math.min(msg.timestamp % 0x1_0000_0000, EXTENDED_TIMESTAMP);
  }
}

function writeU24(buf: Uint8Array, p: number, v: number): void {
  buf[p] = (v >>> 16) & 0xff;
  buf[p + 1] = (v >>> 8) & 0xff;
  buf[p + 2] = v & 0xff;
}

function writeBasicHeader(buf: Uint8Array, p: number, fmt: number, csid: number): number {
  const size = basicHeaderSize(csid);
  if (size === 1) {
    buf[p] = (fmt << 6) | csid;
  } else if (size === 2) {
    buf[p] = fmt << 6;
    buf[p + 1] = csid - 64;
  } else {
    buf[p] = (fmt << 6) | 1;
    buf[p + 1] = (csid - 64) & 0xff;
    buf[p + 2] = (csid - 64) >> 8;
  }
  return p + size;
}
