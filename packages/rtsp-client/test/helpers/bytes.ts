/** Small byte helpers shared by the tests. */

/** '12 10' / '1210' → bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, '');
  if (clean.length % 2 !== 0) throw new Error(`odd hex string: ${s}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
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

export function ascii(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

/** Deterministic PRNG (mulberry32): the fuzz tests are reproducible from their seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A NAL unit of `type` (H.264 header byte `nri<<5 | type`) followed by `size - 1` filler bytes. */
export function h264Nal(type: number, size: number, fill = 0xab, nri = 3): Uint8Array {
  const nal = new Uint8Array(size).fill(fill);
  nal[0] = (nri << 5) | type;
  return nal;
}

/** An H.265 NAL unit of `type` (2-byte header, layer 0, TID 1) followed by filler. */
export function h265Nal(type: number, size: number, fill = 0xcd): Uint8Array {
  const nal = new Uint8Array(size).fill(fill);
  nal[0] = type << 1;
  nal[1] = 1;
  return nal;
}
