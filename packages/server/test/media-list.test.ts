import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { StreamRegistry, type MediaSource, type StreamKey } from '@sluice/core';
import type { Track } from '@sluice/codec';
import { onListChange } from '../src/api/list-changes.js';
import { MediaList } from '../src/api/media-list.js';
import { ReplyCache } from '../src/api/reply-cache.js';
import type { ProxyManager } from '../src/proxy/manager.js';
import { VIDEO } from './fake-source.js';

const key = (stream: string, vhost = '__defaultVhost__', app = 'live'): StreamKey => ({ vhost, app, stream });

function live(registry: StreamRegistry, k: StreamKey, track: Track = VIDEO): MediaSource {
  const source = registry.create(k);
  source.setTracks([track]);
  source.pushFrame({ trackId: track.id, kind: 'video', dts: 0, pts: 0, keyframe: true, data: new Uint8Array(10) });
  return source;
}

const MAX_AGE_MS = 1000;

/** A MediaList over a fresh registry, its cache wired as registerApi wires it, with a clock the test moves. */
function setup() {
  const registry = new StreamRegistry();
  const proxies = new EventEmitter();
  const clock = { now: 1_000_000 };
  const cache = new ReplyCache({ maxAgeMs: MAX_AGE_MS, maxEntries: 8, now: () => clock.now });
  onListChange(registry, proxies as unknown as ProxyManager, () => cache.invalidate());
  const list = new MediaList(registry, () => ({ type: 0, url: '' }), cache);
  const listed = (filter = {}): any[] => JSON.parse(list.reply(filter).toString()).data;
  return { registry, proxies, clock, list, listed };
}

describe('getMediaList replies (MediaList)', () => {
  it('reuses the serialized reply while nothing changes, and rebuilds it once the counters are too old', () => {
    const { registry, clock, list } = setup();
    const source = live(registry, key('a'));
    const first = list.reply({});
    expect(list.reply({})).toBe(first);
    source.pushFrame({ trackId: 1, kind: 'video', dts: 3000, pts: 3000, keyframe: true, data: new Uint8Array(10) });
    clock.now += MAX_AGE_MS - 1;
    expect(list.reply({})).toBe(first);
    clock.now += 1;
    const rebuilt = list.reply({});
    expect(rebuilt).not.toBe(first);
    expect(JSON.parse(rebuilt.toString()).data[0]).toMatchObject({ stream: 'a', framesIn: 2 });
  });

  it('stops listing a stream the moment it goes offline, within the cache age', () => {
    const { registry, listed } = setup();
    const a = live(registry, key('a'));
    live(registry, key('b'));
    expect(listed().map((m) => m.stream)).toEqual(['a', 'b']);
    expect(listed({ app: 'live' }).map((m) => m.stream)).toEqual(['a', 'b']);
    a.close('upstream gone');
    expect(listed().map((m) => m.stream)).toEqual(['b']);
    expect(listed({ app: 'live' }).map((m) => m.stream)).toEqual(['b']);
    expect(listed({ app: 'live', stream: 'a' })).toEqual([]);
  });

  it('lists a stream as soon as it is ready, not while it only exists', () => {
    const { registry, listed } = setup();
    expect(listed()).toEqual([]);
    const pending = registry.create(key('a'));
    pending.setTracks([VIDEO]);
    expect(listed()).toEqual([]);
    pending.pushFrame({ trackId: 1, kind: 'video', dts: 0, pts: 0, keyframe: true, data: new Uint8Array(10) });
    expect(listed().map((m) => m.stream)).toEqual(['a']);
  });

  it('shows viewer and track changes at once', () => {
    const { registry, listed } = setup();
    const source = live(registry, key('a'));
    expect(listed()[0]).toMatchObject({ readerCount: 0, tracks: [expect.objectContaining({ width: 320 })] });
    const viewer = source.addViewer({ protocol: 'http-fmp4' });
    expect(listed()[0].readerCount).toBe(1);
    viewer.release();
    expect(listed()[0].readerCount).toBe(0);
    source.setTracks([{ ...VIDEO, width: 640, height: 480, decoderConfig: new Uint8Array([1, 0x42, 0xc0, 0x1f, 0xff, 0xe0, 0x00]) }]);
    expect(listed()[0].tracks).toEqual([expect.objectContaining({ width: 640, height: 480 })]);
  });

  it('rebuilds after a proxy is added, removed or changes state', () => {
    const { registry, proxies, list } = setup();
    live(registry, key('a'));
    let previous = list.reply({});
    for (const event of ['added', 'removed', 'state']) {
      proxies.emit(event, {});
      const next = list.reply({});
      expect(next, event).not.toBe(previous);
      previous = next;
    }
  });

  it('finds one stream by app and stream on any vhost in use, or on the vhost given', () => {
    const { registry, listed } = setup();
    live(registry, key('cam', '__defaultVhost__'));
    live(registry, key('cam', 'other.example'));
    live(registry, key('cam2', 'other.example'));
    expect(listed({ app: 'live', stream: 'cam' }).map((m) => m.vhost)).toEqual(['__defaultVhost__', 'other.example']);
    expect(listed({ vhost: 'other.example', app: 'live', stream: 'cam' }).map((m) => m.vhost)).toEqual(['other.example']);
    expect(listed({ app: 'live', stream: 'cam', schema: 'rtsp' })).toEqual([]);
    registry.remove(key('cam', 'other.example'), 'gone');
    expect(listed({ app: 'live', stream: 'cam' }).map((m) => m.vhost)).toEqual(['__defaultVhost__']);
  });
});

describe('ReplyCache', () => {
  it('keeps at most maxEntries queries, dropping the one built first', () => {
    const cache = new ReplyCache({ maxAgeMs: 60_000, maxEntries: 2 });
    const built: string[] = [];
    const get = (q: string): Buffer =>
      cache.get(q, () => {
        built.push(q);
        return Buffer.from(q);
      });
    get('a');
    get('b');
    get('a');
    get('c');
    expect(cache.size).toBe(2);
    get('a');
    get('b');
    expect(built).toEqual(['a', 'b', 'c', 'a', 'b']);
  });
});
