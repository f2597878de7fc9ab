import { afterEach, describe, expect, it, vi } from 'vitest';
import { MediaSource } from '@sluice/core';
import type { MediaFrame, Track } from '@sluice/codec';
import { Fmp4Streams, type Fmp4Batch } from '../src/outputs/fmp4-stream.js';
import { VIDEO } from './fake-source.js';

const key = { vhost: '__defaultVhost__', app: 'live', stream: 'x' };

function frame(n: number, keyframe = n % 25 === 0): MediaFrame {
  return { trackId: 1, kind: 'video', dts: n * 3600, pts: n * 3600, keyframe, data: new Uint8Array([0, 0, 0, 1, keyframe ? 0x65 : 0x41]) };
}

class RecordingViewer {
  batches: Fmp4Batch[] = [];
  pending = 0;
  deliver(b: Fmp4Batch): void {
    this.batches.push(b);
  }
  pendingBytes(): number {
    return this.pending;
  }
  boxes(): string[] {
    // Each chunk writes: [init if new] moof+mdat header, payload.
    const out: string[] = [];
    let init: Uint8Array | undefined;
    for (const b of this.batches)
      for (const c of b.chunks) {
        if (c.init !== init) {
          init = c.init;
          out.push('init');
        }
        out.push(c.syncPoint ? 'K' : 'p');
      }
    return out;
  }
}

function boxType(bytes: Uint8Array, offset = 0): string {
  return String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('shared fMP4 stream', () => {
  function setup(mergeWriteMs = 0): { source: MediaSource; streams: Fmp4Streams } {
    const source = new MediaSource(key);
    source.setTracks([VIDEO]);
    return { source, streams: new Fmp4Streams({ maxPendingBytes: 1000, mergeWriteMs }) };
  }

  it('a late viewer starts with the init segment and the cached GOP from its keyframe', () => {
    const { source, streams } = setup();
    const frames = Array.from({ length: 30 }, (_, n) => frame(n));
    for (const f of frames) source.pushFrame(f);
    const viewer = new RecordingViewer();
    const sub = streams.for(source).subscribe(viewer);
    // GOP cache: the keyframe at 25 and the 4 frames after it.
    expect(viewer.boxes()).toEqual(['init', 'K', 'p', 'p', 'p', 'p']);
    const first = viewer.batches[0]!.chunks[0]!;
    expect(boxType(first.init)).toBe('ftyp');
    expect(boxType(first.buffers[0]!)).toBe('moof');
    // Payload is the frame's own bytes, not a copy.
    expect(first.buffers[1]).toBe(frames[25]!.data);
    source.pushFrame(frame(30));
    expect(viewer.boxes()).toHaveLength(7);
    sub.release();
  });

  it('shares one muxed fragment between all viewers (no per-viewer work)', () => {
    const { source, streams } = setup();
    source.pushFrame(frame(0));
    const a = new RecordingViewer();
    const b = new RecordingViewer();
    streams.for(source).subscribe(a);
    streams.for(source).subscribe(b);
    source.pushFrame(frame(1));
    expect(a.batches.at(-1)).toBe(b.batches.at(-1));
    // One joined buffer per batch, built once: what every viewer writes in one call.
    const batch = a.batches.at(-1)!;
    expect(Buffer.compare(batch.data, Buffer.concat(batch.chunks.flatMap((c) => c.buffers)))).toBe(0);
    expect(batch.data.byteLength).toBe(batch.byteLength);
  });

  it('a slow viewer skips to the next keyframe, a fast one gets everything', () => {
    const { source, streams } = setup();
    source.pushFrame(frame(0));
    const fast = new RecordingViewer();
    const slow = new RecordingViewer();
    streams.for(source).subscribe(fast);
    streams.for(source).subscribe(slow);
    slow.pending = 10_000; // above maxPendingBytes
    for (let n = 1; n < 25; n++) source.pushFrame(frame(n));
    slow.pending = 0;
    source.pushFrame(frame(25));
    expect(fast.boxes()).toHaveLength(1 + 26);
    expect(slow.boxes()).toEqual(['init', 'K', 'K']);
  });

  it('new codec parameters reach connected viewers as a new init segment', () => {
    const { source, streams } = setup();
    source.pushFrame(frame(0));
    const viewer = new RecordingViewer();
    streams.for(source).subscribe(viewer);
    const changed: Track = { ...VIDEO, width: 640, decoderConfig: new Uint8Array([1, 0x64, 0, 0x1f, 0xff, 0xe0, 0]) };
    source.setTracks([changed]);
    source.pushFrame(frame(1, true));
    expect(viewer.boxes()).toEqual(['init', 'K', 'init', 'K']);
  });

  it('with mergeWriteMS, gathers fragments into one write and starts a new batch at each keyframe', () => {
    vi.useFakeTimers();
    const { source, streams } = setup(100);
    const viewer = new RecordingViewer();
    source.pushFrame(frame(0));
    streams.for(source).subscribe(viewer);
    for (let n = 1; n < 5; n++) source.pushFrame(frame(n));
    expect(viewer.batches).toHaveLength(0);
    vi.advanceTimersByTime(100);
    expect(viewer.batches.map((b) => b.chunks.length)).toEqual([5]);
    source.pushFrame(frame(5));
    source.pushFrame(frame(6, true));
    // The keyframe flushed what came before it at once.
    expect(viewer.batches.map((b) => b.chunks.length)).toEqual([5, 1]);
    vi.advanceTimersByTime(100);
    expect(viewer.batches.map((b) => [b.chunks.length, b.syncPoint])).toEqual([
      [5, true],
      [1, false],
      [1, true],
    ]);
  });

  it('drops its muxer when the last viewer leaves', () => {
    const { source, streams } = setup();
    const s = streams.for(source);
    const sub = s.subscribe(new RecordingViewer());
    expect(source.readerCount).toBe(1);
    sub.release();
    expect(source.readerCount).toBe(0);
    expect(streams.for(source)).not.toBe(s);
  });
});
