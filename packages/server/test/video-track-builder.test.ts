import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { splitAnnexB, h264NalType, h265NalType, splitLengthPrefixed } from '@sluice/codec';
import { VideoTrackBuilder } from '../src/sources/video-track-builder.js';

const fixture = (name: string): Uint8Array =>
  readFileSync(new URL(`../../codec/test/fixtures/${name}`, import.meta.url));

describe('video track builder', () => {
  it.each([
    ['h264', 'h264-baseline-320x240-libx264.h264', 320, 240, /^avc1\.42/],
    ['h265', 'h265-main-640x360-l31-libx265.h265', 640, 360, /^hvc1\.1\.6\.L93/],
  ] as const)('learns a %s track from in-band parameter sets (%s)', (codec, file, width, height, codecString) => {
    const nals = splitAnnexB(fixture(file));
    const builder = new VideoTrackBuilder(codec, 1, 90000);
    const { frame, trackChanged } = builder.push(nals, 3600);
    expect(trackChanged).toBe(true);
    expect(builder.track).toMatchObject({ codec, width, height });
    expect(builder.track!.codecString).toMatch(codecString);
    expect(frame).toMatchObject({ trackId: 1, kind: 'video', pts: 3600, dts: 3600, keyframe: true });
    // AVCC length-prefixed, without access unit delimiters.
    const out = splitLengthPrefixed(frame!.data);
    const types = out.map((n) => (codec === 'h264' ? h264NalType(n) : h265NalType(n)));
    expect(types).not.toContain(codec === 'h264' ? 9 : 35);
    // The same parameter sets again: no track change.
    expect(builder.push(nals, 7200).trackChanged).toBe(false);
  });

  it('drops frames until it knows the parameter sets', () => {
    const nals = splitAnnexB(fixture('h264-baseline-320x240-libx264.h264'));
    const slices = nals.filter((n) => ![7, 8].includes(h264NalType(n)));
    const builder = new VideoTrackBuilder('h264', 1, 90000);
    expect(builder.push(slices, 0).frame).toBeUndefined();
    expect(builder.dropped).toBe(1);
  });

  it('uses parameter sets given up front (SDP sprop-parameter-sets)', () => {
    const nals = splitAnnexB(fixture('h264-main-640x360-crop-libx264.h264'));
    const sps = nals.filter((n) => h264NalType(n) === 7);
    const pps = nals.filter((n) => h264NalType(n) === 8);
    const builder = new VideoTrackBuilder('h264', 1, 90000, { sps, pps });
    expect(builder.track).toMatchObject({ width: 640, height: 360 });
  });

  it('a new SPS in-band yields a new track (new init for viewers)', () => {
    const a = splitAnnexB(fixture('h264-baseline-320x240-libx264.h264'));
    const b = splitAnnexB(fixture('h264-main-640x360-crop-libx264.h264'));
    const builder = new VideoTrackBuilder('h264', 1, 90000);
    builder.push(a, 0);
    const changed = builder.push(b, 3600);
    expect(changed.trackChanged).toBe(true);
    expect(builder.track).toMatchObject({ width: 640, height: 360 });
  });
});
