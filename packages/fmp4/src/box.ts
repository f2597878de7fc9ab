import { ByteWriter } from './byte-writer.js';

/**
 * One box of the init segment, measured before it is written.
 *
 * Specification: ISO/IEC 14496-12 section 4.2 (Box, FullBox)
 *
 *   0      4      8         9        12
 *   +------+------+---------+--------+--------+----------+
 *   | size | type | version | flags  | fields | children |
 *   +------+------+---------+--------+--------+----------+
 *                 \__ FullBox only __/
 *
 * The init segment is written once per stream, so a small tree of these keeps
 * each box a readable function. The per-frame `moof` does not use it: it is
 * written straight into one buffer (see fragment.ts).
 */
export interface Box {
  /** Four-character code. */
  readonly type: string;
  /** Present for a FullBox. */
  readonly full?: { readonly version: number; readonly flags: number };
  /** Bytes written by `writeFields`. */
  readonly fieldsLength?: number;
  readonly writeFields?: (w: ByteWriter) => void;
  readonly children?: readonly Box[];
}

const BOX_HEADER_LENGTH = 8;
const FULL_BOX_HEADER_LENGTH = 4;

export function boxLength(box: Box): number {
  let n = BOX_HEADER_LENGTH + (box.full ? FULL_BOX_HEADER_LENGTH : 0) + (box.fieldsLength ?? 0);
  if (box.children) for (const child of box.children) n += boxLength(child);
  return n;
}

export function writeBox(w: ByteWriter, box: Box): void {
  const start = w.pos;
  const size = boxLength(box);
  w.u32(size);
  w.fourcc(box.type);
  if (box.full) {
    w.u8(box.full.version);
    w.u24(box.full.flags);
  }
  const fieldsStart = w.pos;
  box.writeFields?.(w);
  if (w.pos - fieldsStart !== (box.fieldsLength ?? 0)) {
    // A box writer whose measure and write disagree would corrupt every box after it.
    throw new Error(`internal: '${box.type}' wrote ${w.pos - fieldsStart} field bytes, declared ${box.fieldsLength ?? 0}`);
  }
  if (box.children) for (const child of box.children) writeBox(w, child);
  if (w.pos - start !== size) throw new Error(`internal: '${box.type}' wrote ${w.pos - start} bytes, measured ${size}`);
}

/** Serializes a sequence of top-level boxes into one buffer. */
export function serializeBoxes(boxes: readonly Box[]): Uint8Array {
  let total = 0;
  for (const b of boxes) total += boxLength(b);
  const buf = new Uint8Array(total);
  const w = new ByteWriter(buf);
  for (const b of boxes) writeBox(w, b);
  return buf;
}
