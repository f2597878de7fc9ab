/**
 * A range-checked cursor over a Uint8Array. Every parser in Sluice reads bytes
 * through this class so that a short or lying packet becomes one typed error
 * (`TruncatedError`) instead of an out-of-range read or a silent `undefined`.
 * Payload slices are `subarray` views: no copy.
 */
export class TruncatedError extends Error {
  override readonly name = 'TruncatedError';
  constructor(
    readonly wanted: number,
    readonly available: number,
    what = 'data',
  ) {
    super(`truncated ${what}: wanted ${wanted} bytes, ${available} available`);
  }
}

export class ByteReader {
  /** Only f64 needs one; integers are read byte by byte, so the per-packet readers allocate no DataView. */
  private dataView: DataView | undefined;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.pos = offset;
  }

  get remaining(): number {
    return this.bytes.byteLength - this.pos;
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  ensure(n: number, what?: string): void {
    if (n < 0 || this.pos + n > this.bytes.byteLength) throw new TruncatedError(n, this.remaining, what);
  }

  skip(n: number): void {
    this.ensure(n);
    this.pos += n;
  }

  u8(): number {
    this.ensure(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.ensure(2);
    const b = this.bytes;
    const v = (b[this.pos]! << 8) | b[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.ensure(3);
    const b = this.bytes;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.ensure(4);
    const b = this.bytes;
    const p = this.pos;
    // `*` for the top byte: `<< 24` would go negative (the 32-bit integers of bitwise operators).
    const v = b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
    this.pos += 4;
    return v;
  }

  u32le(): number {
    this.ensure(4);
    const b = this.bytes;
    const p = this.pos;
    const v = b[p + 3]! * 0x1000000 + ((b[p + 2]! << 16) | (b[p + 1]! << 8) | b[p]!);
    this.pos += 4;
    return v;
  }

  /** Signed 24-bit big-endian (FLV composition time). */
  i24(): number {
    const v = this.u24();
    return v & 0x800000 ? v - 0x1000000 : v;
  }

  f64(): number {
    this.ensure(8);
    this.dataView ??= new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    const v = this.dataView.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }

  /** A view of the next n bytes (no copy). */
  bytesView(n: number, what?: string): Uint8Array {
    this.ensure(n, what);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The rest of the input as a view. */
  rest(): Uint8Array {
    const out = this.bytes.subarray(this.pos);
    this.pos = this.bytes.byteLength;
    return out;
  }

  peekU8(offset = 0): number {
    this.ensure(offset + 1);
    return this.bytes[this.pos + offset]!;
  }
}
