/**
 * A big-endian cursor over a buffer whose size was computed beforehand. Every box
 * writer in this package measures first and then fills exactly that many bytes,
 * so the cursor never grows; DataView and `set` throw a RangeError if a measure
 * and a write ever disagree.
 */
export class ByteWriter {
  readonly #view: DataView;
  #pos: number;

  constructor(
    readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = offset;
  }

  get pos(): number {
    return this.#pos;
  }

  u8(v: number): void {
    this.#view.setUint8(this.#pos, v);
    this.#pos += 1;
  }

  u16(v: number): void {
    this.#view.setUint16(this.#pos, v);
    this.#pos += 2;
  }

  u24(v: number): void {
    this.#view.setUint8(this.#pos, Math.floor(v / 0x10000) & 0xff);
    this.#view.setUint16(this.#pos + 1, v & 0xffff);
    this.#pos += 3;
  }

  u32(v: number): void {
    this.#view.setUint32(this.#pos, v);
    this.#pos += 4;
  }

  i32(v: number): void {
    this.#view.setInt32(this.#pos, v);
    this.#pos += 4;
  }

  /** 64-bit unsigned from a safe integer; split with arithmetic because bitwise operators truncate to 32 bits. */
  u64(v: number): void {
    const hi = Math.floor(v / 0x1_0000_0000);
    this.#view.setUint32(this.#pos, hi);
    this.#view.setUint32(this.#pos + 4, v - hi * 0x1_0000_0000);
    this.#pos += 8;
  }

  /** A four-character code (box type, brand, handler type); ASCII only. */
  fourcc(code: string): void {
    for (let i = 0; i < 4; i++) this.#view.setUint8(this.#pos + i, code.charCodeAt(i));
    this.#pos += 4;
  }

  bytes(b: Uint8Array): void {
    this.buf.set(b, this.#pos);
    this.#pos += b.byteLength;
  }

  zeros(n: number): void {
    this.buf.fill(0, this.#pos, this.#pos + n);
    this.#pos += n;
  }
}
