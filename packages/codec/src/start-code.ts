/**
 * The search for the start code prefix 00 00 01 that Annex B byte streams and
 * MPEG-2 systems streams share: the NAL splitter here and the PS demuxer of
 * @sluice/rtp-receiver scan every byte of every access unit with it.
 *
 * Specification: ITU-T H.264 section B.1.1 (start_code_prefix_one_3bytes);
 * ITU-T H.265 section B.2.1; ISO/IEC 13818-1 section 2.5.3.1 (packet_start_code_prefix).
 *
 * Under Node.js the search runs in native code (Buffer#indexOf of the 3-byte
 * pattern: 4-5x the JS loop on coded video, benchmarks/RESULTS.md "Hot path");
 * without Node's Buffer (a browser) the JS loop below does the same.
 */

/** start_code_prefix_one_3bytes / packet_start_code_prefix. */
const START_CODE_PREFIX = Uint8Array.of(0, 0, 1);

/** The part of Node's Buffer used here, typed locally so that this package does not need Node. */
type NativeBytes = Uint8Array & { indexOf(value: Uint8Array, byteOffset?: number): number };
interface NativeBytesClass {
  readonly prototype: NativeBytes;
  from(buffer: ArrayBufferLike, byteOffset?: number, length?: number): NativeBytes;
}

const NativeBuffer = (globalThis as { Buffer?: NativeBytesClass }).Buffer;

function isNative(data: Uint8Array): data is NativeBytes {
  return NativeBuffer !== undefined && data instanceof (NativeBuffer as unknown as typeof Uint8Array);
}

/**
 * `data` in the form `findStartCode` searches fastest: a Node Buffer over the same
 * memory (no copy) where Node's Buffer exists, otherwise `data` itself. Wrap once per
 * buffer, not per search.
 */
export function searchableBytes(data: Uint8Array): Uint8Array {
  if (NativeBuffer === undefined || isNative(data)) return data;
  return NativeBuffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The index of the first 00 00 01 that begins at or after `from` (>= 0), or -1.
 * Native when `data` is a Node Buffer (see `searchableBytes`), a JS loop otherwise;
 * both give the same answer.
 */
export function findStartCode(data: Uint8Array, from = 0): number {
  if (isNative(data)) return data.indexOf(START_CODE_PREFIX, from);
  return scanStartCode(data, from);
}

/** The portable search: one read per three bytes where the third is above 1 (no start code can begin at any of them). */
export function scanStartCode(data: Uint8Array, from = 0): number {
  const n = data.byteLength;
  let i = from;
  while (i + 2 < n) {
    const b2 = data[i + 2]!;
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && data[i + 1] === 0 && data[i] === 0) return i;
    i++;
  }
  return -1;
}
