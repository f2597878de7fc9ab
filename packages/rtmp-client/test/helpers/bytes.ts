/** `hex('02 00 03 61 62 63')`: bytes from hex digits, whitespace ignored (for case tables). */
export function hex(s: string): Uint8Array {
  const digits = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new Error(`bad hex: ${s}`);
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** `n` bytes counting up from `start` (mod 256): payloads whose misplacement shows. */
export function ramp(n: number, start = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (start + i) & 0xff;
  return out;
}

export function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/**
 * Splits `bytes` into pieces at pseudo-random points (deterministic for a seed), the
 * way TCP may deliver them.
 */
export function randomSplits(bytes: Uint8Array, seed: number, maxPiece = 40): Uint8Array[] {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    // xorshift32: a fixed sequence per seed keeps failures reproducible.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; ) {
    const n = 1 + (next() % maxPiece);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}
