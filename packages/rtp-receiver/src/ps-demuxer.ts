/**
 * MPEG-2 program stream demuxer for the PS that GB28181 cameras send in RTP: a byte
 * stream cut at arbitrary points into RTP payloads.
 *
 * Specification: ISO/IEC 13818-1 section 2.5 (program stream), 2.4.3.6 (PES);
 * GB/T 28181-2016 annex C (PS over RTP).
 *
 *   pack_header [system_header] [program_stream_map] PES PES ... pack_header PES ...
 *
 * Layout handled (and camera quirks seen in the field):
 * - MPEG-2 pack headers with stuffing, MPEG-1 pack headers; a pack per frame.
 * - The PSM names the streams (0x1B H.264, 0x24 H.265, 0x0F AAC, 0x90 G.711A,
 *   0x91 G.711U); other stream types (0x10 MPEG-4 Visual, SVAC...) are counted and
 *   skipped. Without a PSM, 0xE0 is video (H.264 vs H.265 sniffed from the
 *   parameter sets) and 0xC0 audio (ADTS sync → AAC, else G.711A).
 * - Video PES with PES_packet_length 0 run to the next system start code. A PES
 *   whose length overruns the next start code (video: any system start code, which
 *   its ES cannot contain; audio: a pack header) was cut: its frame is dropped and
 *   counted (shortPes), and parsing goes on at the start code. Padding (0xBE) and
 *   private streams (0xBD, 0xBF) are skipped.
 * - Garbage, trailing bytes and a payload starting mid-PES after loss: bytes up to
 *   the next system start code are dropped and counted.
 *
 * Only the first video and the first audio stream are delivered (a GB28181 camera
 * sends one of each); further streams are counted as unknown.
 */
import { CodecError, TruncatedError } from '@sluice/codec';
import { ByteQueue } from './byte-queue.js';
import { RtpError } from './errors.js';
import type { EsCodec, ElementaryFrame } from './frame.js';
import { FrameAssembler, newAssemblerStats, type AssemblerStats } from './frame-assembler.js';
import { ProgramTimeline } from './mpeg-timestamp.js';
import { MAX_PES_HEADER_SIZE, PES_PREFIX_SIZE, StreamId, hasOptionalHeader, parsePesHeader } from './pes.js';
import {
  MAX_PSM_LENGTH,
  MPEG1_PACK_HEADER_SIZE,
  PACK_HEADER_SIZE,
  PROGRAM_END_CODE,
  PROGRAM_STREAM_MAP_ID,
  SYSTEM_HEADER_START_CODE,
  PACK_START_CODE,
  parsePackHeader,
  parseProgramStreamMap,
  parseSystemHeader,
} from './ps-headers.js';
import { codecOfStreamType } from './stream-types.js';

/** pack_stuffing_length is 3 bits. */
const MAX_PACK_HEADER_SIZE = PACK_HEADER_SIZE + 7;
/** MPEG-1 packet header: 16 stuffing bytes, STD buffer fields (2), PTS + DTS (10), after the 6-byte prefix. */
const MAX_MPEG1_PES_HEADER_SIZE = PES_PREFIX_SIZE + 16 + 2 + 10;
/** header_length is 16 bits: the largest unit the demuxer waits for whole. */
const MAX_SYSTEM_HEADER_SIZE = 6 + 0xffff;

export interface PsDemuxerStats extends AssemblerStats {
  /** Pack headers read. */
  packs: number;
  systemHeaders: number;
  /** Program stream maps read. */
  psm: number;
  /** PES packets of delivered streams. */
  pes: number;
  /** PES packets skipped: padding, private streams, unknown or further streams. */
  ignoredPes: number;
  /** Times bytes had to be skipped to find the next start code. */
  resyncs: number;
  /** Bytes skipped (garbage, a PES cut by loss, headers that could not be read). */
  droppedBytes: number;
  /** Distinct stream_ids not delivered (unknown stream_type, private streams, a second video/audio stream). */
  unknownStreams: number;
  /** Video PES that ended before their PES_packet_length (a system start code came first). */
  shortPes: number;
  /** Bytes held now: the parse queue and the frames being assembled (bounded). */
  bufferedBytes: number;
}

interface Body {
  readonly stream: FrameAssembler | undefined;
  /** Bytes left in the PES; undefined: PES_packet_length 0, runs to the next system start code. */
  remaining: number | undefined;
  /** What ends it early: any system start code (video, unbounded PES), a pack header (audio), nothing (skipped streams). */
  readonly scan: 'system' | 'pack' | 'none';
}

type UnitResult = 'done' | 'more' | 'bad';

export class PsDemuxer {
  private readonly s: PsDemuxerStats = {
    ...newAssemblerStats(),
    packs: 0, systemHeaders: 0, psm: 0, pes: 0, ignoredPes: 0, resyncs: 0, droppedBytes: 0,
    unknownStreams: 0, shortPes: 0, bufferedBytes: 0,
  };
  private readonly q = new ByteQueue();
  private readonly timeline = new ProgramTimeline();
  private body: Body | undefined;
  private skipping = false;
  /** stream_id → codec from the PSM; null: listed with a stream_type not relayed. */
  private readonly psmCodecs = new Map<number, EsCodec | null>();
  private video: { id: number; asm: FrameAssembler } | undefined;
  private audio: { id: number; asm: FrameAssembler } | undefined;
  private readonly unknownIds = new Set<number>();
  private fallbackPts: number | undefined;

  get stats(): Readonly<PsDemuxerStats> {
    this.s.bufferedBytes = this.q.length + (this.video?.asm.heldBytes ?? 0) + (this.audio?.asm.heldBytes ?? 0);
    return this.s;
  }

  /** The codecs found so far (from the PSM or sniffed). */
  get codecs(): { video?: EsCodec; audio?: EsCodec } {
    const c: { video?: EsCodec; audio?: EsCodec } = {};
    if (this.video?.asm.codec) c.video = this.video.asm.codec;
    if (this.audio?.asm.codec) c.audio = this.audio.asm.codec;
    return c;
  }

  /** A 90 kHz time for PES without a PTS when the stream never has one (RtpPayloadDemuxer passes the RTP timestamp). */
  setFallbackPts(pts: number | undefined): void {
    this.fallbackPts = pts;
  }

  /** The next bytes of the program stream; returns the frames completed by them. Never throws for bad input. */
  push(payload: Uint8Array): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    this.q.append(payload);
    this.parse(out);
    return out;
  }

  /**
   * The sender marked the end of a frame (RTP marker bit): a PES without a length
   * ends here, and the video access unit is complete unless a video PES is still
   * missing bytes.
   */
  endOfAccessUnit(): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    const body = this.body;
    if (body && body.remaining === undefined) {
      body.stream?.data(this.q.view());
      this.q.consume(this.q.length);
      this.endBody(out);
    }
    if (this.body?.stream !== this.video?.asm) this.video?.asm.endAccessUnit(out);
    return out;
  }

  /** Bytes were lost (an RTP sequence gap): drop partial frames, resynchronise at the next start code. */
  discontinuity(): void {
    if (this.q.length > 0) this.s.droppedBytes += this.q.length;
    this.q.clear();
    this.body = undefined;
    this.skipping = false;
    this.video?.asm.discard();
    this.audio?.asm.discard();
  }

  /** End of stream: completes what can be completed. */
  flush(): ElementaryFrame[] {
    const out = this.endOfAccessUnit();
    if (this.body) {
      this.body.stream?.discard();
      this.body = undefined;
    }
    this.s.droppedBytes += this.q.length;
    this.q.clear();
    this.video?.asm.flush(out);
    this.audio?.asm.flush(out);
    return out;
  }

  private parse(out: ElementaryFrame[]): void {
    for (;;) {
      if (this.body) {
        if (!this.feedBody(out)) return;
        continue;
      }
      const v = this.q.view();
      if (v.byteLength < 4) return;
      const at = this.q.findSystemStartCode();
      if (at !== 0) {
        // Keep the last 3 bytes: a start code may continue in the next payload.
        this.drop(at < 0 ? v.byteLength - 3 : at);
        if (at < 0) return;
        continue;
      }
      const result = this.unit(v, out);
      if (result === 'more') return;
      if (result === 'bad') {
        // Not a readable unit after all: skip its start code and look further.
        this.drop(3);
        continue;
      }
      this.skipping = false;
    }
  }

  private drop(n: number): void {
    if (n <= 0) return;
    if (!this.skipping) this.s.resyncs++;
    this.skipping = true;
    this.s.droppedBytes += n;
    this.q.consume(n);
  }

  /** One unit at a start code (v[0..3] = 00 00 01 id). */
  private unit(v: Uint8Array, out: ElementaryFrame[]): UnitResult {
    const id = v[3]!;
    try {
      switch (id) {
        case PACK_START_CODE: {
          if (v.byteLength < MPEG1_PACK_HEADER_SIZE) return 'more';
          const mpeg2 = v[4]! >> 6 === 1;
          if (mpeg2 && v.byteLength < PACK_HEADER_SIZE) return 'more';
          const size = mpeg2 ? PACK_HEADER_SIZE + (v[13]! & 0x07) : MPEG1_PACK_HEADER_SIZE;
          if (v.byteLength < Math.min(size, MAX_PACK_HEADER_SIZE)) return 'more';
          const pack = parsePackHeader(v);
          this.s.packs++;
          this.q.consume(pack.length);
          return 'done';
        }
        case SYSTEM_HEADER_START_CODE: {
          if (v.byteLength < 6) return 'more';
          const size = 6 + ((v[4]! << 8) | v[5]!);
          if (size > MAX_SYSTEM_HEADER_SIZE) return 'bad';
          if (v.byteLength < size) return 'more';
          parseSystemHeader(v.subarray(0, size));
          this.s.systemHeaders++;
          this.q.consume(size);
          return 'done';
        }
        case PROGRAM_STREAM_MAP_ID: {
          if (v.byteLength < 6) return 'more';
          const length = (v[4]! << 8) | v[5]!;
          if (length > MAX_PSM_LENGTH) return 'bad';
          if (v.byteLength < 6 + length) return 'more';
          this.applyPsm(v.subarray(0, 6 + length));
          this.q.consume(6 + length);
          return 'done';
        }
        case PROGRAM_END_CODE:
          this.q.consume(4);
          return 'done';
        default:
          return this.pes(v, id, out);
      }
    } catch (err) {
      if (err instanceof RtpError || err instanceof TruncatedError || err instanceof CodecError) return 'bad';
      throw err;
    }
  }

  private pes(v: Uint8Array, id: number, out: ElementaryFrame[]): UnitResult {
    if (v.byteLength < PES_PREFIX_SIZE) return 'more';
    const length = (v[4]! << 8) | v[5]!;
    if (!hasOptionalHeader(id) || id === StreamId.PrivateStream1) {
      // Padding, private streams, ECM/EMM...: skipped whole (private_stream_1 carries vendor data in GB28181).
      this.s.ignoredPes++;
      this.countUnknown(id, id === StreamId.PrivateStream1);
      this.q.consume(PES_PREFIX_SIZE);
      this.body = { stream: undefined, remaining: length === 0 ? undefined : length, scan: length === 0 ? 'system' : 'none' };
      return 'done';
    }
    // Enough bytes for the header?
    if (v.byteLength < 9) return 'more';
    const mpeg2 = v[6]! >> 6 === 2;
    if (mpeg2) {
      if (v.byteLength < 9 + v[8]!) return 'more';
    }
    let header;
    try {
      header = parsePesHeader(v.subarray(0, Math.min(v.byteLength, MAX_PES_HEADER_SIZE)));
    } catch (err) {
      if (err instanceof TruncatedError && !mpeg2 && v.byteLength < MAX_MPEG1_PES_HEADER_SIZE) return 'more';
      throw err;
    }
    const stream = this.streamFor(id);
    if (stream) {
      this.s.pes++;
      const pts = header.pts === undefined ? undefined : this.timeline.unwrap(header.pts);
      const dts = header.dts === undefined ? undefined : this.timeline.unwrap(header.dts);
      stream.startPes(pts, dts, this.fallbackPts, out);
    } else {
      this.s.ignoredPes++;
    }
    this.q.consume(header.payloadOffset);
    const remaining = length === 0 ? undefined : length - (header.payloadOffset - PES_PREFIX_SIZE);
    this.body = { stream, remaining, scan: remaining === undefined || stream?.kind === 'video' ? 'system' : stream ? 'pack' : 'none' };
    return 'done';
  }

  /** Feeds PES payload bytes; true when the PES ended (parse on), false when more bytes are needed. */
  private feedBody(out: ElementaryFrame[]): boolean {
    const body = this.body!;
    const v = this.q.view();
    if (body.remaining === 0) {
      this.endBody(out);
      return true;
    }
    if (v.byteLength === 0) return false;
    const n = body.remaining === undefined ? v.byteLength : Math.min(v.byteLength, body.remaining);
    if (body.scan !== 'none') {
      const at = body.scan === 'system' ? this.q.findSystemStartCode(0, n) : this.q.findPackStartCode(0, n);
      if (at >= 0) {
        if (body.remaining === undefined) {
          body.stream?.data(v.subarray(0, at));
          this.q.consume(at);
          this.endBody(out);
        } else {
          // PES_packet_length promised more: the PES was cut (loss inside a payload, a broken sender).
          this.s.shortPes++;
          this.s.droppedBytes += at;
          body.stream?.discard();
          this.q.consume(at);
          this.body = undefined;
        }
        return true;
      }
    }
    // Without an end in sight, hold back 3 bytes that may begin a start code.
    const complete = body.remaining !== undefined && n === body.remaining;
    const take = complete || body.scan === 'none' ? n : Math.max(0, n - 3);
    if (take === 0) return false;
    body.stream?.data(v.subarray(0, take));
    this.q.consume(take);
    if (body.remaining !== undefined) body.remaining -= take;
    if (body.remaining === 0) {
      this.endBody(out);
      return true;
    }
    return false;
  }

  private endBody(out: ElementaryFrame[]): void {
    this.body?.stream?.endPes(out);
    this.body = undefined;
  }

  private applyPsm(bytes: Uint8Array): void {
    const psm = parseProgramStreamMap(bytes);
    this.s.psm++;
    this.psmCodecs.clear();
    for (const e of psm.streams) {
      const codec = codecOfStreamType(e.streamType) ?? null;
      this.psmCodecs.set(e.elementaryStreamId, codec);
      if (codec === null) this.countUnknown(e.elementaryStreamId, true);
    }
    for (const slot of ['video', 'audio'] as const) {
      const cur = this[slot];
      if (!cur) continue;
      const codec = this.psmCodecs.get(cur.id);
      if (codec === null) {
        cur.asm.discard();
        this[slot] = undefined;
      } else if (codec !== undefined && codec !== cur.asm.codec) {
        // The camera switched codec, or the map corrects a sniffed guess: what was assembled is of the old one.
        if (cur.asm.codec !== undefined) cur.asm.discard();
        cur.asm.codec = codec;
      }
    }
  }

  private streamFor(id: number): FrameAssembler | undefined {
    const mapped = this.psmCodecs.get(id);
    if (mapped === null) return undefined;
    const isVideo = mapped !== undefined ? mapped === 'h264' || mapped === 'h265' : id >= StreamId.VideoFirst && id <= StreamId.VideoLast;
    const isAudio = mapped !== undefined ? !isVideo : id >= StreamId.AudioFirst && id <= StreamId.AudioLast;
    const slot = isVideo ? 'video' : isAudio ? 'audio' : undefined;
    if (!slot) {
      this.countUnknown(id, true);
      return undefined;
    }
    const cur = this[slot];
    if (cur) {
      if (cur.id === id) return cur.asm;
      this.countUnknown(id, true);
      return undefined;
    }
    const asm = new FrameAssembler(mapped ?? undefined, slot, this.timeline, this.s);
    this[slot] = { id, asm };
    return asm;
  }

  private countUnknown(id: number, really: boolean): void {
    if (!really || this.unknownIds.has(id)) return;
    this.unknownIds.add(id);
    this.s.unknownStreams++;
  }
}
