/** Shared test helpers: fixtures, ffprobe / ffmpeg, hex, a seeded PRNG, error matchers. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { CodecErrorCode } from '../src/index.js';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

/** `ffprobe -show_streams` of a file, first stream. */
export function ffprobeStream(path: string): Record<string, unknown> {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', path], { encoding: 'utf8' });
  return (JSON.parse(out) as { streams: Record<string, unknown>[] }).streams[0]!;
}

/** Remuxes a fixture into MP4 with ffmpeg (stream copy): ffmpeg writes its own avcC / hvcC / esds. */
export function remuxToMp4(input: string, output: string): Uint8Array {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', input, '-c', 'copy', '-f', 'mp4', output]);
  return new Uint8Array(readFileSync(output));
}

/** The body of the first box of `type` found anywhere in an MP4 (a byte search is enough for ffmpeg output). */
export function findBoxBody(mp4: Uint8Array, type: string): Uint8Array {
  const t = [...type].map((c) => c.charCodeAt(0));
  for (let i = 4; i + 4 <= mp4.byteLength; i++) {
    if (mp4[i] === t[0] && mp4[i + 1] === t[1] && mp4[i + 2] === t[2] && mp4[i + 3] === t[3]) {
      const size = new DataView(mp4.buffer, mp4.byteOffset).getUint32(i - 4);
      return mp4.subarray(i + 4, i - 4 + size);
    }
  }
  throw new Error(`no ${type} box`);
}

/** '12 10' / '1210' → bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** mulberry32: a small seeded PRNG so fuzz runs are reproducible. */
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

/** Matcher for `expect(fn).toThrow(codecError('INVALID_VALUE'))`. */
export function codecError(code: CodecErrorCode): unknown {
  return expect.objectContaining({ name: 'CodecError', code });
}
