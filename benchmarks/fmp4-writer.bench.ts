/**
 * fMP4 writer: Sluice's hand-written writer vs mediabunny's fragmented MP4 muxer on
 * the same frames of a 10 s 1280x720 25 fps H.264 + 44.1 kHz AAC (43 fps) stream.
 *
 *   pnpm vitest bench --run benchmarks/fmp4-writer.bench.ts
 *
 * One iteration muxes the whole stream (init segment + every frame), so
 * frames/s = hz x the "frames per iteration" printed at the start.
 * The source has no B-frames so mediabunny's only per-frame mode (every packet
 * marked key) can run at all; see packages/fmp4/README.md.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { Fragment, initSegment, type Fmp4Sample } from '../packages/fmp4/src/index.js';
import { framesBeforeFirstKeyframeOut, muxWithMediabunny } from '../packages/fmp4/test/support/mediabunny-mux.js';
import { byDecodeTime } from '../packages/fmp4/test/support/mux.js';
import { demux, encodeSource } from '../packages/fmp4/test/support/source.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-fmp4-'));
const src = await demux(readFileSync(encodeSource(dir, 'libx264', { size: '1280x720', seconds: 10, bframes: 0, gop: 50 })), 1);
rmSync(dir, { recursive: true, force: true });
const frames = byDecodeTime(src.tracks, src.samples);

/** The relay's per-frame work: a sample object from its MediaFrame, one Fragment, the buffers for writev. */
function sluicePerFrame(copy: boolean): { fragments: number; headerBytes: number; copiedBytes: number } {
  initSegment(src.tracks);
  let seq = 1;
  let headerBytes = 0;
  let copiedBytes = 0;
  for (const { track, sample: s } of frames) {
    const sample: Fmp4Sample = { dts: s.dts, pts: s.pts, duration: s.duration, keyframe: s.keyframe, data: s.data };
    const f = new Fragment(seq++, [{ track, samples: [sample] }]);
    headerBytes += f.header.byteLength;
    if (copy) {
      const out = new Uint8Array(f.byteLength());
      copiedBytes += f.writeTo(out, 0);
    } else {
      f.toBuffers();
    }
  }
  return { fragments: seq - 1, headerBytes, copiedBytes };
}

// One accounting pass, printed before the timings.
const payload = frames.reduce((n, f) => n + f.sample.data.byteLength, 0);
const sluice = sluicePerFrame(false);
const mbGop = await muxWithMediabunny(frames, { everyPacketKey: false, target: 'null', account: true });
const mbFrame = await muxWithMediabunny(frames, { everyPacketKey: true, target: 'null', account: true });
console.log(
  [
    `node ${process.version}, ${cpus()[0]?.model ?? '?'} x${cpus().length}`,
    `frames per iteration: ${frames.length} (${src.samples.get(1)!.length} video + ${src.samples.get(2)!.length} audio), payload ${payload} bytes`,
    `sluice per-frame:              ${sluice.fragments} fragments; first keyframe out after 1 frame in; ${sluice.headerBytes} header bytes allocated, 0 payload bytes copied`,
    ...(
      [
        ['mediabunny keyframe-aligned:   ', mbGop],
        ['mediabunny every-packet-key:   ', mbFrame],
      ] as const
    ).map(
      ([name, r]) =>
        `${name}${r.fragments.length} fragments; first keyframe out after ${framesBeforeFirstKeyframeOut(frames, r)} frames in; ` +
        `${r.bytesOut} bytes allocated and handed out, payload ${r.sharesInputMemory ? 'shared' : 'copied'}`,
    ),
  ].join('\n'),
);

const options = { time: 3000, warmupTime: 500 };

describe(`fMP4 mux of ${frames.length} frames (10 s 720p25 H.264 + AAC)`, () => {
  bench('sluice: fragment per frame, toBuffers (payloads shared)', () => void sluicePerFrame(false), options);
  bench('sluice: fragment per frame, writeTo a fresh buffer (payloads copied)', () => void sluicePerFrame(true), options);
  bench(
    'mediabunny: fragmented, minimumFragmentDuration 0 (fragment per keyframe), NullTarget + callbacks',
    () => muxWithMediabunny(frames, { everyPacketKey: false, target: 'null', account: false }).then(() => undefined),
    options,
  );
  bench(
    'mediabunny: fragment per frame (every packet marked key), NullTarget + callbacks',
    () => muxWithMediabunny(frames, { everyPacketKey: true, target: 'null', account: false }).then(() => undefined),
    options,
  );
  bench(
    'mediabunny: fragment per frame (every packet marked key), StreamTarget',
    () => muxWithMediabunny(frames, { everyPacketKey: true, target: 'stream', account: false }).then(() => undefined),
    options,
  );
});
