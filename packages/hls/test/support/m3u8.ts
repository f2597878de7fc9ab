/**
 * A test-only media playlist reader: enough structure to assert the RFC 8216bis
 * rules on what the packager wrote, independent of the writer's code.
 */
export interface PlaylistPart {
  uri: string;
  duration: number;
  independent: boolean;
  /** The raw DURATION text, to check the number format. */
  durationText: string;
}

export interface PlaylistSegment {
  uri: string;
  duration: number;
  durationText: string;
  msn: number;
  programDateTime: number | undefined;
  discontinuity: boolean;
  /** The EXT-X-MAP URI in force for this segment. */
  map: string | undefined;
  /** A MAP tag appeared right before this segment. */
  mapHere: boolean;
  parts: PlaylistPart[];
}

export interface MediaPlaylist {
  text: string;
  lines: string[];
  version: number | undefined;
  targetDuration: number | undefined;
  mediaSequence: number | undefined;
  discontinuitySequence: number | undefined;
  independentSegments: boolean;
  serverControl: Record<string, string> | undefined;
  partInf: Record<string, string> | undefined;
  segments: PlaylistSegment[];
  /** Parts after the last complete segment (the segment being built). */
  trailingParts: PlaylistPart[];
  /** Tags that apply to the segment being built (before its first part). */
  trailingHead: { discontinuity: boolean; map: string | undefined; programDateTime: number | undefined };
  preloadHint: Record<string, string> | undefined;
  endList: boolean;
}

export function attributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)(?:,|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(list)) !== null) {
    if (m[0] === '') break;
    out[m[1]] = m[2].startsWith('"') ? m[2].slice(1, -1) : m[2];
  }
  return out;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = text.split('\n');
  if (lines[0] !== '#EXTM3U') throw new Error('not an M3U8: first line is not #EXTM3U');
  if (lines.at(-1) !== '') throw new Error('playlist does not end with a newline');
  const p: MediaPlaylist = {
    text, lines, version: undefined, targetDuration: undefined, mediaSequence: undefined, discontinuitySequence: undefined,
    independentSegments: false, serverControl: undefined, partInf: undefined, segments: [], trailingParts: [],
    trailingHead: { discontinuity: false, map: undefined, programDateTime: undefined }, preloadHint: undefined, endList: false,
  };
  let map: string | undefined;
  let mapHere = false;
  let pdt: number | undefined;
  let disc = false;
  let parts: PlaylistPart[] = [];
  let extinf: string | undefined;
  for (const line of lines.slice(1, -1)) {
    const [tag, value = ''] = splitTag(line);
    switch (tag) {
      case '#EXT-X-VERSION': p.version = Number(value); break;
      case '#EXT-X-TARGETDURATION': p.targetDuration = Number(value); break;
      case '#EXT-X-MEDIA-SEQUENCE': p.mediaSequence = Number(value); break;
      case '#EXT-X-DISCONTINUITY-SEQUENCE': p.discontinuitySequence = Number(value); break;
      case '#EXT-X-INDEPENDENT-SEGMENTS': p.independentSegments = true; break;
      case '#EXT-X-SERVER-CONTROL': p.serverControl = attributes(value); break;
      case '#EXT-X-PART-INF': p.partInf = attributes(value); break;
      case '#EXT-X-MAP': map = attributes(value).URI; mapHere = true; break;
      case '#EXT-X-PROGRAM-DATE-TIME': pdt = Date.parse(value); break;
      case '#EXT-X-DISCONTINUITY': disc = true; break;
      case '#EXT-X-PART': {
        const a = attributes(value);
        parts.push({ uri: a.URI, duration: Number(a.DURATION), durationText: a.DURATION, independent: a.INDEPENDENT === 'YES' });
        break;
      }
      case '#EXTINF': extinf = value; break;
      case '#EXT-X-PRELOAD-HINT': p.preloadHint = attributes(value); break;
      case '#EXT-X-ENDLIST': p.endList = true; break;
      default: {
        if (line.startsWith('#')) throw new Error(`unexpected tag ${line}`);
        if (extinf === undefined) throw new Error(`URI ${line} without EXTINF`);
        const durationText = extinf.replace(/,$/, '');
        p.segments.push({
          uri: line, duration: Number(durationText), durationText, msn: (p.mediaSequence ?? 0) + p.segments.length,
          programDateTime: pdt, discontinuity: disc, map, mapHere, parts,
        });
        extinf = undefined; pdt = undefined; disc = false; mapHere = false; parts = [];
      }
    }
  }
  p.trailingParts = parts;
  p.trailingHead = { discontinuity: disc, map: mapHere ? map : undefined, programDateTime: pdt };
  return p;
}

function splitTag(line: string): [string, string?] {
  const i = line.indexOf(':');
  return i < 0 ? [line] : [line.slice(0, i), line.slice(i + 1)];
}
