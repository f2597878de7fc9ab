/**
 * Start-code scans on real camera data, before and after the native search (issue 7):
 * `splitAnnexB` (@sluice/codec) on every video access unit of the RTP-ingest camera
 * (benchmarks/lib/ps-camera.ts: 720p25 H.264, 1900 kb/s CBR, GOP 50; the sizes are
 * printed at the start), and the PS demuxer's system start-code search
 * (@sluice/rtp-receiver) over the PS bytes of every frame.
 *
 *   pnpm vitest bench --run benchmarks/annexb.bench.ts
 *
 * "before" is a verbatim copy of the JS byte loops of commit fb6f409 (below, labelled);
 * "now" is the code in packages/. One iteration scans the whole 30 s clip, so
 * access units/s = hz × the count printed at the start. The relay splits each video
 * access unit twice (the PS frame assembler checks for a keyframe, the remux session
 * builds samples), and searches the PS stream of every packet once.
 */
import { cpus } from 'node:os';
import { bench, describe } from 'vitest';
import { splitAnnexB } from '../packages/codec/src/index.js';
import { findSystemStartCode } from '../packages/rtp-receiver/src/byte-queue.js';
import { cameraFrames } from './lib/camera-frames.js';

// ---- before: commit fb6f409, packages/codec/src/nal.ts and packages/rtp-receiver/src/byte-queue.ts, copied verbatim ----
function splitAnnexBBefore(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const n = data.byteLength;
  let start = -1;
  let i = 0;
  while (i + 2 < n) {
    const b2 = data[i + 2]!;
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && data[i + 1] === 0 && data[i] === 0) {
      if (start < 0) checkLeadingZerosBefore(data, i);
      else pushTrimmedBefore(out, data, start, i);
      start = i + 3;
      i = start;
      continue;
    }
    i++;
  }
  if (start < 0) {
    checkLeadingZerosBefore(data, n);
    return out;
  }
  pushTrimmedBefore(out, data, start, n);
  return out;
}
function checkLeadingZerosBefore(data: Uint8Array, end: number): void {
  for (let i = 0; i < end; i++) if (data[i] !== 0) throw new Error('NO_START_CODE');
}
function pushTrimmedBefore(out: Uint8Array[], data: Uint8Array, start: number, end: number): void {
  while (end > start && data[end - 1] === 0) end--;
  if (end > start) out.push(data.subarray(start, end));
}
function findSystemStartCodeBefore(v: Uint8Array, from = 0, limit = v.byteLength): number {
  const last = Math.min(limit, v.byteLength - 3);
  let i = from;
  while (i < last) {
    const b2 = v[i + 2]!;
    if (b2 > 1) {
      i += 3;
      continue;
    }
    if (b2 === 1 && v[i + 1] === 0 && v[i] === 0 && v[i + 3]! >= 0xb9) return i;
    i++;
  }
  return -1;
}
// ---- end of before ----

const cam = await cameraFrames(30);
const aus = cam.videoAus;
// The relay's access units are plain Uint8Arrays (the assembler's copy), so "now" wraps each once, as in the relay.
const auBytes = aus.reduce((n, a) => n + a.byteLength, 0);
const sizes = aus.map((a) => a.byteLength).sort((a, b) => a - b);
const psBuffers = cam.psFrames.map((f) => Buffer.from(f));
const psBytes = psBuffers.reduce((n, f) => n + f.byteLength, 0);

let nalsBefore = 0;
let nalsNow = 0;
for (const au of aus) {
  const a = splitAnnexBBefore(au);
  const b = splitAnnexB(au);
  nalsBefore += a.length;
  nalsNow += b.length;
  if (a.length !== b.length || a.some((x, k) => x.byteOffset !== b[k]!.byteOffset || x.byteLength !== b[k]!.byteLength)) {
    throw new Error('before and now split an access unit differently');
  }
}
const allSystemCodes = (v: Uint8Array, find: typeof findSystemStartCode): number => {
  let n = 0;
  for (let i = find(v, 0); i >= 0; i = find(v, i + 4)) n++;
  return n;
};
const codesBefore = psBuffers.reduce((n, f) => n + allSystemCodes(f, findSystemStartCodeBefore), 0);
const codesNow = psBuffers.reduce((n, f) => n + allSystemCodes(f, findSystemStartCode), 0);
if (codesBefore !== codesNow) throw new Error(`system start codes: before ${codesBefore}, now ${codesNow}`);

console.log(
  [
    `node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}`,
    `access units per iteration: ${aus.length} (${cam.keyframes} IDR), ${auBytes} bytes, ${nalsNow} NAL units; ` +
      `size median ${sizes[sizes.length >> 1]} B, max ${sizes[sizes.length - 1]} B`,
    `PS frames per iteration: ${psBuffers.length}, ${psBytes} bytes, ${codesNow} system start codes`,
  ].join('\n'),
);

const options = { time: 3000, warmupTime: 500 };

describe(`splitAnnexB over ${aus.length} access units (30 s of 720p25 at 1.9 Mb/s)`, () => {
  bench('before: JS byte loop (fb6f409)', () => {
    for (const au of aus) splitAnnexBBefore(au);
  }, options);
  bench('now: native search (Buffer#indexOf of 00 00 01)', () => {
    for (const au of aus) splitAnnexB(au);
  }, options);
});

describe(`PS system start codes over ${psBuffers.length} frames of PS`, () => {
  bench('before: JS byte loop (fb6f409)', () => void psBuffers.reduce((n, f) => n + allSystemCodes(f, findSystemStartCodeBefore), 0), options);
  bench('now: native search', () => void psBuffers.reduce((n, f) => n + allSystemCodes(f, findSystemStartCode), 0), options);
});
