/**
 * NAL unit framing shared by H.264 and H.265: Annex B byte streams (start codes),
 * length-prefixed "AVCC" samples, and emulation prevention.
 *
 * Specification: ITU-T H.264 Annex B (byte stream format) and section 7.4.1
 * (emulation_prevention_three_byte); ITU-T H.265 Annex B and section 7.4.2;
 * ISO/IEC 14496-15 section 5.3.2 (length-prefixed samples).
 */
import { ByteReader } from './byte-reader.js';
import { CodecError } from './errors.js';
import { findStartCode, searchableBytes } from './start-code.js';

/**
 * Splits an Annex B byte stream into NAL units (views into `data`, no copy).
 *
 *   [00] 00 00 01 | NAL | [00...] 00 00 01 | NAL | trailing_zero_8bits
 *
 * Both 3- and 4-byte start codes are accepted; zero bytes before a start code
 * (the fourth start-code byte, trailing_zero_8bits) are not part of the NAL unit.
 * Empty NAL units are dropped. Bytes other than zeros before the first start code
 * throw NO_START_CODE: the input is not Annex B (perhaps length-prefixed).
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  // The search runs over a native view of the same bytes; the NAL units are views of `data` itself.
  const bytes = searchableBytes(data);
  const n = data.byteLength;
  let at = findStartCode(bytes, 0);
  if (at < 0) {
    checkLeadingZeros(data, n);
    return out;
  }
  checkLeadingZeros(data, at);
  for (;;) {
    const start = at + 3;
    at = findStartCode(bytes, start);
    if (at < 0) {
      pushTrimmed(out, data, start, n);
      return out;
    }
    pushTrimmed(out, data, start, at);
  }
}

function checkLeadingZeros(data: Uint8Array, end: number): void {
  for (let i = 0; i < end; i++) {
    if (data[i] !== 0) throw new CodecError('NO_START_CODE', `Annex B data has ${end} bytes before the first start code`);
  }
}

function pushTrimmed(out: Uint8Array[], data: Uint8Array, start: number, end: number): void {
  // A NAL unit never ends in 0x00 (rbsp_trailing_bits / cabac_zero_word 0x000003).
  while (end > start && data[end - 1] === 0) end--;
  if (end > start) out.push(data.subarray(start, end));
}

/**
 * Splits length-prefixed NAL units (an AVCC / HVCC sample, lengthSize from the
 * decoder configuration record) into views. A length past the end of `data`
 * throws TruncatedError; zero-length entries are dropped.
 *
 *   | length (lengthSize bytes, big-endian) | NAL | length | NAL | ...
 */
export function splitLengthPrefixed(data: Uint8Array, lengthSize: 1 | 2 | 4 = 4): Uint8Array[] {
  if (lengthSize !== 1 && lengthSize !== 2 && lengthSize !== 4) {
    throw new CodecError('INVALID_VALUE', `NAL length size ${String(lengthSize)}, must be 1, 2 or 4`);
  }
  const out: Uint8Array[] = [];
  const r = new ByteReader(data);
  while (r.remaining > 0) {
    const len = lengthSize === 4 ? r.u32() : lengthSize === 2 ? r.u16() : r.u8();
    if (len > 0) out.push(r.bytesView(len, 'NAL unit'));
  }
  return out;
}

/** Joins NAL units into one buffer, each prefixed by its 4-byte big-endian length. */
export function toLengthPrefixed(nals: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const nal of nals) total += 4 + nal.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const nal of nals) {
    view.setUint32(pos, nal.byteLength);
    out.set(nal, pos + 4);
    pos += 4 + nal.byteLength;
  }
  return out;
}

/**
 * The RBSP of a NAL unit: every emulation_prevention_three_byte (the 0x03 of
 * 0x000003) removed. Returns `nal` itself when there is none (the common case for
 * short parameter sets), otherwise a new array. The NAL header stays in place.
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  const n = nal.byteLength;
  let first = -1;
  for (let i = 2; i < n; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) {
      first = i;
      break;
    }
  }
  if (first < 0) return nal;
  const out = new Uint8Array(n - 1);
  out.set(nal.subarray(0, first));
  let o = first;
  let zeros = 0;
  for (let i = first + 1; i < n; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}

/**
 * The inverse of removeEmulationPrevention: inserts 0x03 wherever two zero bytes
 * are followed by a byte <= 3, and after a final 0x0000 (cabac_zero_word, H.264
 * section 7.4.1).
 */
export function addEmulationPrevention(rbsp: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(b);
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (zeros >= 2) out.push(3);
  return Uint8Array.from(out);
}
