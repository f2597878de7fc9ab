/**
 * Builds ElementaryFrames from PES payload bytes, one assembler per elementary
 * stream, shared by the PS, TS and raw-ES demuxers.
 *
 * video: an access unit is the payload of consecutive PES packets with the same
 *   PTS (continuation PES without a PTS belong to it), ended by a PES with another
 *   PTS, by an end-of-access-unit hint (the RTP marker bit) or by flush. It must be
 *   Annex B; frames before the first keyframe, and after any discarded data, are
 *   dropped until the next keyframe (a P-frame without its references is useless
 *   to a viewer).
 * aac: one frame per PES holding whole ADTS frames; a frame cut at the end of a
 *   PES is carried into the next one.
 * pcma / pcmu: one frame per PES.
 *
 * Bytes held are capped (MAX_ACCESS_UNIT_BYTES); over the cap the frame is dropped
 * and counted.
 */
import { CodecError, TruncatedError, isH264Keyframe, isH265Keyframe, parseAdts, splitAnnexB } from '@sluice/codec';
import type { EsCodec, ElementaryFrame } from './frame.js';
import { CLOCK_RESTART_THRESHOLD, type ProgramTimeline } from './mpeg-timestamp.js';
import { sniffAudioCodec, sniffVideoCodec } from './stream-types.js';

/**
 * The largest access unit assembled (8 MiB): a 4K intra frame at a high camera
 * bitrate is well under 2 MiB; more is a lost end-of-frame or garbage.
 */
export const MAX_ACCESS_UNIT_BYTES = 8 * 1024 * 1024;
/** ADTS frames are at most 8191 bytes (13-bit aac_frame_length): a cut frame never needs more carried than two. */
export const MAX_AUDIO_CARRY_BYTES = 2 * 0x1fff;
/** First allocation of an assembly buffer; it doubles up to MAX_ACCESS_UNIT_BYTES. */
const INITIAL_BUFFER_BYTES = 64 * 1024;
/** Samples per AAC access unit (ADTS frames of AAC-LC as cameras send them). */
const AAC_SAMPLES_PER_FRAME = 1024;
/** G.711 in GB28181: 8000 samples/s, one byte per sample. */
const G711_SAMPLE_RATE = 8000;
/** Assumed frame step (40 ms) when a clock restart is seen before two frames gave a real one. */
const DEFAULT_STEP = 3600;

export interface AssemblerStats {
  frames: number;
  /** Frames dropped: over the size cap, not Annex B, bad ADTS, codec not recognisable, or cut by a discontinuity. */
  droppedFrames: number;
  /** Video frames dropped while waiting for a keyframe (at start and after lost data). */
  waitingForKeyframe: number;
  /** A decoding time that went back a little (clamped) or a lot (the timeline was rebased). */
  timestampFixes: number;
}

export const newAssemblerStats = (): AssemblerStats => ({ frames: 0, droppedFrames: 0, waitingForKeyframe: 0, timestampFixes: 0 });

export class FrameAssembler {
  private buf = new Uint8Array(0);
  private len = 0;
  private active = false;
  private corrupt = false;
  private pts: number | undefined;
  private dts: number | undefined;
  private fallback: number | undefined;
  private needKeyframe = true;
  /** After lost data, a continuation PES (no PTS) cannot start a frame: wait for a PES with a PTS. */
  private awaitingPts = false;
  private seenPts = false;
  private lastDts: number | undefined;
  private lastStep = DEFAULT_STEP;
  private nextAudioPts: number | undefined;
  private carry: Uint8Array | undefined;
  private carryPts: number | undefined;

  constructor(
    /** undefined: sniff it from the first data (a stream without a PSM). */
    public codec: EsCodec | undefined,
    readonly kind: 'video' | 'audio',
    private readonly timeline: ProgramTimeline,
    private readonly stats: AssemblerStats,
  ) {}

  /** Bytes held for the frame being assembled (and a carried ADTS fragment). */
  get heldBytes(): number {
    return this.len + (this.carry?.byteLength ?? 0);
  }

  /**
   * A PES begins. `pts`/`dts` are unwrapped (ProgramTimeline.unwrap), `fallbackPts`
   * is a 90 kHz time to use when the stream has none (the RTP timestamp).
   */
  startPes(pts: number | undefined, dts: number | undefined, fallbackPts: number | undefined, out: ElementaryFrame[]): void {
    if (this.kind === 'video') {
      if (this.active && pts !== undefined && pts !== this.pts) this.finishVideo(out);
      if (this.active) return;
    } else if (this.active) {
      this.finishAudio(out);
    }
    if (pts !== undefined) {
      this.seenPts = true;
      this.awaitingPts = false;
    } else if (this.awaitingPts && this.seenPts) {
      return;
    }
    this.active = true;
    this.corrupt = false;
    this.len = 0;
    this.pts = pts;
    this.dts = dts;
    this.fallback = fallbackPts;
  }

  data(bytes: Uint8Array): void {
    if (!this.active || this.corrupt || bytes.byteLength === 0) return;
    const need = this.len + bytes.byteLength;
    if (need > MAX_ACCESS_UNIT_BYTES) {
      this.corrupt = true;
      this.stats.droppedFrames++;
      this.release();
      return;
    }
    if (need > this.buf.byteLength) {
      let cap = Math.max(INITIAL_BUFFER_BYTES, this.buf.byteLength);
      while (cap < need) cap *= 2;
      const grown = new Uint8Array(Math.min(cap, MAX_ACCESS_UNIT_BYTES));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(bytes, this.len);
    this.len = need;
  }

  /** The PES ended (its length was reached, or the next start code / PUSI came). */
  endPes(out: ElementaryFrame[]): void {
    if (this.kind === 'audio' && this.active) this.finishAudio(out);
  }

  /** The access unit is complete (RTP marker bit); video emits it now. */
  endAccessUnit(out: ElementaryFrame[]): void {
    if (!this.active) return;
    if (this.kind === 'video') this.finishVideo(out);
    else this.finishAudio(out);
  }

  flush(out: ElementaryFrame[]): void {
    this.endAccessUnit(out);
  }

  /** Data was lost: drop what is being assembled; video waits for a keyframe. */
  discard(): void {
    if (this.active && !this.corrupt && this.len > 0) this.stats.droppedFrames++;
    if (this.carry) this.stats.droppedFrames++;
    this.active = false;
    this.corrupt = false;
    this.len = 0;
    this.carry = undefined;
    this.carryPts = undefined;
    this.awaitingPts = true;
    if (this.kind === 'video') this.needKeyframe = true;
  }

  private release(): void {
    this.len = 0;
    if (this.buf.byteLength > INITIAL_BUFFER_BYTES) this.buf = new Uint8Array(0);
  }

  private finishVideo(out: ElementaryFrame[]): void {
    this.active = false;
    if (this.corrupt || this.len === 0) return;
    const data = this.buf.slice(0, this.len);
    this.len = 0;
    let nals: Uint8Array[];
    try {
      nals = splitAnnexB(data);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      this.stats.droppedFrames++;
      this.needKeyframe = true;
      return;
    }
    if (nals.length === 0) {
      this.stats.droppedFrames++;
      return;
    }
    if (this.codec === undefined) this.codec = sniffVideoCodec(nals);
    const codec = this.codec;
    if (codec !== 'h264' && codec !== 'h265') {
      // Not known yet (no parameter sets seen): before the first keyframe anyway.
      this.stats.waitingForKeyframe++;
      return;
    }
    const keyframe = codec === 'h264' ? isH264Keyframe(nals) : isH265Keyframe(nals);
    if (this.needKeyframe && !keyframe) {
      this.stats.waitingForKeyframe++;
      return;
    }
    this.needKeyframe = false;
    const pts = this.pts ?? this.fallback ?? (this.lastDts === undefined ? undefined : this.lastDts - this.timeline.offset);
    if (pts === undefined) {
      this.stats.droppedFrames++;
      return;
    }
    this.emit(out, codec, pts, this.dts ?? pts, data, keyframe, nals);
  }

  private finishAudio(out: ElementaryFrame[]): void {
    this.active = false;
    if (this.corrupt) return;
    if (this.len === 0 && !this.carry) return;
    const payload = this.buf.slice(0, this.len);
    this.len = 0;
    if (this.codec === undefined) {
      const sniffed = sniffAudioCodec(payload);
      if (!sniffed) return;
      this.codec = sniffed;
    }
    const pesPts = this.pts ?? (this.nextAudioPts === undefined ? undefined : Math.round(this.nextAudioPts)) ?? this.fallback;
    if (this.codec === 'aac') {
      this.finishAac(out, payload, pesPts);
      return;
    }
    if (pesPts === undefined || payload.byteLength === 0) return;
    this.emit(out, this.codec, pesPts, this.dts ?? pesPts, payload, true);
    this.nextAudioPts = pesPts + (payload.byteLength * 90_000) / G711_SAMPLE_RATE;
  }

  private finishAac(out: ElementaryFrame[], payload: Uint8Array, pesPts: number | undefined): void {
    let data = payload;
    let pts = pesPts;
    if (this.carry) {
      data = new Uint8Array(this.carry.byteLength + payload.byteLength);
      data.set(this.carry);
      data.set(payload, this.carry.byteLength);
      pts = this.carryPts ?? pesPts;
      this.carry = undefined;
      this.carryPts = undefined;
    }
    try {
      const frames = parseAdts(data);
      if (frames.length === 0 || pts === undefined) return;
      this.emit(out, 'aac', pts, pts, data, true);
      const rate = frames[0]!.config.sampleRate;
      this.nextAudioPts = pts + (frames.length * AAC_SAMPLES_PER_FRAME * 90_000) / rate;
    } catch (err) {
      if (err instanceof TruncatedError && data.byteLength <= MAX_AUDIO_CARRY_BYTES) {
        // The last ADTS frame continues in the next PES.
        this.carry = data;
        this.carryPts = pts;
        return;
      }
      if (!(err instanceof TruncatedError || err instanceof CodecError)) throw err;
      this.stats.droppedFrames++;
    }
  }

  /** Adds the timeline offset and keeps dts from going back. */
  private emit(
    out: ElementaryFrame[],
    codec: EsCodec,
    rawPts: number,
    rawDts: number,
    data: Uint8Array,
    keyframe: boolean,
    nalus?: readonly Uint8Array[],
  ): void {
    let pts = rawPts + this.timeline.offset;
    let dts = rawDts + this.timeline.offset;
    if (this.lastDts !== undefined && dts < this.lastDts) {
      const back = this.lastDts - dts;
      this.stats.timestampFixes++;
      if (back > CLOCK_RESTART_THRESHOLD) {
        // The sender's clock restarted: move the whole program's timeline forward.
        this.timeline.rebase(back, this.lastStep);
        pts += back + this.lastStep;
        dts += back + this.lastStep;
      } else {
        pts += back;
        dts = this.lastDts;
      }
    }
    if (this.lastDts !== undefined && dts > this.lastDts) this.lastStep = Math.min(dts - this.lastDts, CLOCK_RESTART_THRESHOLD);
    this.lastDts = dts;
    this.stats.frames++;
    out.push(nalus === undefined ? { codec, pts, dts, data, keyframe } : { codec, pts, dts, data, nalus, keyframe });
  }
}
