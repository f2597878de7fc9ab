import { RtspError } from '../errors.js';

// Specification: RFC 8866 (SDP, which obsoletes RFC 4566), section 5: one
// `<type>=<value>` per line; session-level lines, then one section per `m=` line.
//
//   v=0
//   o=- 1 1 IN IP4 192.168.1.64
//   s=Media Presentation
//   c=IN IP4 0.0.0.0
//   t=0 0
//   a=control:*
//   a=range:npt=0-
//   m=video 0 RTP/AVP 96
//   b=AS:4096
//   a=rtpmap:96 H264/90000
//   a=fmtp:96 profile-level-id=420029; packetization-mode=1; sprop-parameter-sets=Z00AKp2oHgCJ+WbgICAgQA==,aO48gA==
//   a=control:trackID=1
//
// Cameras break the grammar in small ways (no v= first, '\n' line ends, spaces
// around '=', trailing spaces): the parser takes what it can and skips the rest.

/** More media sections than any camera or NVR sends; bounds the work per SDP. */
export const MAX_SDP_MEDIA = 64;
/** Lines per SDP; the body cap (MAX_BODY) already bounds the size, this the loop. */
export const MAX_SDP_LINES = 4096;

export interface SdpConnection {
  readonly netType: string;
  readonly addrType: string;
  readonly address: string;
}

export interface SdpBandwidth {
  /** `AS`, `CT`, `TIAS`, ... */
  readonly type: string;
  /** kbit/s for AS and CT, bit/s for TIAS. */
  readonly value: number;
}

export interface SdpRtpMap {
  readonly payloadType: number;
  /** Encoding name as written, e.g. `H264`, `mpeg4-generic`. */
  readonly encoding: string;
  readonly clockRate: number;
  /** Encoding parameters: the channel count for audio. */
  readonly channels?: number;
}

export interface SdpAttribute {
  readonly name: string;
  /** Undefined for property attributes (`a=recvonly`). */
  readonly value: string | undefined;
}

export interface SdpMedia {
  /** `video`, `audio`, `application`, ... */
  readonly type: string;
  readonly port: number;
  /** `RTP/AVP`, `RTP/AVPF`, `RTP/SAVP`, ... */
  readonly protocol: string;
  /** The payload types (for RTP protocols), in preference order. */
  readonly formats: readonly number[];
  readonly connection?: SdpConnection;
  readonly bandwidths: readonly SdpBandwidth[];
  readonly attributes: readonly SdpAttribute[];
  /** `a=control:` of this section. */
  readonly control?: string;
  readonly rtpmaps: ReadonlyMap<number, SdpRtpMap>;
  /** `a=fmtp:` parameters per payload type; names lower-cased. */
  readonly fmtps: ReadonlyMap<number, Readonly<Record<string, string>>>;
  /** sendrecv / sendonly / recvonly / inactive, when given here. */
  readonly direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
}

export interface SdpSession {
  readonly version: number;
  readonly origin?: string;
  readonly sessionName: string;
  readonly connection?: SdpConnection;
  readonly bandwidths: readonly SdpBandwidth[];
  readonly attributes: readonly SdpAttribute[];
  /** `a=control:` at session level (often `*`). */
  readonly control?: string;
  /** `a=range:` at session level, e.g. `npt=0-`. */
  readonly range?: string;
  readonly direction?: 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
  readonly media: readonly SdpMedia[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

interface MediaBuilder {
  type: string;
  port: number;
  protocol: string;
  formats: number[];
  connection?: SdpConnection;
  bandwidths: SdpBandwidth[];
  attributes: SdpAttribute[];
}

function parseConnection(value: string): SdpConnection | undefined {
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3) return undefined;
  // c=IN IP4 224.2.36.42/127: the TTL / count suffix is not part of the address.
  return { netType: parts[0]!, addrType: parts[1]!, address: parts[2]!.split('/')[0]! };
}

function parseBandwidth(value: string): SdpBandwidth | undefined {
  const m = /^\s*([A-Za-z0-9_-]+)\s*:\s*(\d{1,12})\s*$/.exec(value);
  return m === null ? undefined : { type: m[1]!, value: Number(m[2]) };
}

function parseAttribute(value: string): SdpAttribute {
  const colon = value.indexOf(':');
  if (colon < 0) return { name: value.trim(), value: undefined };
  return { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
}

/** `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` (RFC 8866 6.6). */
export function parseRtpMap(value: string): SdpRtpMap | undefined {
  const m = /^(\d{1,3})\s+([^/\s]+)\/(\d{1,9})(?:\/(\d{1,3}))?/.exec(value.trim());
  if (m === null) return undefined;
  const payloadType = Number(m[1]);
  const clockRate = Number(m[3]);
  if (payloadType > 127 || clockRate === 0) return undefined;
  const channels = m[4] === undefined ? undefined : Number(m[4]);
  return { payloadType, encoding: m[2]!, clockRate, ...(channels === undefined || channels === 0 ? {} : { channels }) };
}

/**
 * `a=fmtp:<payload type> <name>=<value>;...`. Values keep any '=' after the first
 * (base64 padding in sprop-parameter-sets). Names are lower-cased: RFC 3640's
 * `SizeLength` and `sizelength` are the same parameter.
 */
export function parseFmtp(value: string): { payloadType: number; params: Record<string, string> } | undefined {
  const m = /^(\d{1,3})\s*(.*)$/.exec(value.trim());
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  for (const part of m[2]!.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      const name = part.trim().toLowerCase();
      if (name !== '') params[name] = '';
      continue;
    }
    const name = part.slice(0, eq).trim().toLowerCase();
    if (name !== '') params[name] = part.slice(eq + 1).trim();
  }
  return { payloadType: Number(m[1]), params };
}

const DIRECTIONS = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

function finishMedia(b: MediaBuilder): SdpMedia {
  const rtpmaps = new Map<number, SdpRtpMap>();
  const fmtps = new Map<number, Record<string, string>>();
  const out: Mutable<SdpMedia> = {
    type: b.type,
    port: b.port,
    protocol: b.protocol,
    formats: b.formats,
    bandwidths: b.bandwidths,
    attributes: b.attributes,
    rtpmaps,
    fmtps,
  };
  if (b.connection !== undefined) out.connection = b.connection;
  for (const a of b.attributes) {
    const name = a.name.toLowerCase();
    if (name === 'control' && a.value !== undefined) out.control = a.value;
    else if (name === 'rtpmap' && a.value !== undefined) {
      const map = parseRtpMap(a.value);
      if (map !== undefined && !rtpmaps.has(map.payloadType)) rtpmaps.set(map.payloadType, map);
    } else if (name === 'fmtp' && a.value !== undefined) {
      const fmtp = parseFmtp(a.value);
      if (fmtp !== undefined) fmtps.set(fmtp.payloadType, { ...fmtps.get(fmtp.payloadType), ...fmtp.params });
    } else if (DIRECTIONS.has(name)) out.direction = name as SdpMedia['direction'];
  }
  return out;
}

/**
 * Parses an SDP session description. Throws RtspError('BAD_RESPONSE') only when
 * nothing usable is there (no media section at all is legal and returns none).
 */
export function parseSdp(text: string): SdpSession {
  const lines = text.split(/\r?\n|\r/);
  if (lines.length > MAX_SDP_LINES) throw new RtspError('BAD_RESPONSE', `SDP with more than ${MAX_SDP_LINES} lines`);
  const session: Mutable<SdpSession> = { version: 0, sessionName: '', bandwidths: [], attributes: [], media: [] };
  const sessionBandwidths: SdpBandwidth[] = [];
  const sessionAttributes: SdpAttribute[] = [];
  const media: SdpMedia[] = [];
  let current: MediaBuilder | null = null;
  let sawAny = false;
  for (const raw of lines) {
    const line = raw.trim();
    const m = /^([a-z])\s*=(.*)$/.exec(line);
    if (m === null) continue;
    sawAny = true;
    const type = m[1]!;
    const value = m[2]!.trim();
    if (type === 'm') {
      if (current !== null) media.push(finishMedia(current));
      if (media.length >= MAX_SDP_MEDIA) throw new RtspError('BAD_RESPONSE', `SDP with more than ${MAX_SDP_MEDIA} media sections`);
      // m=<media> <port>[/<number of ports>] <proto> <fmt> ...
      const parts = value.split(/\s+/);
      const port = Number((parts[1] ?? '').split('/')[0]);
      current = {
        type: (parts[0] ?? '').toLowerCase(),
        port: Number.isInteger(port) && port >= 0 && port <= 65535 ? port : 0,
        protocol: parts[2] ?? '',
        formats: parts
          .slice(3)
          .map((f) => Number(f))
          .filter((f) => Number.isInteger(f) && f >= 0 && f <= 127),
        bandwidths: [],
        attributes: [],
      };
      continue;
    }
    if (current !== null) {
      if (type === 'c') {
        const c = parseConnection(value);
        if (c !== undefined) current.connection = c;
      } else if (type === 'b') {
        const b = parseBandwidth(value);
        if (b !== undefined) current.bandwidths.push(b);
      } else if (type === 'a') current.attributes.push(parseAttribute(value));
      continue;
    }
    switch (type) {
      case 'v':
        session.version = Number(value) || 0;
        break;
      case 'o':
        session.origin = value;
        break;
      case 's':
        session.sessionName = value;
        break;
      case 'c': {
        const c = parseConnection(value);
        if (c !== undefined) session.connection = c;
        break;
      }
      case 'b': {
        const b = parseBandwidth(value);
        if (b !== undefined) sessionBandwidths.push(b);
        break;
      }
      case 'a':
        sessionAttributes.push(parseAttribute(value));
        break;
      default:
      // t=, r=, z=, k=, i=, u=, e=, p=: nothing a player uses.
    }
  }
  if (current !== null) media.push(finishMedia(current));
  if (!sawAny) throw new RtspError('BAD_RESPONSE', 'the SDP holds no lines');
  for (const a of sessionAttributes) {
    const name = a.name.toLowerCase();
    if (name === 'control' && a.value !== undefined) session.control = a.value;
    else if (name === 'range' && a.value !== undefined) session.range = a.value;
    else if (DIRECTIONS.has(name)) session.direction = name as SdpSession['direction'];
  }
  session.bandwidths = sessionBandwidths;
  session.attributes = sessionAttributes;
  session.media = media;
  return session;
}
