/**
 * Pins the facts behind the README's "why not mediabunny as the muxer" decision, so
 * a mediabunny upgrade that changes them fails here and the decision gets revisited.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesBeforeFirstKeyframeOut, muxWithMediabunny } from './support/mediabunny-mux.js';
import { byDecodeTime, perFrameFragments } from './support/mux.js';
import { demux, encodeSource, type Demuxed } from './support/source.js';

describe('mediabunny 1.61 as a live fMP4 muxer', () => {
  let dir: string;
  let src: Demuxed;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-fmp4-mb-'));
    src = await demux(readFileSync(encodeSource(dir, 'libx264')), 1);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('chooses fragment boundaries itself, at keyframes: the first GOP comes out (with the moov) when the next keyframe goes in', async () => {
    const frames = byDecodeTime(src.tracks, src.samples);
    const r = await muxWithMediabunny(frames, { everyPacketKey: false, target: 'null', account: true });
    const secondKeyframe = frames.findIndex((f, i) => i > 0 && f.track.kind === 'video' && f.sample.keyframe);
    expect(framesBeforeFirstKeyframeOut(frames, r)).toBeGreaterThanOrEqual(secondKeyframe);
    expect(r.framesBeforeInit).toBeGreaterThanOrEqual(secondKeyframe);
    // 3 GOPs (plus small audio-only fragments between them), not one fragment per frame.
    expect(r.fragments.length).toBeLessThan(frames.length / 10);
    // Sluice: one fragment per frame, each built as soon as its frame is there.
    expect(perFrameFragments(src.tracks, src.samples)).toHaveLength(frames.length);
  });

  it('per-frame fragments need every packet marked key, which B-frames reject', async () => {
    const frames = byDecodeTime(src.tracks, src.samples);
    await expect(muxWithMediabunny(frames, { everyPacketKey: true, target: 'null', account: false })).rejects.toThrow(
      /Timestamps cannot be smaller than the largest timestamp of the previous GOP/,
    );
  });

  it('copies payloads: the mdat it hands out never shares memory with the input packets', async () => {
    const frames = byDecodeTime(src.tracks, src.samples);
    const r = await muxWithMediabunny(frames, { everyPacketKey: false, target: 'null', account: true });
    const payload = frames.reduce((n, f) => n + f.sample.data.byteLength, 0);
    expect(r.sharesInputMemory).toBe(false);
    expect(r.bytesOut).toBeGreaterThan(payload);
  });
});
