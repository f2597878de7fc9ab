/**
 * An MSB-first bit writer, the mirror of BitReader: builds AudioSpecificConfig
 * and (in tests) synthetic parameter sets. Grows as needed.
 */
export class BitWriter {
  private buf = new Uint8Array(16);
  private bitPos = 0;

  get bitLength(): number {
    return this.bitPos;
  }

  bit(v: number | boolean): this {
    const byteIndex = this.bitPos >> 3;
    if (byteIndex >= this.buf.byteLength) {
      const grown = new Uint8Array(this.buf.byteLength * 2);
      grown.set(this.buf);
      this.buf = grown;
    }
    if (v) this.buf[byteIndex]! |= 0x80 >> (this.bitPos & 7);
    this.bitPos++;
    return this;
  }

  /** Writes the low n bits of value (n <= 32), most significant first. */
  bits(n: number, value: number): this {
    if (n > 32) throw new RangeError(`bits(${n}): at most 32`);
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** n) {
      throw new RangeError(`bits(${n}, ${value}): value does not fit`);
    }
    for (let i = n - 1; i >= 0; i--) this.bit(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  /** Unsigned Exp-Golomb, ue(v) (H.264 section 9.1). */
  ue(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 2 ** 32 - 2) throw new RangeError(`ue(${value})`);
    const codeNum = value + 1;
    const len = Math.floor(Math.log2(codeNum));
    for (let i = 0; i < len; i++) this.bit(0);
    return this.bits(len + 1, codeNum);
  }

  /** Signed Exp-Golomb, se(v) (H.264 section 9.1.1). */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** rbsp_trailing_bits(): a 1 then zeros up to the byte boundary. */
  trailingBits(): this {
    this.bit(1);
    return this.align();
  }

  /** Zero bits up to the next byte boundary. */
  align(): this {
    while (this.bitPos & 7) this.bit(0);
    return this;
  }

  /** The bytes written so far (a partial last byte is zero-padded). */
  toBytes(): Uint8Array {
    return this.buf.slice(0, (this.bitPos + 7) >> 3);
  }
}
