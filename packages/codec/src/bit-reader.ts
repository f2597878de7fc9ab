import { TruncatedError } from './byte-reader.js';
import { CodecError } from './errors.js';

/**
 * An MSB-first bit reader for codec headers (SPS, AudioSpecificConfig, PSM fields),
 * with Exp-Golomb codes (H.264 section 9.1). Reading past the end throws TruncatedError;
 * an Exp-Golomb code longer than 32 bits (garbage input) throws CodecError EXP_GOLOMB_OVERFLOW.
 */
export class BitReader {
  private bitPos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get bitsLeft(): number {
    return this.bytes.byteLength * 8 - this.bitPos;
  }

  get position(): number {
    return this.bitPos;
  }

  bit(): number {
    if (this.bitPos >= this.bytes.byteLength * 8) throw new TruncatedError(1, 0, 'bits');
    const byte = this.bytes[this.bitPos >> 3]!;
    const v = (byte >> (7 - (this.bitPos & 7))) & 1;
    this.bitPos++;
    return v;
  }

  bool(): boolean {
    return this.bit() === 1;
  }

  /**
   * Up to 32 bits, unsigned. Uses arithmetic, not shifts, so 32-bit values stay
   * positive. Reads up to a byte per step (timestamps and SCR fields are read per frame).
   */
  bits(n: number): number {
    if (n > 32) throw new RangeError(`bits(${n}): at most 32`);
    if (this.bitsLeft < n) throw new TruncatedError(n, this.bitsLeft, 'bits');
    let v = 0;
    let left = n;
    while (left > 0) {
      const avail = 8 - (this.bitPos & 7);
      const take = avail < left ? avail : left;
      const chunk = (this.bytes[this.bitPos >> 3]! >> (avail - take)) & ((1 << take) - 1);
      v = v * (1 << take) + chunk;
      this.bitPos += take;
      left -= take;
    }
    return v;
  }

  skipBits(n: number): void {
    if (this.bitsLeft < n) throw new TruncatedError(n, this.bitsLeft, 'bits');
    this.bitPos += n;
  }

  /** Unsigned Exp-Golomb, ue(v). */
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      // A valid ue(v) in any header we parse fits in 32 bits.
      if (++zeros > 31) throw new CodecError('EXP_GOLOMB_OVERFLOW', 'exp-golomb code longer than 32 bits');
    }
    return zeros === 0 ? 0 : 2 ** zeros - 1 + this.bits(zeros);
  }

  /** Signed Exp-Golomb, se(v). */
  se(): number {
    const k = this.ue();
    // `0 - x` rather than `-x`: se(v) of codeNum 0 is +0, not -0.
    return k % 2 === 1 ? (k + 1) / 2 : 0 - k / 2;
  }
}
