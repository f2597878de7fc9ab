/**
 * A test-only ISO BMFF box walker: just enough structure to assert on what the
 * writer produced, written independently of the writer's code.
 */
export interface ParsedBox {
  type: string;
  /** Absolute offset of the box's first byte. */
  offset: number;
  /** Declared size (largesize resolved). */
  size: number;
  headerSize: number;
  /** Bytes after the header, clipped to the buffer (an mdat may extend past a header-only buffer). */
  body: Uint8Array;
  children: ParsedBox[];
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'dinf', 'stbl', 'mvex', 'moof', 'traf', 'edts']);
/** Boxes whose children start after some fields: FullBox + entry_count, or sample entry fields. */
const CHILDREN_AFTER: Record<string, number> = {
  stsd: 8,
  dref: 8,
  avc1: 78,
  hvc1: 78,
  mp4a: 28,
  alaw: 28,
  ulaw: 28,
};

export function walk(buf: Uint8Array, base = 0): ParsedBox[] {
  const out: ParsedBox[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  while (pos + 8 <= buf.byteLength) {
    let size = dv.getUint32(pos);
    const type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    let headerSize = 8;
    if (size === 1) {
      size = Number(dv.getBigUint64(pos + 8));
      headerSize = 16;
    } else if (size === 0) {
      size = buf.byteLength - pos;
    }
    if (size < headerSize) throw new Error(`box '${type}' at ${base + pos}: size ${size}`);
    const body = buf.subarray(pos + headerSize, Math.min(pos + size, buf.byteLength));
    let children: ParsedBox[] = [];
    if (CONTAINERS.has(type)) children = walk(body, base + pos + headerSize);
    else if (type in CHILDREN_AFTER) {
      const skip = CHILDREN_AFTER[type];
      children = walk(body.subarray(skip), base + pos + headerSize + skip);
    }
    out.push({ type, offset: base + pos, size, headerSize, body, children });
    pos += size;
  }
  if (pos < buf.byteLength) throw new Error(`${buf.byteLength - pos} trailing bytes at ${base + pos}`);
  return out;
}

/** All boxes at a slash-separated path, e.g. `moov/trak/mdia/mdhd`. */
export function findAll(boxes: readonly ParsedBox[], path: string): ParsedBox[] {
  const [head, ...rest] = path.split('/');
  const here = boxes.filter((b) => b.type === head);
  if (rest.length === 0) return here;
  return here.flatMap((b) => findAll(b.children, rest.join('/')));
}

export function find(boxes: readonly ParsedBox[], path: string): ParsedBox {
  const all = findAll(boxes, path);
  if (all.length !== 1) throw new Error(`expected one '${path}', found ${all.length}`);
  return all[0];
}

export function view(b: ParsedBox): DataView {
  return new DataView(b.body.buffer, b.body.byteOffset, b.body.byteLength);
}

export function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** FullBox version and flags. */
export function versionFlags(b: ParsedBox): { version: number; flags: number } {
  const v = view(b).getUint32(0);
  return { version: v >>> 24, flags: v & 0xffffff };
}

export interface ParsedTrun {
  version: number;
  flags: number;
  dataOffset: number | undefined;
  samples: { duration?: number; size?: number; flags?: number; cto?: number }[];
}

/** Specification: ISO/IEC 14496-12 section 8.8.8 (read side, for assertions) */
export function parseTrun(b: ParsedBox): ParsedTrun {
  const dv = view(b);
  const { version, flags } = versionFlags(b);
  const count = dv.getUint32(4);
  let pos = 8;
  let dataOffset: number | undefined;
  if (flags & 0x1) {
    dataOffset = dv.getInt32(pos);
    pos += 4;
  }
  if (flags & 0x4) pos += 4; // first_sample_flags
  const samples: ParsedTrun['samples'] = [];
  for (let i = 0; i < count; i++) {
    const s: ParsedTrun['samples'][number] = {};
    if (flags & 0x100) (s.duration = dv.getUint32(pos)), (pos += 4);
    if (flags & 0x200) (s.size = dv.getUint32(pos)), (pos += 4);
    if (flags & 0x400) (s.flags = dv.getUint32(pos)), (pos += 4);
    if (flags & 0x800) (s.cto = version === 1 ? dv.getInt32(pos) : dv.getUint32(pos)), (pos += 4);
    samples.push(s);
  }
  if (pos !== b.body.byteLength) throw new Error(`trun: ${b.body.byteLength - pos} unparsed bytes`);
  return { version, flags, dataOffset, samples };
}

/** tfdt baseMediaDecodeTime (either version). */
export function parseTfdt(b: ParsedBox): number {
  const dv = view(b);
  return versionFlags(b).version === 1 ? Number(dv.getBigUint64(4)) : dv.getUint32(4);
}
