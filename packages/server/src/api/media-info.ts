import type { Track } from '@sluice/codec';
import type { MediaSource } from '@sluice/core';
import type { StreamProxy } from '../proxy/stream-proxy.js';
import { maskUrl } from '../mask-url.js';
export { maskUrl };

/** ZLMediaKit's CodecId numbering, which platforms switch on. */
const ZLM_CODEC_ID: Record<Track['codec'], number> = { h264: 0, h265: 1, aac: 2, pcma: 3, pcmu: 4 };
const ZLM_CODEC_NAME: Record<Track['codec'], string> = {
  h264: 'H264',
  h265: 'H265',
  aac: 'mpeg4-generic',
  pcma: 'PCMA',
  pcmu: 'PCMU',
};

/** One track as getMediaList lists it. Object literals, not spreads: a full list builds thousands of these. */
export function trackInfo(track: Track): Record<string, unknown> {
  return track.kind === 'video'
    ? {
        codec_id: ZLM_CODEC_ID[track.codec],
        codec_id_name: ZLM_CODEC_NAME[track.codec],
        codec_type: 0,
        codec_string: track.codecString,
        ready: true,
        width: track.width,
        height: track.height,
      }
    : {
        codec_id: ZLM_CODEC_ID[track.codec],
        codec_id_name: ZLM_CODEC_NAME[track.codec],
        codec_type: 1,
        codec_string: track.codecString,
        ready: true,
        sample_rate: track.sampleRate,
        channels: track.channels,
        sample_bit: 16,
      };
}

/** The ZLMediaKit "origin types"; Sluice uses pull (4) for proxies and rtp_push (3) for RTP servers. */
export const OriginType = { Unknown: 0, RtmpPush: 1, RtspPush: 2, RtpPush: 3, Pull: 4 } as const;
const ORIGIN_TYPE_NAME: Record<number, string> = { 0: 'unknown', 1: 'rtmp_push', 2: 'rtsp_push', 3: 'rtp_push', 4: 'pull' };

/** One getMediaList entry (ZLMediaKit lists one per output schema; Sluice's outputs are fMP4). */
export interface Origin {
  readonly type: number;
  readonly url: string;
}

export function mediaInfo(source: MediaSource, schema: string, origin: Origin, now = Date.now()): Record<string, unknown> {
  const originType = origin.type;
  // `stats` builds a new object on each read: read it once.
  const stats = source.stats;
  return {
    vhost: source.key.vhost,
    app: source.key.app,
    stream: source.key.stream,
    schema,
    originType,
    originTypeStr: ORIGIN_TYPE_NAME[originType],
    originUrl: origin.url,
    readerCount: source.viewerCount,
    totalReaderCount: source.viewerCount,
    aliveSecond: Math.floor((now - source.createdAt) / 1000),
    createStamp: Math.floor(source.createdAt / 1000),
    bytesIn: stats.bytesIn,
    framesIn: stats.framesIn,
    droppedFrames: stats.droppedFrames,
    tracks: source.tracks.map(trackInfo),
  };
}

/**
 * A proxy's upstream URLs with their passwords hidden, in `upstreams` order (the first is
 * `spec.url`). They never change for a proxy, and parsing them is most of what a full
 * listStreamProxy costs: masked once per proxy.
 */
const maskedUpstreams = new WeakMap<StreamProxy, readonly string[]>();
function maskedUrls(proxy: StreamProxy): readonly string[] {
  let urls = maskedUpstreams.get(proxy);
  if (urls === undefined) {
    urls = proxy.upstreams.map((u) => maskUrl(u.url));
    maskedUpstreams.set(proxy, urls);
  }
  return urls;
}

export function proxyInfo(proxy: StreamProxy): Record<string, unknown> {
  const s = proxy.spec;
  const urls = maskedUrls(proxy);
  return {
    key: proxy.keyString,
    vhost: s.vhost,
    app: s.app,
    stream: s.stream,
    url: urls[0],
    activeUrl: urls[proxy.activeIndex],
    activeIndex: proxy.activeIndex,
    upstreams: proxy.upstreams.map((u, index) => ({
      index,
      url: urls[index],
      active: index === proxy.activeIndex,
      healthy: u.healthy ?? null,
      lastError: u.lastError ?? null,
      lastCheckedAt: u.lastCheckedAt ? new Date(u.lastCheckedAt).toISOString() : null,
    })),
    state: proxy.state,
    status: proxy.state === 'playing' ? 0 : -1,
    lastError: proxy.lastError ?? null,
    consecutiveFailures: proxy.consecutiveFailures,
    rePullCount: proxy.rePullCount,
    nextRetryAt: proxy.nextRetryAt ? new Date(proxy.nextRetryAt).toISOString() : null,
    liveSecs: proxy.playingSince ? Math.floor((Date.now() - proxy.playingSince) / 1000) : 0,
    bytesIn: proxy.bytesIn,
    badMedia: proxy.badMediaCount,
    readerCount: proxy.viewerCount,
    totalReaderCount: proxy.viewerCount,
    createStamp: Math.floor(proxy.createdAt / 1000),
    options: {
      retry_count: s.retryCount,
      timeout_sec: s.timeoutSec,
      rtp_type: s.rtpType,
      on_demand: s.onDemand,
      enable_fmp4: s.enableFmp4,
      enable_hls: s.enableHls,
      media_timeout_ms: s.mediaTimeoutMs,
    },
  };
}
