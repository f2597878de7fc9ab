/**
 * MPEG-2 transport stream demuxer for TS carried in RTP (payload type 33, RFC 2250:
 * whole 188-byte packets, usually 7 per RTP packet).
 *
 * Specification: ISO/IEC 13818-1 section 2.4 (transport stream); RFC 2250 section 2
 *
 *   PAT (PID 0) → PMT PID of the first program → PMT → elementary PIDs
 *   each PID: [PUSI] PES header + payload | payload | payload ... [PUSI] next PES
 *
 * The first video (H.264 / H.265) and first audio (AAC / G.711) stream of the first
 * program are delivered. Continuity counters are checked on every PID read: a jump
 * (no discontinuity_indicator) is counted and the PES in progress on that PID is
 * dropped; one repeated packet (same counter) is skipped as the standard allows.
 * Bytes out of 188-byte alignment are skipped to the next sync byte and counted.
 */
import { CodecError, TruncatedError } from '@sluice/codec';
import { ByteQueue } from './byte-queue.js';
import { RtpError } from './errors.js';
import type { EsCodec, ElementaryFrame } from './frame.js';
import { FrameAssembler, newAssemblerStats, type AssemblerStats } from './frame-assembler.js';
import { ProgramTimeline } from './mpeg-timestamp.js';
import { MAX_PES_HEADER_SIZE, PES_PREFIX_SIZE, parsePesHeader } from './pes.js';
import { MAX_SECTION_LENGTH, PAT_TABLE_ID, PMT_TABLE_ID, SECTION_HEADER_SIZE, parsePat, parsePmt, sectionSize } from './psi.js';
import { codecOfStreamType } from './stream-types.js';
import { NULL_PID, PAT_PID, TS_PACKET_SIZE, TS_SYNC_BYTE, parseTsPacket, type TsPacket } from './ts-packet.js';

/** Module-local copies for the byte loops (an imported binding is a property read per use under some loaders). */
const SIZE = TS_PACKET_SIZE;
const SYNC = TS_SYNC_BYTE;

/** A PAT or PMT section: header plus at most 1021 bytes. */
const MAX_SECTION_SIZE = SECTION_HEADER_SIZE + MAX_SECTION_LENGTH;

export interface TsDemuxerStats extends AssemblerStats {
  /** 188-byte packets read. */
  packets: number;
  pat: number;
  pmt: number;
  /** PES packets started on delivered PIDs. */
  pes: number;
  /** Continuity counter jumps (lost or corrupt packets) on the PIDs read. */
  ccErrors: number;
  /** Repeated packets (same continuity counter) skipped. */
  duplicatePackets: number;
  /** Packets with transport_error_indicator set (dropped; the PES in progress is dropped too). */
  transportErrors: number;
  /** PAT/PMT sections with a bad CRC_32 or layout. */
  badSections: number;
  /** PES headers that could not be read. */
  badPes: number;
  /** Times the 188-byte alignment was lost. */
  resyncs: number;
  /** Bytes skipped to find the alignment again, and packets that could not be read. */
  droppedBytes: number;
  /** Distinct PIDs of the PMT not delivered (unknown stream_type, a second video/audio stream). */
  unknownStreams: number;
  /** Bytes held now: partial packets, sections and frames being assembled (bounded). */
  bufferedBytes: number;
}

interface EsPid {
  readonly asm: FrameAssembler;
  phase: 'idle' | 'header' | 'body';
  header: Uint8Array;
  headerLength: number;
  /** Bytes left in a PES with a PES_packet_length; undefined: runs to the next PUSI. */
  remaining: number | undefined;
}

interface SectionBuffer {
  buf: Uint8Array;
  length: number;
}

export class TsDemuxer {
  private readonly s: TsDemuxerStats = {
    ...newAssemblerStats(),
    packets: 0, pat: 0, pmt: 0, pes: 0, ccErrors: 0, duplicatePackets: 0, transportErrors: 0, badSections: 0,
    badPes: 0, resyncs: 0, droppedBytes: 0, unknownStreams: 0, bufferedBytes: 0,
  };
  private readonly q = new ByteQueue();
  private readonly timeline = new ProgramTimeline();
  private skipping = false;
  private packetsSeen = 0;
  private pmtPid: number | undefined;
  private readonly sections = new Map<number, SectionBuffer>();
  private readonly cc = new Map<number, number>();
  private readonly es = new Map<number, EsPid>();
  private readonly unknownPids = new Set<number>();
  private fallbackPts: number | undefined;

  get stats(): Readonly<TsDemuxerStats> {
    let held = this.q.length;
    for (const s of this.sections.values()) held += s.length;
    for (const e of this.es.values()) held += e.headerLength + e.asm.heldBytes;
    this.s.bufferedBytes = held;
    return this.s;
  }

  get codecs(): { video?: EsCodec; audio?: EsCodec } {
    const c: { video?: EsCodec; audio?: EsCodec } = {};
    for (const e of this.es.values()) if (e.asm.codec) c[e.asm.kind] = e.asm.codec;
    return c;
  }

  setFallbackPts(pts: number | undefined): void {
    this.fallbackPts = pts;
  }

  /** The next transport stream bytes; returns the frames they complete. Never throws for bad input. */
  push(bytes: Uint8Array): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    this.q.append(bytes);
    for (;;) {
      const v = this.q.view();
      if (v.byteLength < SIZE) break;
      // Aligned: a sync byte where the previous packet ended. Realigning: the next one must follow too.
      const aligned = !this.skipping && this.packetsSeen > 0;
      if (v[0] !== SYNC || (!aligned && v.byteLength > SIZE && v[SIZE] !== SYNC)) {
        this.skip(v);
        continue;
      }
      this.skipping = false;
      this.packetsSeen++;
      this.packet(v.subarray(0, SIZE), out);
      this.q.consume(SIZE);
    }
    return out;
  }

  /** TS has no access-unit hint from RTP: nothing to do (kept for symmetry with PsDemuxer). */
  endOfAccessUnit(): ElementaryFrame[] {
    return [];
  }

  /** Bytes were lost (RTP sequence gap): drop partial PES and sections. */
  discontinuity(): void {
    this.s.droppedBytes += this.q.length;
    this.q.clear();
    this.skipping = false;
    this.packetsSeen = 0;
    this.cc.clear();
    this.sections.clear();
    for (const e of this.es.values()) this.lose(e);
  }

  flush(): ElementaryFrame[] {
    const out: ElementaryFrame[] = [];
    for (const e of this.es.values()) {
      if (e.phase === 'body') e.asm.endPes(out);
      e.phase = 'idle';
      e.headerLength = 0;
      e.asm.flush(out);
    }
    return out;
  }

  /** Skips to the next position where a sync byte is followed by another 188 bytes later (or the data ends). */
  private skip(v: Uint8Array): void {
    let i = v.indexOf(SYNC, 1);
    while (i >= 0 && i + SIZE < v.byteLength && v[i + SIZE] !== SYNC) i = v.indexOf(SYNC, i + 1);
    if (i < 0) i = v.byteLength;
    if (!this.skipping) this.s.resyncs++;
    this.skipping = true;
    this.s.droppedBytes += i;
    this.q.consume(i);
  }

  private packet(bytes: Uint8Array, out: ElementaryFrame[]): void {
    let p: TsPacket;
    try {
      p = parseTsPacket(bytes);
    } catch (err) {
      if (!(err instanceof RtpError || err instanceof TruncatedError)) throw err;
      this.s.droppedBytes += TS_PACKET_SIZE;
      return;
    }
    this.s.packets++;
    const pid = p.pid;
    if (pid === NULL_PID) return;
    const es = this.es.get(pid);
    const tracked = es !== undefined || pid === PAT_PID || pid === this.pmtPid;
    if (!tracked) return;
    if (p.transportErrorIndicator) {
      this.s.transportErrors++;
      if (es) this.lose(es);
      this.sections.delete(pid);
      return;
    }
    if (p.adaptationFieldControl & 0x01) {
      const last = this.cc.get(pid);
      if (last !== undefined && !p.discontinuityIndicator) {
        if (p.continuityCounter === last) {
          this.s.duplicatePackets++;
          return;
        }
        if (p.continuityCounter !== ((last + 1) & 0x0f)) {
          this.s.ccErrors++;
          if (es) this.lose(es);
          this.sections.delete(pid);
        }
      }
      this.cc.set(pid, p.continuityCounter);
    }
    if (p.payload.byteLength === 0) return;
    if (es) this.pesPayload(es, p, out);
    else this.sectionPayload(pid, p);
  }

  private lose(e: EsPid): void {
    e.asm.discard();
    e.phase = 'idle';
    e.headerLength = 0;
  }

  private sectionPayload(pid: number, p: TsPacket): void {
    let data = p.payload;
    let sb = this.sections.get(pid);
    if (p.payloadUnitStartIndicator) {
      const pointer = data[0]!;
      if (1 + pointer > data.byteLength) {
        this.s.badSections++;
        this.sections.delete(pid);
        return;
      }
      // The bytes before the pointed position end the previous section.
      if (sb) this.appendSection(pid, sb, data.subarray(1, 1 + pointer));
      sb = { buf: new Uint8Array(MAX_SECTION_SIZE), length: 0 };
      this.sections.set(pid, sb);
      data = data.subarray(1 + pointer);
    } else if (!sb) {
      return;
    }
    this.appendSection(pid, sb, data);
  }

  private appendSection(pid: number, sb: SectionBuffer, data: Uint8Array): void {
    let off = 0;
    while (off < data.byteLength) {
      if (sb.length === 0 && data[off] === 0xff) {
        // Stuffing after the last section of the packet.
        this.sections.delete(pid);
        return;
      }
      const size = sectionSize(sb.length >= SECTION_HEADER_SIZE ? sb.buf : concatHead(sb, data.subarray(off)));
      const want = size === undefined ? SECTION_HEADER_SIZE : size;
      if (size !== undefined && size > MAX_SECTION_SIZE) {
        this.s.badSections++;
        this.sections.delete(pid);
        return;
      }
      const n = Math.min(want - sb.length, data.byteLength - off);
      sb.buf.set(data.subarray(off, off + n), sb.length);
      sb.length += n;
      off += n;
      if (size !== undefined && sb.length === size) {
        this.section(pid, sb.buf.subarray(0, size));
        sb.length = 0;
      }
    }
  }

  private section(pid: number, bytes: Uint8Array): void {
    try {
      if (pid === PAT_PID && bytes[0] === PAT_TABLE_ID) {
        const pat = parsePat(bytes);
        this.s.pat++;
        const program = pat.programs.find((x) => x.programNumber !== 0);
        if (program && program.pid !== this.pmtPid) {
          if (this.pmtPid !== undefined) this.sections.delete(this.pmtPid);
          this.pmtPid = program.pid;
        }
      } else if (pid === this.pmtPid && bytes[0] === PMT_TABLE_ID) {
        this.applyPmt(parsePmt(bytes).streams);
        this.s.pmt++;
      }
    } catch (err) {
      if (!(err instanceof RtpError || err instanceof TruncatedError || err instanceof CodecError)) throw err;
      this.s.badSections++;
    }
  }

  private applyPmt(streams: ReadonlyArray<{ streamType: number; pid: number }>): void {
    let video: { pid: number; codec: EsCodec } | undefined;
    let audio: { pid: number; codec: EsCodec } | undefined;
    for (const st of streams) {
      const codec = codecOfStreamType(st.streamType);
      const isVideo = codec === 'h264' || codec === 'h265';
      if (codec && isVideo && !video) video = { pid: st.pid, codec };
      else if (codec && !isVideo && !audio) audio = { pid: st.pid, codec };
      else if (!this.unknownPids.has(st.pid)) {
        this.unknownPids.add(st.pid);
        this.s.unknownStreams++;
      }
    }
    for (const [pid, e] of this.es) {
      const keep = (video?.pid === pid && e.asm.kind === 'video') || (audio?.pid === pid && e.asm.kind === 'audio');
      if (!keep) {
        e.asm.discard();
        this.es.delete(pid);
        this.cc.delete(pid);
      }
    }
    for (const [kind, st] of [['video', video], ['audio', audio]] as const) {
      if (!st) continue;
      const cur = this.es.get(st.pid);
      if (cur) {
        if (cur.asm.codec !== st.codec) {
          cur.asm.discard();
          cur.asm.codec = st.codec;
        }
        continue;
      }
      this.es.set(st.pid, {
        asm: new FrameAssembler(st.codec, kind, this.timeline, this.s),
        phase: 'idle',
        header: new Uint8Array(MAX_PES_HEADER_SIZE),
        headerLength: 0,
        remaining: undefined,
      });
    }
  }

  private pesPayload(e: EsPid, p: TsPacket, out: ElementaryFrame[]): void {
    let data = p.payload;
    if (p.payloadUnitStartIndicator) {
      if (e.phase === 'body') e.asm.endPes(out);
      e.phase = 'header';
      e.headerLength = 0;
    }
    if (e.phase === 'idle') return;
    if (e.phase === 'header') {
      const n = Math.min(data.byteLength, MAX_PES_HEADER_SIZE - e.headerLength);
      e.header.set(data.subarray(0, n), e.headerLength);
      const before = e.headerLength;
      e.headerLength += n;
      let header;
      try {
        header = parsePesHeader(e.header.subarray(0, e.headerLength));
      } catch (err) {
        if (err instanceof TruncatedError && e.headerLength < MAX_PES_HEADER_SIZE) return;
        if (!(err instanceof RtpError || err instanceof TruncatedError)) throw err;
        this.s.badPes++;
        this.lose(e);
        return;
      }
      this.s.pes++;
      const pts = header.pts === undefined ? undefined : this.timeline.unwrap(header.pts);
      const dts = header.dts === undefined ? undefined : this.timeline.unwrap(header.dts);
      e.asm.startPes(pts, dts, this.fallbackPts, out);
      e.phase = 'body';
      e.headerLength = 0;
      e.remaining = header.packetLength === 0 ? undefined : header.packetLength - (header.payloadOffset - PES_PREFIX_SIZE);
      data = data.subarray(header.payloadOffset - before);
    }
    if (e.remaining !== undefined) {
      if (data.byteLength > e.remaining) data = data.subarray(0, e.remaining);
      e.remaining -= data.byteLength;
    }
    e.asm.data(data);
    if (e.remaining === 0) {
      e.asm.endPes(out);
      e.phase = 'idle';
    }
  }
}

/** The first SECTION_HEADER_SIZE bytes of a section being assembled, across the buffer and new data. */
function concatHead(sb: SectionBuffer, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(Math.min(SECTION_HEADER_SIZE, sb.length + data.byteLength));
  head.set(sb.buf.subarray(0, Math.min(sb.length, head.byteLength)));
  if (head.byteLength > sb.length) head.set(data.subarray(0, head.byteLength - sb.length), sb.length);
  return head;
}
