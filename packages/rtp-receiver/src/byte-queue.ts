/**
 * A FIFO of bytes for the stream demuxers: appended from RTP payloads, read as one
 * contiguous view, consumed from the front. The storage is reused (compacted, grown
 * by doubling), so views are valid only until the next append: consumers copy what
 * they keep.
 */
export class ByteQueue {
  private buf = new Uint8Array(0);
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

  consume(n: number): void {
    this.start = Math.min(this.end, this.start + n);
    if (this.start === this.end) this.start = this.end = 0;
  }

  /** Empties the queue; storage beyond `keep` bytes is released. */
  clear(keep = 64 * 1024): void {
    this.start = this.end = 0;
    if (this.buf.byteLength > keep) this.buf = new Uint8Array(0);
  }
}

/**
 * The index of the first MPEG system start code (00 00 01 xx, xx >= 0xB9: pack,
 * system header, PSM, PES, end code) that begins at or after `from` and before
 * `limit`, or -1. Elementary stream start codes (H.264/H.265 NAL units, MPEG video
 * headers) have xx < 0xB9 and are not matched.
 */
export function findSystemStartCode(v: Uint8Array, from = 0, limit = v.byteLength): number {
  const last = Math.min(limit, v.byteLength - 3);
  let i = from;
  while (i < last) {
    const b2 = v[i + 2]!;
    // No start code can begin at i, i+1 or i+2 when byte i+2 is above 1.
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && v[i + 1] === 0 && v[i] === 0 && v[i + 3]! >= 0xb9) return i;
    i++;
  }
  return -1;
}

/** The index of the first pack_start_code (00 00 01 BA) beginning in [from, limit), or -1. */
export function findPackStartCode(v: Uint8Array, from = 0, limit = v.byteLength): number {
  const last = Math.min(limit, v.byteLength - 3);
  let i = from;
  while (i < last) {
    const b2 = v[i + 2]!;
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && v[i + 1] === 0 && v[i] === 0 && v[i + 3] === 0xba) return i;
    i++;
  }
  return -1;
}
