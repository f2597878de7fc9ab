/**
 * Reads the moof boxes of a segment or part back: per fragment, per traf, the
 * track id, tfdt and the trun samples. Written from ISO/IEC 14496-12 section 8.8,
 * independent of the writer.
 */
export interface TrafInfo {
  trackId: number;
  baseMediaDecodeTime: number;
  samples: { duration: number; size: number; flags: number }[];
}

export interface FragmentInfo {
  sequenceNumber: number;
  trafs: TrafInfo[];
}

export function concat(buffers: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let pos = 0;
  for (const b of buffers) {
    out.set(b, pos);
    pos += b.byteLength;
  }
  return out;
}

export function readFragments(bytes: Uint8Array): FragmentInfo[] {
  const out: FragmentInfo[] = [];
  for (const box of children(bytes)) {
    if (box.type === 'moof') {
      const f: FragmentInfo = { sequenceNumber: 0, trafs: [] };
      for (const c of children(box.body)) {
        if (c.type === 'mfhd') f.sequenceNumber = dv(c.body).getUint32(4);
        if (c.type === 'traf') f.trafs.push(readTraf(c.body));
      }
      out.push(f);
    } else if (box.type !== 'mdat' && box.type !== 'ftyp' && box.type !== 'moov') {
      throw new Error(`unexpected top-level box ${box.type}`);
    }
  }
  return out;
}

function readTraf(body: Uint8Array): TrafInfo {
  const t: TrafInfo = { trackId: 0, baseMediaDecodeTime: 0, samples: [] };
  for (const c of children(body)) {
    const v = dv(c.body);
    if (c.type === 'tfhd') t.trackId = v.getUint32(4);
    if (c.type === 'tfdt') t.baseMediaDecodeTime = c.body[0] === 1 ? Number(v.getBigUint64(4)) : v.getUint32(4);
    if (c.type === 'trun') {
      const flags = v.getUint32(0) & 0xffffff;
      const count = v.getUint32(4);
      let pos = 8;
      if (flags & 0x1) pos += 4;
      let first: number | undefined;
      if (flags & 0x4) { first = v.getUint32(pos); pos += 4; }
      for (let i = 0; i < count; i++) {
        const s = { duration: 0, size: 0, flags: i === 0 && first !== undefined ? first : 0 };
        if (flags & 0x100) { s.duration = v.getUint32(pos); pos += 4; }
        if (flags & 0x200) { s.size = v.getUint32(pos); pos += 4; }
        if (flags & 0x400) { s.flags = v.getUint32(pos); pos += 4; }
        if (flags & 0x800) pos += 4;
        t.samples.push(s);
      }
    }
  }
  return t;
}

function children(buf: Uint8Array): { type: string; body: Uint8Array }[] {
  const out: { type: string; body: Uint8Array }[] = [];
  const v = dv(buf);
  let pos = 0;
  while (pos + 8 <= buf.byteLength) {
    let size = v.getUint32(pos);
    let header = 8;
    if (size === 1) { size = Number(v.getBigUint64(pos + 8)); header = 16; }
    const type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    if (size < header || pos + size > buf.byteLength) throw new Error(`box ${type} at ${pos}: bad size ${size}`);
    out.push({ type, body: buf.subarray(pos + header, pos + size) });
    pos += size;
  }
  if (pos !== buf.byteLength) throw new Error(`${buf.byteLength - pos} trailing bytes`);
  return out;
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** sample_is_non_sync_sample (ISO/IEC 14496-12 section 8.8.3.1). */
export function isSync(flags: number): boolean {
  return (flags & 0x1_0000) === 0;
}
