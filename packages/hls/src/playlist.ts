import type { OpenSegment, Part, Segment, SegmentHead } from './model.js';
import { segmentName, partName } from './names.js';

/**
 * EXT-X-VERSION. RFC 8216bis section 8: EXT-X-MAP in a playlist without
 * EXT-X-I-FRAMES-ONLY needs 6. EXT-X-PART, EXT-X-PART-INF, EXT-X-SERVER-CONTROL and
 * EXT-X-PRELOAD-HINT name no version; only EXT-X-SKIP (not used) needs 9, and 7 is for
 * INSTREAM-ID SERVICE values in multivariant playlists. Section 6.2.1: the version
 * SHOULD NOT be greater than what the playlist needs.
 */
export const HLS_VERSION = 6;

/** Everything a media playlist shows, read from the packager at one instant. */
export interface MediaPlaylistState {
  readonly targetDuration: number;
  readonly lowLatency: boolean;
  readonly partTargetMs: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  /** Listed complete segments, oldest first. */
  readonly segments: readonly Segment[];
  /** The segment being built (its complete parts are listed in low-latency mode). */
  readonly open: OpenSegment | undefined;
  /** URI of the next part, for EXT-X-PRELOAD-HINT. */
  readonly preloadHint: string | undefined;
  readonly ended: boolean;
}

/**
 * Renders a media playlist.
 *
 * Specification: RFC 8216 section 4.3; RFC 8216bis (draft-pantos-hls-rfc8216bis)
 * sections 4.4.3.7 (EXT-X-PART-INF), 4.4.3.8 (EXT-X-SERVER-CONTROL), 4.4.4.9
 * (EXT-X-PART), 4.4.5.3 (EXT-X-PRELOAD-HINT), 6.2.2 (live playlists)
 */
export function renderMediaPlaylist(s: MediaPlaylistState): string {
  const out: string[] = ['#EXTM3U', `#EXT-X-VERSION:${HLS_VERSION}`, `#EXT-X-TARGETDURATION:${s.targetDuration}`];
  if (s.lowLatency) {
    // PART-HOLD-BACK: "MUST be at least twice the Part Target Duration ... SHOULD be at least three times".
    out.push(`#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${ms(3 * s.partTargetMs)}`);
    out.push(`#EXT-X-PART-INF:PART-TARGET=${ms(s.partTargetMs)}`);
  }
  out.push(`#EXT-X-MEDIA-SEQUENCE:${s.mediaSequence}`);
  if (s.discontinuitySequence > 0) out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${s.discontinuitySequence}`);
  // Every segment starts with a sync sample of the lead track (see Segmenter).
  out.push('#EXT-X-INDEPENDENT-SEGMENTS');

  // RFC 8216bis 6.2.2: "EXT-X-PART tags SHOULD be removed from the Playlist after they
  // are greater than three Target Durations from the end of the Playlist". A segment's
  // parts go together (clients number parts by their position under the parent), so a
  // segment keeps them only while all of them are within that distance.
  const end = playlistEnd(s);
  const partsFrom = end - 3 * s.targetDuration - 1e-9;

  let init: string | undefined;
  const head = (seg: SegmentHead) => {
    if (seg.discontinuity) out.push('#EXT-X-DISCONTINUITY');
    if (seg.init.name !== init) {
      init = seg.init.name;
      out.push(`#EXT-X-MAP:URI="${init}"`);
    }
    out.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(Math.round(seg.programDateTime)).toISOString()}`);
  };
  const parts = (list: readonly Part[]) => {
    for (const p of list) {
      out.push(`#EXT-X-PART:DURATION=${seconds(p.duration)},URI="${partName(p.msn, p.index)}"${p.independent ? ',INDEPENDENT=YES' : ''}`);
    }
  };

  for (const seg of s.segments) {
    // DISCONTINUITY, MAP and PROGRAM-DATE-TIME "MUST appear before the first EXT-X-PART tag" of their segment.
    head(seg);
    if (s.lowLatency && seg.start >= partsFrom) parts(seg.parts);
    out.push(`#EXTINF:${seconds(seg.duration)},`, segmentName(seg.msn));
  }
  if (s.lowLatency && s.open !== undefined && s.open.parts.length > 0) {
    head(s.open);
    parts(s.open.parts);
  }
  // "A Playlist containing an EXT-X-ENDLIST tag MUST NOT contain an EXT-X-PRELOAD-HINT tag."
  if (s.lowLatency && !s.ended && s.preloadHint !== undefined) out.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${s.preloadHint}"`);
  if (s.ended) out.push('#EXT-X-ENDLIST');
  out.push('');
  return out.join('\n');
}

/** Seconds on the packager timeline where the last listed media (segment or part) ends. */
function playlistEnd(s: MediaPlaylistState): number {
  if (s.open !== undefined && s.open.parts.length > 0) return s.open.start + s.open.parts.reduce((n, p) => n + p.duration, 0);
  const last = s.segments.at(-1);
  return last === undefined ? 0 : last.start + last.duration;
}

/** A decimal-floating-point with millisecond precision, as EXTINF, DURATION and PART-TARGET are written. */
function seconds(s: number): string {
  return s.toFixed(3);
}

function ms(v: number): string {
  return (v / 1000).toFixed(3);
}

/**
 * A one-variant multivariant playlist pointing at a media playlist.
 *
 * Specification: RFC 8216bis section 4.4.6.2 (EXT-X-STREAM-INF)
 */
export function multivariantPlaylist(args: { codecs: string; bandwidth: number; width?: number; height?: number; mediaUrl: string }): string {
  if (!Number.isFinite(args.bandwidth) || args.bandwidth <= 0) throw new RangeError(`bandwidth must be positive, got ${args.bandwidth}`);
  if (/["\r\n]/.test(args.codecs) || /[\r\n]/.test(args.mediaUrl)) throw new RangeError('codecs and mediaUrl must be single-line, codecs without quotes');
  const attrs = [`BANDWIDTH=${Math.ceil(args.bandwidth)}`];
  if (args.codecs !== '') attrs.push(`CODECS="${args.codecs}"`);
  if (args.width !== undefined && args.height !== undefined) attrs.push(`RESOLUTION=${Math.round(args.width)}x${Math.round(args.height)}`);
  // No EXT-X-VERSION: nothing here needs more than version 1 (RFC 8216bis section 8).
  return ['#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-STREAM-INF:${attrs.join(',')}`, args.mediaUrl, ''].join('\n');
}
