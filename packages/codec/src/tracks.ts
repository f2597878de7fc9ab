/**
 * Builders of the shared track model (media.ts) from codec configuration: what a
 * protocol package calls when a sequence header, an SDP or the first parameter
 * sets arrive. Each result owns a copy of its decoder configuration, so a track
 * never aliases a socket buffer that is about to be reused.
 */
import { aacCodecString, parseAudioSpecificConfig } from './aac.js';
import { buildAvcDecoderConfig, parseAvcDecoderConfig } from './avc-decoder-config.js';
import { CodecError } from './errors.js';
import { h264CodecString, parseH264Sps } from './h264.js';
import { h265CodecString, parseH265Sps } from './h265.js';
import { buildHevcDecoderConfig, parseHevcDecoderConfig } from './hevc-decoder-config.js';
import type { AudioTrack, VideoTrack } from './media.js';

function checkTimescale(timescale: number): void {
  if (!Number.isInteger(timescale) || timescale <= 0 || timescale > 0xffffffff) {
    throw new CodecError('INVALID_VALUE', `timescale ${timescale}: a positive 32-bit integer`);
  }
}

/** A video track from an avcC body; size and codec string come from its first SPS. */
export function videoTrackFromAvcC(id: number, avcC: Uint8Array, timescale: number): VideoTrack {
  checkTimescale(timescale);
  const config = parseAvcDecoderConfig(avcC);
  const sps = config.sps[0];
  if (sps === undefined) throw new CodecError('MISSING_PARAMETER_SET', 'avcC holds no SPS');
  const parsed = parseH264Sps(sps);
  return {
    kind: 'video',
    id,
    codec: 'h264',
    timescale,
    width: parsed.width,
    height: parsed.height,
    codecString: h264CodecString(sps),
    decoderConfig: avcC.slice(),
  };
}

/** A video track from an hvcC body; size and codec string come from its first SPS. */
export function videoTrackFromHvcC(id: number, hvcC: Uint8Array, timescale: number): VideoTrack {
  checkTimescale(timescale);
  const config = parseHevcDecoderConfig(hvcC);
  const sps = config.sps[0];
  if (sps === undefined) throw new CodecError('MISSING_PARAMETER_SET', 'hvcC holds no SPS');
  const parsed = parseH265Sps(sps);
  return {
    kind: 'video',
    id,
    codec: 'h265',
    timescale,
    width: parsed.width,
    height: parsed.height,
    codecString: h265CodecString(sps),
    decoderConfig: hvcC.slice(),
  };
}

/**
 * A video track from parameter sets seen in-band (Annex B, RTP, SDP
 * sprop-parameter-sets): builds the avcC / hvcC record. H.265 needs a VPS.
 */
export function videoTrackFromParameterSets(
  id: number,
  codec: 'h264' | 'h265',
  ps: { vps?: Uint8Array[]; sps: Uint8Array[]; pps: Uint8Array[] },
  timescale: number,
): VideoTrack {
  if (codec === 'h264') return videoTrackFromAvcC(id, buildAvcDecoderConfig(ps.sps, ps.pps), timescale);
  return videoTrackFromHvcC(id, buildHevcDecoderConfig(ps.vps ?? [], ps.sps, ps.pps), timescale);
}

/** An AAC track from an AudioSpecificConfig; the timescale defaults to the (core) sample rate. */
export function audioTrackFromAsc(id: number, asc: Uint8Array, timescale?: number): AudioTrack {
  const config = parseAudioSpecificConfig(asc);
  const ts = timescale ?? config.sampleRate;
  checkTimescale(ts);
  return {
    kind: 'audio',
    id,
    codec: 'aac',
    timescale: ts,
    sampleRate: config.sampleRate,
    channels: config.channels,
    codecString: aacCodecString(config.objectType),
    decoderConfig: asc.slice(),
  };
}

/**
 * A G.711 track (RFC 3551 PCMA / PCMU: 8000 Hz mono unless the SDP says otherwise).
 * Codec strings are the MP4 sample entry names `alaw` / `ulaw`.
 */
export function g711Track(id: number, codec: 'pcma' | 'pcmu', sampleRate = 8000, channels = 1): AudioTrack {
  checkTimescale(sampleRate);
  if (!Number.isInteger(channels) || channels < 1 || channels > 255) {
    throw new CodecError('INVALID_VALUE', `G.711 channels ${channels}`);
  }
  return {
    kind: 'audio',
    id,
    codec,
    timescale: sampleRate,
    sampleRate,
    channels,
    codecString: codec === 'pcma' ? 'alaw' : 'ulaw',
    decoderConfig: new Uint8Array(0),
  };
}
