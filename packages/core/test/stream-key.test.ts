import { describe, expect, test } from 'vitest';
import {
  CoreError,
  DEFAULT_VHOST,
  parseStreamKey,
  streamKeyString,
  validateStreamKeyPart,
  type StreamKey,
} from '../src/index.js';

const roundTrips: { name: string; key: StreamKey; text: string }[] = [
  { name: 'default vhost', key: { vhost: DEFAULT_VHOST, app: 'live', stream: 'cam1' }, text: '__defaultVhost__/live/cam1' },
  { name: 'dots and dashes', key: { vhost: 'example.com', app: 'my-app', stream: 'a.b_c-1' }, text: 'example.com/my-app/a.b_c-1' },
  { name: 'unicode', key: { vhost: 'v', app: 'ライブ', stream: 'カメラ' }, text: 'v/ライブ/カメラ' },
  { name: 'longest part', key: { vhost: 'v', app: 'a', stream: 's'.repeat(128) }, text: `v/a/${'s'.repeat(128)}` },
];

describe('streamKeyString / parseStreamKey', () => {
  test.each(roundTrips)('$name', ({ key, text }) => {
    expect(streamKeyString(key)).toBe(text);
    expect(parseStreamKey(text)).toEqual(key);
  });

  const malformed: { name: string; text: string; message: RegExp }[] = [
    { name: 'empty', text: '', message: /got 1 part/ },
    { name: 'two parts', text: 'live/cam1', message: /got 2 part/ },
    { name: 'four parts', text: 'v/live/cam/1', message: /got 4 part/ },
    { name: 'empty app', text: 'v//cam1', message: /app is empty/ },
    { name: 'dot-dot stream', text: 'v/live/..', message: /stream contains '\.\.'/ },
    { name: 'control character', text: 'v/live/cam\n1', message: /control character/ },
    { name: 'part too long', text: `v/live/${'s'.repeat(129)}`, message: /longer than 128/ },
  ];
  test.each(malformed)('rejects $name', ({ text, message }) => {
    expect(() => parseStreamKey(text)).toThrow(CoreError);
    expect(() => parseStreamKey(text)).toThrow(expect.objectContaining({ code: 'INVALID_STREAM_KEY' }));
    expect(() => parseStreamKey(text)).toThrow(message);
  });
});

describe('validateStreamKeyPart', () => {
  const cases: { name: string; part: 'vhost' | 'app' | 'stream'; value: string; problem: string | undefined }[] = [
    { name: 'plain', part: 'stream', value: 'cam1', problem: undefined },
    { name: 'single dot', part: 'stream', value: 'a.b', problem: undefined },
    { name: '128 characters', part: 'app', value: 'a'.repeat(128), problem: undefined },
    { name: 'empty', part: 'app', value: '', problem: 'app is empty' },
    { name: '129 characters', part: 'vhost', value: 'a'.repeat(129), problem: 'vhost is longer than 128 characters' },
    { name: 'slash', part: 'stream', value: 'a/b', problem: "stream contains '/'" },
    { name: 'dot-dot inside', part: 'stream', value: 'a..b', problem: "stream contains '..'" },
    { name: 'NUL', part: 'stream', value: 'a\u0000', problem: 'stream contains a control character' },
    { name: 'DEL', part: 'stream', value: 'a\u007f', problem: 'stream contains a control character' },
    { name: 'tab', part: 'app', value: 'a\tb', problem: 'app contains a control character' },
  ];
  test.each(cases)('$name', ({ part, value, problem }) => {
    expect(validateStreamKeyPart(part, value)).toBe(problem);
  });
});
