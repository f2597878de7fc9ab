import { H264NalType, H265NalType, buildAudioSpecificConfig, h264NalType, h265NalType, parseAudioSpecificConfig } from '@sluice/codec';
import { levelToString, parseProfileLevelId, profileLevelIdToString, profileToString } from 'h264-profile-level-id';
import { G711Depacketizer } from '../rtp/g711-depacketizer.js';
import { H264Depacketizer } from '../rtp/h264-depacketizer.js';
import { H265Depacketizer } from '../rtp/h265-depacketizer.js';
import { LatmDepacketizer, parseStreamMuxConfig } from '../rtp/latm-depacketizer.js';
import { Mpeg4GenericDepacketizer, mpeg4GenericParams } from '../rtp/mpeg4-generic-depacketizer.js';
import type { AudioFrame, Depacketizer, VideoAccessUnit } from '../rtp/depacketizer.js';
import { resolveControl } from '../url.js';
import type { SdpMedia, SdpRtpMap, SdpSession } from './sdp.js';

/** The profile-level-id of an H.264 track, read through the h264-profile-level-id package. */
export interface H264ProfileLevel {
  /** Canonical three hex bytes, e.g. `42e01f`. */
  readonly hex: string;
  /** e.g. `ConstrainedBaseline`, `High`. */
  readonly profile: string;
  /** e.g. `3.1`. */
  readonly level: string;
}

export type RtspTrack =
  | {
      readonly kind: 'video';
      readonly codec: 'h264' | 'h265';
      readonly clockRate: number;
      readonly payloadType: number;
      /** Absolute URL for SETUP. */
      readonly control: string;
      /** From sprop-parameter-sets / sprop-vps/sps/pps; may be empty (then they come in band). */
      readonly parameterSets: { vps?: Uint8Array[]; sps: Uint8Array[]; pps: Uint8Array[] };
      /** H.264 only, when the SDP has a profile-level-id the package recognizes. */
      readonly profileLevelId?: H264ProfileLevel;
    }
  | {
      readonly kind: 'audio';
      readonly codec: 'aac' | 'pcma' | 'pcmu';
      readonly clockRate: number;
      readonly channels: number;
      readonly payloadType: number;
      readonly control: string;
      /** AAC AudioSpecificConfig (from `config=`, or built from the rtpmap when absent). */
      readonly config?: Uint8Array;
    };

/** A track the SDP offers that this client can play, with how to depacketize it. */
export interface TrackPlan {
  readonly track: RtspTrack;
  /** Index of the media section in the SDP. */
  readonly mediaIndex: number;
  readonly createDepacketizer: () => Depacketizer<VideoAccessUnit> | Depacketizer<AudioFrame>;
}

export interface SkippedMedia {
  readonly mediaIndex: number;
  readonly type: string;
  readonly encoding: string;
  readonly reason: string;
}

export interface SdpTracks {
  /** URL for aggregate control (PLAY, TEARDOWN): the session-level control resolved against the base. */
  readonly aggregateControl: string;
  readonly plans: TrackPlan[];
  readonly skipped: SkippedMedia[];
}

/** RFC 3551 table 4/5: static payload types we play when there is no rtpmap. */
const STATIC_PAYLOAD_TYPES: Readonly<Record<number, SdpRtpMap>> = {
  0: { payloadType: 0, encoding: 'PCMU', clockRate: 8000, channels: 1 },
  8: { payloadType: 8, encoding: 'PCMA', clockRate: 8000, channels: 1 },
};

/** Decodes a comma-separated base64 list (sprop-*), skipping empty or undecodable entries. */
export function decodeBase64List(value: string | undefined): Uint8Array[] {
  if (value === undefined) return [];
  const out: Uint8Array[] = [];
  for (const part of value.split(',')) {
    const text = part.trim();
    if (text === '' || !/^[A-Za-z0-9+/=_-]+$/.test(text)) continue;
    const bytes = new Uint8Array(Buffer.from(text, 'base64'));
    if (bytes.byteLength > 0) out.push(bytes);
  }
  return out;
}

function hexBytes(value: string | undefined): Uint8Array | undefined {
  const hex = value?.trim();
  if (hex === undefined || hex === '' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

function h264ProfileLevel(value: string | undefined): H264ProfileLevel | undefined {
  if (value === undefined) return undefined;
  const parsed = parseProfileLevelId(value.trim());
  if (parsed === undefined) return undefined;
  const hex = profileLevelIdToString(parsed);
  const profile = profileToString(parsed.profile);
  const level = levelToString(parsed.level);
  if (hex === undefined || profile === undefined || level === undefined) return undefined;
  return { hex, profile, level };
}

type PlanResult = Omit<TrackPlan, 'mediaIndex'> | string;

function planFor(media: SdpMedia, payloadType: number, map: SdpRtpMap, control: string): PlanResult {
  const fmtp = media.fmtps.get(payloadType) ?? {};
  const encoding = map.encoding.toUpperCase();
  const clockRate = map.clockRate;
  switch (encoding) {
    case 'H264': {
      const mode = fmtp['packetization-mode'] ?? '0';
      if (mode !== '0' && mode !== '1') return `H.264 packetization-mode ${mode} (interleaved) is not supported`;
      const sets = decodeBase64List(fmtp['sprop-parameter-sets']);
      const profileLevelId = h264ProfileLevel(fmtp['profile-level-id']);
      return {
        track: {
          kind: 'video', codec: 'h264', clockRate, payloadType, control,
          parameterSets: {
            sps: sets.filter((n) => h264NalType(n) === H264NalType.Sps),
            pps: sets.filter((n) => h264NalType(n) === H264NalType.Pps),
          },
          ...(profileLevelId === undefined ? {} : { profileLevelId }),
        },
        createDepacketizer: () => new H264Depacketizer(),
      };
    }
    case 'H265':
    case 'HEVC': {
      const donl = Number(fmtp['sprop-max-don-diff'] ?? '0') > 0 || Number(fmtp['sprop-depack-buf-nalus'] ?? '0') > 0;
      const only = (list: Uint8Array[], type: number): Uint8Array[] => list.filter((n) => n.byteLength >= 2 && h265NalType(n) === type);
      return {
        track: {
          kind: 'video', codec: 'h265', clockRate, payloadType, control,
          parameterSets: {
            vps: only(decodeBase64List(fmtp['sprop-vps']), H265NalType.VPS),
            sps: only(decodeBase64List(fmtp['sprop-sps']), H265NalType.SPS),
            pps: only(decodeBase64List(fmtp['sprop-pps']), H265NalType.PPS),
          },
        },
        createDepacketizer: () => new H265Depacketizer({ donl }),
      };
    }
    case 'MPEG4-GENERIC': {
      const mode = (fmtp['mode'] ?? '').toLowerCase();
      if (mode !== 'aac-hbr' && mode !== 'aac-lbr') return `mpeg4-generic mode ${JSON.stringify(fmtp['mode'] ?? '')} is not AAC`;
      let config = hexBytes(fmtp['config']);
      let channels = map.channels ?? 1;
      let frameLength: number | undefined;
      try {
        if (config !== undefined) {
          const asc = parseAudioSpecificConfig(config);
          channels = asc.channels;
          frameLength = asc.frameLength;
        }
      } catch {
        config = undefined; // unusable config: fall back to the rtpmap below
      }
      config ??= buildAudioSpecificConfig({ objectType: 2, sampleRate: clockRate, channels });
      let params;
      try {
        params = mpeg4GenericParams(fmtp, frameLength);
        new Mpeg4GenericDepacketizer(params); // validates the field widths
      } catch (err) {
        return `mpeg4-generic parameters: ${(err as Error).message}`;
      }
      return {
        track: { kind: 'audio', codec: 'aac', clockRate, channels, payloadType, control, config },
        createDepacketizer: () => new Mpeg4GenericDepacketizer(params),
      };
    }
    case 'MP4A-LATM': {
      if ((fmtp['cpresent'] ?? '1') !== '0') return 'MP4A-LATM with in-band configuration (cpresent=1) is not supported';
      const raw = hexBytes(fmtp['config']);
      if (raw === undefined) return 'MP4A-LATM without config';
      let latm;
      try {
        latm = parseStreamMuxConfig(raw);
      } catch (err) {
        return `MP4A-LATM config: ${(err as Error).message}`;
      }
      return {
        track: { kind: 'audio', codec: 'aac', clockRate, channels: latm.audio.channels, payloadType, control, config: latm.asc },
        createDepacketizer: () => new LatmDepacketizer(latm),
      };
    }
    case 'PCMA':
    case 'PCMU': {
      const codec = encoding === 'PCMA' ? 'pcma' : 'pcmu';
      return {
        track: { kind: 'audio', codec, clockRate, channels: map.channels ?? 1, payloadType, control },
        createDepacketizer: () => new G711Depacketizer(codec),
      };
    }
    default:
      return `encoding ${map.encoding} is not supported`;
  }
}

/**
 * Picks the tracks to SETUP: for each video or audio section, the first payload
 * type we can depacketize. ONVIF backchannel sections (`a=sendonly`) and inactive
 * ones are skipped, as is everything else we cannot play.
 *
 * @param baseUrl Content-Base, else Content-Location, else the DESCRIBE URL (RFC 2326 C.1.1).
 */
export function planTracks(sdp: SdpSession, baseUrl: string): SdpTracks {
  const plans: TrackPlan[] = [];
  const skipped: SkippedMedia[] = [];
  sdp.media.forEach((media, mediaIndex) => {
    const skip = (encoding: string, reason: string): void => {
      skipped.push({ mediaIndex, type: media.type, encoding, reason });
    };
    if (media.type !== 'video' && media.type !== 'audio') return skip('', `media type ${media.type}`);
    if (!/^RTP\/S?AVPF?$/i.test(media.protocol) && !/^RTP\/AVP\/TCP$/i.test(media.protocol)) {
      return skip('', `protocol ${media.protocol}`);
    }
    // ONVIF marks its audio backchannel (client → camera) `a=sendonly`: not ours to play.
    // `a=recvonly` is NOT skipped: Hikvision and Dahua put it on every normal track.
    const direction = media.direction ?? sdp.direction;
    if (direction === 'sendonly' || direction === 'inactive') return skip('', `direction ${direction} (backchannel)`);
    const control = resolveControl(baseUrl, media.control);
    const reasons: string[] = [];
    for (const pt of media.formats) {
      const map = media.rtpmaps.get(pt) ?? (pt < 96 ? STATIC_PAYLOAD_TYPES[pt] : undefined);
      if (map === undefined) {
        reasons.push(`payload type ${pt} without rtpmap`);
        continue;
      }
      const result = planFor(media, pt, map, control);
      if (typeof result === 'string') {
        reasons.push(result);
        continue;
      }
      if (result.track.kind !== media.type) {
        reasons.push(`${map.encoding} in a ${media.type} section`);
        continue;
      }
      plans.push({ ...result, mediaIndex });
      return;
    }
    const first = media.formats[0];
    skip(first === undefined ? '' : (media.rtpmaps.get(first)?.encoding ?? String(first)), reasons.join('; ') || 'no formats');
  });
  return { aggregateControl: resolveControl(baseUrl, sdp.control), plans, skipped };
}
