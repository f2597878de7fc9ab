import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { CodecError, splitAnnexB, toLengthPrefixed, TruncatedError, type MediaFrame, type Track } from '@sluice/codec';
import type { FlvVideoTag } from '@sluice/rtmp-client';
import { FlvToFrames } from '../src/sources/rtmp-source.js';
import { MediaHandlerGuard } from '../src/sources/pull-source.js';

const annexB = new Uint8Array(readFileSync(new URL('../../codec/test/fixtures/h264-baseline-320x240-libx264.h264', import.meta.url)));

function sink(): { tracks: Track[][]; frames: MediaFrame[]; setTracks(t: readonly Track[]): void; pushFrame(f: MediaFrame): void } {
  return {
    tracks: [],
    frames: [],
    setTracks(t) {
      this.tracks.push([...t]);
    },
    pushFrame(f) {
      this.frames.push(f);
    },
  };
}

const frameTag = (data: Uint8Array, timestamp: number): FlvVideoTag => ({ kind: 'frame', codec: 'h264', timestamp, compositionTime: 0, keyframe: true, data });
const headerTag = (config: Uint8Array): FlvVideoTag => ({ kind: 'sequence-header', codec: 'h264', timestamp: 0, config });

describe('FLV to frames: sequence headers that are empty or broken', () => {
  it.each([
    ['Annex B (ffmpeg without global headers)', annexB],
    ['4-byte lengths', toLengthPrefixed(splitAnnexB(annexB))],
  ])('an empty AVC record: the track comes from the parameter sets in band, %s', (_name, data) => {
    const out = sink();
    const flv = new FlvToFrames(out);
    flv.onMetadata({ videocodecid: 7 }); // video only
    flv.onVideo(headerTag(new Uint8Array(0)));
    flv.onVideo(frameTag(data, 0));
    flv.onVideo(frameTag(data, 40));
    expect(out.tracks).toHaveLength(1);
    expect(out.tracks[0]![0]).toMatchObject({ kind: 'video', codec: 'h264', width: 320, height: 240 });
    expect(out.frames.map((f) => f.dts)).toEqual([0, 40 * 90]);
    expect(out.frames[0]!.keyframe).toBe(true);
  });

  it('a malformed AVC record throws a codec error and leaves the track as it was', () => {
    const out = sink();
    const flv = new FlvToFrames(out);
    let thrown: unknown;
    try {
      flv.onVideo(headerTag(Uint8Array.of(1, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x40))); // an SPS length past the end
    } catch (err) {
      thrown = err;
    }
    expect(thrown instanceof CodecError || thrown instanceof TruncatedError).toBe(true);
    flv.onVideo(frameTag(toLengthPrefixed(splitAnnexB(annexB)), 0));
    expect(out.frames).toEqual([]); // no track, no frames
  });
});

describe('media handler guard', () => {
  it('counts media that does not parse and goes on', () => {
    const badMedia = vi.fn();
    const endSession = vi.fn();
    const guard = new MediaHandlerGuard({ badMedia }, endSession);
    const seen: number[] = [];
    const handle = guard.wrap((n: number) => {
      if (n === 2) throw new TruncatedError(10, 2, 'sequence header');
      if (n === 3) throw new CodecError('INVALID_VALUE', 'bad AudioSpecificConfig');
      seen.push(n);
    });
    for (const n of [1, 2, 3, 4]) handle(n);
    expect(seen).toEqual([1, 4]);
    expect(badMedia).toHaveBeenCalledTimes(2);
    expect(endSession).not.toHaveBeenCalled();
    expect(guard.error).toBeUndefined();
  });

  it('ends the session on any other error, keeps it as the reason, and ignores what comes after', () => {
    const endSession = vi.fn();
    const guard = new MediaHandlerGuard({ badMedia: vi.fn() }, endSession);
    const seen: number[] = [];
    const handle = guard.wrap((n: number) => {
      if (n === 2) throw new RangeError('boom');
      seen.push(n);
    });
    for (const n of [1, 2, 3]) expect(() => handle(n)).not.toThrow();
    expect(seen).toEqual([1]);
    expect(endSession).toHaveBeenCalledTimes(1);
    expect(guard.error?.message).toMatch(/could not relay the upstream's media: boom/);
  });
});
