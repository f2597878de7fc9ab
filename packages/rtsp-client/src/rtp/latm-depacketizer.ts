import { BitReader, ByteReader, buildAudioSpecificConfig, parseAudioSpecificConfig, type AudioSpecificConfig } from '@sluice/codec';
import { RtspError } from '../errors.js';
import { concatBytes, isPacketError, newCounters, nextSequenceNumber, type AudioFrame, type Depacketizer, type RtpPayloadPacket } from './depacketizer.js';

// Specification: RFC 6416, section 6 (MP4A-LATM) with `cpresent=0`: the
// StreamMuxConfig comes out of band in the fmtp `config=` (hex), and each RTP
// payload holds one AudioMuxElement's PayloadLengthInfo / PayloadMux pairs
// (ISO/IEC 14496-3, section 1.7.3), possibly fragmented over packets with the
// same timestamp, the marker bit on the last one.
//
// Supported: audioMuxVersion 0, one program with one layer, frameLengthType 0
// (what cameras and FFmpeg send). Anything else is rejected when the track is set up.

export interface LatmConfig {
  /** The AudioSpecificConfig, rebuilt byte-aligned without the LATM fields around it. */
  readonly asc: Uint8Array;
  readonly audio: AudioSpecificConfig;
  /** PayloadMux elements per AudioMuxElement (numSubFrames + 1). */
  readonly subFrames: number;
}

/** An AudioMuxElement spans at most a few packets; 64 KiB bounds a lying stream. */
export const MAX_LATM_ELEMENT_SIZE = 64 * 1024;
/** Longest AudioSpecificConfig we copy out of a StreamMuxConfig (with a PCE it stays well below). */
const MAX_ASC_BYTES = 64;

/**
 * Parses a StreamMuxConfig (the `config=` hex of RFC 6416). Throws RtspError
 * ('BAD_RESPONSE') on what it does not support, TruncatedError / CodecError on a broken one.
 */
export function parseStreamMuxConfig(config: Uint8Array): LatmConfig {
  const r = new BitReader(config);
  const audioMuxVersion = r.bits(1);
  if (audioMuxVersion !== 0) throw new RtspError('BAD_RESPONSE', 'StreamMuxConfig audioMuxVersion 1 is not supported');
  r.skipBits(1); // allStreamsSameTimeFraming
  const numSubFrames = r.bits(6);
  const numProgram = r.bits(4);
  const numLayer = r.bits(3);
  if (numProgram !== 0 || numLayer !== 0) throw new RtspError('BAD_RESPONSE', 'StreamMuxConfig with several programs or layers');
  // AudioSpecificConfig starts here, at any bit position: copy it out byte-aligned
  // (the fields after it come along as trailing bits, which its parser ignores).
  const aligned = new Uint8Array(Math.min(MAX_ASC_BYTES, Math.ceil(r.bitsLeft / 8)));
  for (let i = 0; i < aligned.byteLength; i++) {
    const n = Math.min(8, r.bitsLeft);
    aligned[i] = r.bits(n) * 2 ** (8 - n);
  }
  const audio = parseAudioSpecificConfig(aligned);
  const asc = buildAudioSpecificConfig({
    objectType: audio.objectType,
    sampleRate: audio.sampleRate,
    channels: audio.channels,
    ...(audio.frameLength === undefined ? {} : { frameLength: audio.frameLength }),
    ...(audio.extension === undefined ? {} : { extensionSampleRate: audio.extension.sampleRate }),
  });
  return { asc, audio, subFrames: numSubFrames + 1 };
}

/** RTP payloads (RFC 6416 MP4A-LATM, cpresent=0) → AAC access units. */
export class LatmDepacketizer implements Depacketizer<AudioFrame> {
  readonly counters = newCounters();
  private lastSequence: number | null = null;
  private pending: { timestamp: number; parts: Uint8Array[]; size: number } | null = null;
  private readonly frameLength: number;

  constructor(private readonly config: LatmConfig) {
    this.frameLength = config.audio.frameLength ?? 1024;
  }

  push(packet: RtpPayloadPacket): AudioFrame[] {
    this.counters.packets++;
    const gap = this.lastSequence !== null && packet.sequenceNumber !== nextSequenceNumber(this.lastSequence);
    this.lastSequence = packet.sequenceNumber;
    if (this.pending !== null && (gap || this.pending.timestamp !== packet.timestamp)) {
      // The element in progress lost its last packet.
      this.pending = null;
      this.counters.droppedFrames++;
    }
    // After a gap this packet is taken as the start of an element; if it was a later
    // fragment, the element fails to parse and counts as a bad packet.
    this.pending ??= { timestamp: packet.timestamp, parts: [], size: 0 };
    const p = this.pending;
    p.parts.push(packet.payload);
    p.size += packet.payload.byteLength;
    if (p.size > MAX_LATM_ELEMENT_SIZE) {
      this.pending = null;
      this.counters.droppedFrames++;
      this.counters.badPackets++;
      return [];
    }
    if (!packet.marker) return [];
    this.pending = null;
    const element = p.parts.length === 1 ? p.parts[0]! : concatBytes(p.parts, p.size);
    try {
      return this.readElement(element, p.timestamp);
    } catch (err) {
      if (!isPacketError(err)) throw err;
      this.counters.badPackets++;
      return [];
    }
  }

  get bufferedBytes(): number {
    return this.pending?.size ?? 0;
  }

  flush(): AudioFrame[] {
    if (this.pending !== null) {
      this.pending = null;
      this.counters.droppedFrames++;
    }
    return [];
  }

  private readElement(element: Uint8Array, timestamp: number): AudioFrame[] {
    const r = new ByteReader(element);
    const frames: AudioFrame[] = [];
    for (let i = 0; i < this.config.subFrames; i++) {
      // PayloadLengthInfo (1.7.3.2, frameLengthType 0): bytes of 255 add up until one is smaller.
      let length = 0;
      for (let b = r.u8(); ; b = r.u8()) {
        length += b;
        if (b !== 255) break;
      }
      frames.push({ timestamp: (timestamp + i * this.frameLength) % 0x1_0000_0000, data: r.bytesView(length, 'PayloadMux') });
    }
    return frames;
  }
}
