/**
 * A FIFO of bytes for the stream demuxers: appended from RTP payloads, read as one
 * contiguous view, consumed from the front. The storage is reused (compacted, grown
 * by doubling), so views are valid only until the next append: consumers copy what
 * they keep.
 */
import { findStartCode, searchableBytes } from '@sluice/codec';

export class ByteQueue {
  private buf = new Uint8Array(0);
  /**
   * The storage again as a Node Buffer (same memory), for the start-code searches:
   * they run natively over Buffer views. `view()` stays a plain Uint8Array view,
   * which is cheaper to make than a Buffer view and is taken several times per packet.
   */
  private searchable = searchableBytes(this.buf);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  /** Bytes of storage (for memory accounting). */
  get capacity(): number {
    return this.buf.byteLength;
  }

  append(bytes: Uint8Array): void {
    const n = bytes.byteLength;
    if (n === 0) return;
    if (this.end + n > this.buf.byteLength) {
      const live = this.end - this.start;
      if (live + n <= this.buf.byteLength) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        let cap = Math.max(4096, this.buf.byteLength);
        while (cap < live + n) cap *= 2;
        const grown = new Uint8Array(cap);
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
        this.searchable = searchableBytes(grown);
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += n;
  }

  /** The queued bytes (valid until the next append). */
  view(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** findSystemStartCode over the queued bytes (offsets relative to the front), searched natively. */
  findSystemStartCode(from = 0, limit = this.length): number {
    return findSystemStartCode(this.searchable.subarray(this.start, this.end), from, limit);
  }

  /** findPackStartCode over the queued bytes (offsets relative to the front), searched natively. */
  findPackStartCode(from = 0, limit = this.length): number {
    return findPackStartCode(this.searchable.subarray(this.start, this.end), from, limit);
  }

  consume(n: number): void {
    this.start = Math.min(this.end, this.start + n);
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Empties the queue; storage beyond `keep` bytes is released. */
  clear(keep = 64 * 1024): void {
    this.start = this.end = 0;
    if (this.buf.byteLength > keep) {
      this.buf = new Uint8Array(0);
      this.searchable = searchableBytes(this.buf);
    }
  }
}

/**
 * The index of the first MPEG system start code (00 00 01 xx, xx >= 0xB9: pack,
 * system header, PSM, PES, end code) that begins at or after `from` and before
 * `limit`, or -1. Elementary stream start codes (H.264/H.265 NAL units, MPEG video
 * headers) have xx < 0xB9 and are not matched.
 */
export function findSystemStartCode(v: Uint8Array, from = 0, limit = v.byteLength): number {
  return findStartCodeWithId(v, from, limit, 0xb9, 0xff);
}

/** The index of the first pack_start_code (00 00 01 BA) beginning in [from, limit), or -1. */
export function findPackStartCode(v: Uint8Array, from = 0, limit = v.byteLength): number {
  return findStartCodeWithId(v, from, limit, 0xba, 0xba);
}

/** The first 00 00 01 xx with minId <= xx <= maxId beginning in [from, limit); the xx byte must be there. */
function findStartCodeWithId(v: Uint8Array, from: number, limit: number, minId: number, maxId: number): number {
  const last = Math.min(limit, v.byteLength - 3);
  let i = from;
  while (i < last) {
    i = findStartCode(v, i);
    if (i < 0 || i >= last) return -1;
    const id = v[i + 3]!;
    if (id >= minId && id <= maxId) return i;
    // 00 00 01 cannot begin again at i + 1 or i + 2 (the 01 is in the way).
    i += 3;
  }
  return -1;
}
