import { describe, expect, it } from 'vitest';
import { RtmpError, parseRtmpUrl, type RtmpUrl } from '../src/index.js';

const cases: { name: string; url: string; decoded: RtmpUrl }[] = [
  {
    name: 'default port',
    url: 'rtmp://example.com/live/cam1',
    decoded: { protocol: 'rtmp', host: 'example.com', port: 1935, app: 'live', streamName: 'cam1', tcUrl: 'rtmp://example.com/live' },
  },
  {
    name: 'explicit port and query (kept in the stream name)',
    url: 'rtmp://10.0.0.5:1936/live/cam1?token=abc&x=1',
    decoded: {
      protocol: 'rtmp',
      host: '10.0.0.5',
      port: 1936,
      app: 'live',
      streamName: 'cam1?token=abc&x=1',
      tcUrl: 'rtmp://10.0.0.5:1936/live',
    },
  },
  {
    name: 'app instance: only the first segment is the app',
    url: 'rtmp://host/vod/_definst_/mp4:movie.mp4',
    decoded: { protocol: 'rtmp', host: 'host', port: 1935, app: 'vod', streamName: '_definst_/mp4:movie.mp4', tcUrl: 'rtmp://host/vod' },
  },
  {
    name: 'rtmps default port 443',
    url: 'rtmps://live.example.com/app/key',
    decoded: { protocol: 'rtmps', host: 'live.example.com', port: 443, app: 'app', streamName: 'key', tcUrl: 'rtmps://live.example.com/app' },
  },
  {
    name: 'IPv6 literal',
    url: 'rtmp://[::1]:1935/live/s',
    decoded: { protocol: 'rtmp', host: '::1', port: 1935, app: 'live', streamName: 's', tcUrl: 'rtmp://[::1]:1935/live' },
  },
  {
    name: 'upper-case scheme',
    url: 'RTMP://h/a/s',
    decoded: { protocol: 'rtmp', host: 'h', port: 1935, app: 'a', streamName: 's', tcUrl: 'rtmp://h/a' },
  },
];

describe('parseRtmpUrl', () => {
  it.each(cases)('parses $name', ({ url, decoded }) => {
    expect(parseRtmpUrl(url)).toEqual(decoded);
  });

  const bad = [
    { url: 'http://host/live/s', error: /expected rtmp:\/\// },
    { url: 'rtmp://host/live', error: /no stream name/ },
    { url: 'rtmp://host/live/', error: /no stream name/ },
    { url: 'rtmp://host//s', error: /no application name/ },
    { url: 'rtmp:///live/s', error: /malformed host/ },
    { url: 'rtmp://host:99999/live/s', error: /port 99999 out of range/ },
    { url: 'rtmp://user:pw@host/live/s', error: /user info/ },
  ];
  it.each(bad)('rejects $url', ({ url, error }) => {
    expect(() => parseRtmpUrl(url)).toThrow(RtmpError);
    expect(() => parseRtmpUrl(url)).toThrow(error);
    expect(() => parseRtmpUrl(url)).toThrow(expect.objectContaining({ code: 'BAD_URL' }));
  });
});
