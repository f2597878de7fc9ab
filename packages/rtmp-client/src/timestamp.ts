/**
 * Turns 32-bit RTMP timestamps (milliseconds, wrapping every ~49.7 days) into an
 * unwrapped number. One instance per clock (per track). A jump of more than half
 * the range is read as a wrap, forwards or, for a late message, backwards.
 */
export class TimestampUnwrapper {
  private last: number | null = null;
  private epoch = 0;

  unwrap(ts32: number): number {
    if (this.last !== null) {
      const diff = ts32 - this.last;
      if (diff < -HALF) this.epoch += RANGE;
      else if (diff > HALF) this.epoch -= RANGE;
    }
    this.last = ts32;
    return ts32 + this.epoch;
  }
}

const RANGE = 0x1_0000_0000;
const HALF = RANGE / 2;
