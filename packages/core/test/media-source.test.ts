import { afterEach, describe, expect, test, vi } from 'vitest';
import type { MediaFrame, Track } from '@sluice/codec';
import { CoreError, DEFAULT_VHOST, MediaSource, type MediaSourceOptions } from '../src/index.js';
import { audioFrame, audioTrack, avcC, RecordingReader, videoFrame, videoTrack } from './media-fixtures.js';

const KEY = { vhost: DEFAULT_VHOST, app: 'live', stream: 'cam1' };

function sourceOf(options: Partial<MediaSourceOptions> = {}): MediaSource {
  return new MediaSource(KEY, options);
}

/** 'K' video keyframe, 'P' video non-key frame, 'A' audio frame, 'U' a frame of unknown track 9. */
function frames(pattern: string, firstDts = 0): MediaFrame[] {
  return Array.from(pattern, (letter, i) => {
    const dts = firstDts + i;
    if (letter === 'K') return videoFrame(dts, true);
    if (letter === 'P') return videoFrame(dts, false);
    if (letter === 'A') return audioFrame(dts);
    return videoFrame(dts, true, 9);
  });
}

function pushAll(source: MediaSource, list: MediaFrame[]): void {
  for (const frame of list) source.pushFrame(frame);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MediaSource readiness', () => {
  const cases: { name: string; tracks: Track[] | undefined; pattern: string; readyAfter: number | undefined; dropped: number }[] = [
    { name: 'video: at the first keyframe', tracks: [videoTrack(), audioTrack()], pattern: 'APPKPA', readyAfter: 4, dropped: 3 },
    { name: 'video: audio alone is not enough', tracks: [videoTrack(), audioTrack()], pattern: 'AAA', readyAfter: undefined, dropped: 3 },
    { name: 'audio only: at the first audio frame', tracks: [audioTrack()], pattern: 'AA', readyAfter: 1, dropped: 0 },
    { name: 'no tracks: never', tracks: undefined, pattern: 'KPA', readyAfter: undefined, dropped: 3 },
    { name: 'unknown track keyframe does not count', tracks: [videoTrack()], pattern: 'UPK', readyAfter: 3, dropped: 2 },
  ];
  test.each(cases)('$name', ({ tracks, pattern, readyAfter, dropped }) => {
    const source = sourceOf();
    const onReady = vi.fn();
    source.on('ready', onReady);
    if (tracks) source.setTracks(tracks);
    const readiness = frames(pattern).map((frame) => {
      source.pushFrame(frame);
      return source.ready;
    });
    const firstReady = readiness.indexOf(true);
    expect(firstReady === -1 ? undefined : firstReady + 1).toBe(readyAfter);
    expect(readiness.slice(firstReady === -1 ? readiness.length : firstReady).every(Boolean)).toBe(true);
    expect(onReady).toHaveBeenCalledTimes(readyAfter === undefined ? 0 : 1);
    expect(source.stats.droppedFrames).toBe(dropped);
    expect(source.stats.framesIn).toBe(pattern.length);
  });

  test('stats count every frame in, with its bytes and time', () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    source.pushFrame(videoFrame(0, true, 1, 300));
    vi.setSystemTime(1_700_000_000_040);
    source.pushFrame(videoFrame(1, false, 9, 50));
    expect(source.stats).toMatchObject({ framesIn: 2, bytesIn: 350, droppedFrames: 1, lastFrameAt: 1_700_000_000_040 });
    expect(source.createdAt).toBe(1_700_000_000_000);
    expect(source.keyString).toBe('__defaultVhost__/live/cam1');
  });

  test('rejects an invalid key and invalid track sets', () => {
    expect(() => new MediaSource({ vhost: 'v', app: '..', stream: 's' })).toThrow(
      expect.objectContaining({ code: 'INVALID_STREAM_KEY' }),
    );
    const source = sourceOf();
    expect(() => source.setTracks([])).toThrow(expect.objectContaining({ code: 'INVALID_TRACKS' }));
    expect(() => source.setTracks([videoTrack(), audioTrack({ id: 1 })])).toThrow(/duplicate track id 1/);
    expect(() => source.setTracks([videoTrack({ id: 0 })])).toThrow(CoreError);
  });
});

describe('MediaSource readers', () => {
  test('a late reader gets the tracks first, then the group from the latest keyframe, then live frames', () => {
    const source = sourceOf();
    const tracks = [videoTrack(), audioTrack()];
    source.setTracks(tracks);
    pushAll(source, frames('KPAPKPA'));
    const reader = new RecordingReader();
    source.addReader(reader);
    expect(reader.trace).toBe('TKPA');
    expect(reader.events[0]).toEqual({ type: 'tracks', tracks });
    pushAll(source, frames('PA', 7));
    expect(reader.trace).toBe('TKPAPA');
  });

  test('a reader added before the tracks gets them at setTracks, then frames from the first keyframe', () => {
    const source = sourceOf();
    const reader = new RecordingReader();
    source.addReader(reader);
    expect(reader.trace).toBe('');
    source.setTracks([videoTrack(), audioTrack()]);
    pushAll(source, frames('APKA'));
    expect(reader.trace).toBe('TKA');
  });

  test('a reader added from a ready listener starts at the keyframe that made the source ready', () => {
    const source = sourceOf();
    const reader = new RecordingReader();
    source.on('ready', () => source.addReader(reader));
    source.setTracks([videoTrack()]);
    pushAll(source, frames('PKP'));
    expect(reader.trace).toBe('TKP');
  });

  test('all readers share the very same frame objects', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    const readers = [new RecordingReader(), new RecordingReader(), new RecordingReader()];
    for (const reader of readers) source.addReader(reader);
    const pushed = frames('KPP');
    pushAll(source, pushed);
    for (const reader of readers) reader.frames.forEach((frame, i) => expect(frame).toBe(pushed[i]));
  });

  const trackChanges: { name: string; next: () => Track[]; notifies: boolean }[] = [
    { name: 'same configs, new objects', next: () => [videoTrack(), audioTrack()], notifies: false },
    { name: 'same configs, other order', next: () => [audioTrack(), videoTrack()], notifies: false },
    { name: 'same avcC, other display size', next: () => [videoTrack({ width: 640 }), audioTrack()], notifies: false },
    { name: 'changed avcC', next: () => [videoTrack({ decoderConfig: avcC(1) }), audioTrack()], notifies: true },
    { name: 'changed audio config', next: () => [videoTrack(), audioTrack({ decoderConfig: Uint8Array.of(0x12, 0x10) })], notifies: true },
    { name: 'changed timescale', next: () => [videoTrack({ timescale: 1000 }), audioTrack()], notifies: true },
    { name: 'track removed', next: () => [videoTrack()], notifies: true },
    { name: 'track id changed', next: () => [videoTrack(), audioTrack({ id: 3 })], notifies: true },
  ];
  test.each(trackChanges)('setTracks again, $name', ({ next, notifies }) => {
    const source = sourceOf();
    const original = [videoTrack(), audioTrack()];
    source.setTracks(original);
    pushAll(source, frames('KPA'));
    const reader = new RecordingReader();
    source.addReader(reader);
    const onTracks = vi.fn();
    const onReady = vi.fn();
    source.on('tracks', onTracks);
    source.on('ready', onReady);
    const replacement = next();
    source.setTracks(replacement);
    if (notifies) {
      expect(reader.trace).toBe('TKPAT');
      expect(source.tracks).toEqual(replacement);
      expect(onTracks).toHaveBeenCalledWith(source.tracks);
      expect(source.stats.gopCacheFrames).toBe(0);
    } else {
      expect(reader.trace).toBe('TKPA');
      expect(source.tracks).toEqual(original);
      expect(source.tracks[0]).toBe(original[0]);
      expect(onTracks).not.toHaveBeenCalled();
      expect(source.stats.gopCacheFrames).toBe(3);
    }
    expect(source.ready).toBe(true);
    expect(onReady).not.toHaveBeenCalled();
  });

  test('after a decoding change, frames are dropped until the next keyframe, and late readers start there', () => {
    const source = sourceOf();
    source.setTracks([videoTrack(), audioTrack()]);
    pushAll(source, frames('KPA'));
    const reader = new RecordingReader();
    source.addReader(reader);
    source.setTracks([videoTrack({ decoderConfig: avcC(1) }), audioTrack()]);
    pushAll(source, frames('PAKPA', 3));
    expect(reader.trace).toBe('TKPATKPA');
    expect(source.stats.droppedFrames).toBe(2);
    expect(source.ready).toBe(true);
    const late = new RecordingReader();
    source.addReader(late);
    expect(late.trace).toBe('TKPA');
    expect(late.events[0]).toEqual({ type: 'tracks', tracks: source.tracks });
  });

  test('frames of unknown tracks are dropped and counted, not delivered', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    const reader = new RecordingReader();
    source.addReader(reader);
    pushAll(source, frames('KUAP'));
    expect(reader.trace).toBe('TKP');
    expect(source.stats.droppedFrames).toBe(2);
  });

  test('a slow reader drops to the next keyframe while a fast one gets everything', () => {
    const source = sourceOf({ maxPendingBytes: 1000 });
    source.setTracks([videoTrack()]);
    const slow = new RecordingReader();
    const fast = new RecordingReader();
    const slowSubscription = source.addReader(slow);
    source.addReader(fast);
    pushAll(source, frames('KP'));
    slow.pending = 5000;
    pushAll(source, frames('PP', 2));
    slow.pending = 0;
    pushAll(source, frames('PKP', 4));
    expect(slow.trace).toBe('TKPKP');
    expect(fast.trace).toBe('TKPPPPKP');
    expect(slowSubscription.dropped).toBe(3);
    expect(source.stats.readersDropped).toBe(3);
  });

  test('a reader that throws is released and told why; the others continue', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    const failing = new RecordingReader();
    failing.onFrame = (frame) => {
      if (!frame.keyframe) throw new Error('encoder exploded');
    };
    const other = new RecordingReader();
    source.addReader(failing);
    source.addReader(other);
    pushAll(source, frames('KPP'));
    expect(failing.trace).toBe('TX');
    expect(failing.events[1]).toEqual({ type: 'close', reason: 'reader failed: encoder exploded' });
    expect(other.trace).toBe('TKPP');
    expect(source.readerCount).toBe(1);
    expect(source.stats.readerFailures).toBe(1);
  });

  test('a reader that throws from onTracks at addReader is not added', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    const reader = new RecordingReader();
    reader.onTracks = () => {
      throw new Error('unsupported codec');
    };
    expect(() => source.addReader(reader)).toThrow('unsupported codec');
    expect(source.readerCount).toBe(0);
  });

  test('a reader that throws from onTracks on a change is released', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    const reader = new RecordingReader();
    source.addReader(reader);
    reader.onTracks = () => {
      throw new Error('unsupported codec');
    };
    source.setTracks([videoTrack({ codec: 'h265', codecString: 'hvc1.1.6.L93.B0' })]);
    expect(reader.trace).toBe('TX');
    expect(source.readerCount).toBe(0);
  });

  test('release stops delivery without onClose; idempotent; `using` releases', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    const reader = new RecordingReader();
    const subscription = source.addReader(reader);
    source.pushFrame(videoFrame(0, true));
    subscription.release();
    subscription.release();
    source.pushFrame(videoFrame(1, false));
    expect(reader.trace).toBe('TK');
    expect(source.readerCount).toBe(0);
    {
      using _scoped = source.addReader(new RecordingReader());
      expect(source.readerCount).toBe(1);
    }
    expect(source.readerCount).toBe(0);
  });
});

describe('MediaSource viewers', () => {
  test('counts viewers and emits the count on every change', () => {
    vi.useFakeTimers({ now: 5_000 });
    const source = sourceOf();
    const counts: number[] = [];
    source.on('viewers', (count) => counts.push(count));
    const first = source.addViewer({ protocol: 'http-fmp4', remoteAddress: '10.0.0.1', id: 'a' });
    const second = source.addViewer({ protocol: 'hls' });
    expect(source.viewerCount).toBe(2);
    expect(source.viewers()).toEqual([{ protocol: 'http-fmp4', remoteAddress: '10.0.0.1', id: 'a' }, { protocol: 'hls' }]);
    expect(source.viewerHandles()).toEqual([first, second]);
    expect(first.since).toBe(5_000);
    first.release();
    first.release();
    second[Symbol.dispose]();
    expect(counts).toEqual([1, 2, 1, 0]);
    expect(source.viewerCount).toBe(0);
  });

  test('`using` releases a viewer at the end of its scope', () => {
    const source = sourceOf();
    const counts: number[] = [];
    source.on('viewers', (count) => counts.push(count));
    {
      using viewer = source.addViewer({ protocol: 'ws-fmp4' });
      expect(viewer.info.protocol).toBe('ws-fmp4');
      expect(source.viewerCount).toBe(1);
    }
    expect(source.viewerCount).toBe(0);
    expect(counts).toEqual([1, 0]);
  });

  test('viewers are counted apart from readers', () => {
    const source = sourceOf();
    source.addReader(new RecordingReader());
    source.addViewer({ protocol: 'http-fmp4' });
    source.addViewer({ protocol: 'http-fmp4' });
    expect(source.readerCount).toBe(1);
    expect(source.viewerCount).toBe(2);
  });
});

describe('MediaSource close', () => {
  test('readers get onClose, then close is emitted, once', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    source.pushFrame(videoFrame(0, true));
    const readers = [new RecordingReader(), new RecordingReader()];
    for (const reader of readers) source.addReader(reader);
    const order: string[] = [];
    readers[0].onClose = (reason) => order.push(`reader:${reason}`);
    source.on('close', (reason) => order.push(`close:${reason}`));
    source.close('publisher left');
    source.close('again');
    expect(order).toEqual(['reader:publisher left', 'close:publisher left']);
    expect(readers[1].trace).toBe('TKX');
    expect(source.closed).toBe(true);
    expect(source.ready).toBe(false);
    expect(source.readerCount).toBe(0);
    expect(source.stats.gopCacheFrames).toBe(0);
  });

  test('a reader that throws from onClose does not keep the others from hearing', () => {
    const source = sourceOf();
    const failing = new RecordingReader();
    failing.onClose = () => {
      throw new Error('already gone');
    };
    const other = new RecordingReader();
    source.addReader(failing);
    source.addReader(other);
    source.close('bye');
    expect(other.trace).toBe('X');
  });

  test('after close: frames are dropped, and adding readers, viewers or tracks throws CLOSED', () => {
    const source = sourceOf();
    source.setTracks([videoTrack()]);
    source.close('done');
    source.pushFrame(videoFrame(0, true));
    expect(source.stats.droppedFrames).toBe(1);
    expect(() => source.addReader(new RecordingReader())).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => source.addViewer({ protocol: 'hls' })).toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(() => source.setTracks([videoTrack()])).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });
});
