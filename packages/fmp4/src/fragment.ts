import type { Track } from '@sluice/codec';
import { ByteWriter } from './byte-writer.js';
import { Fmp4Error } from './errors.js';

/** One access unit of a run, timestamps in the track's timescale. */
export interface Fmp4Sample {
  /**
   * Used for the last sample of a run only: the duration of every earlier sample is
   * the dts step to the next one, so the decode timeline in the file matches `dts`
   * exactly even when a source's durations jitter.
   */
  duration: number;
  dts: number;
  pts: number;
  /** Sync sample (IDR/IRAP). Ignored for audio, whose samples are all sync samples. */
  keyframe: boolean;
  /** The sample as it goes into mdat: length-prefixed NAL units for video, a raw access unit for audio. */
  data: Uint8Array;
}

/** Samples of one track in decode order; the first sample's dts becomes the tfdt baseMediaDecodeTime. */
export interface TrackRun {
  track: Track;
  samples: readonly Fmp4Sample[];
}

// Box sizes of the fixed-layout boxes of a moof (header included).
const BOX_HEADER = 8;
const MFHD_LENGTH = 16;
const TFHD_LENGTH = 16;
const TFDT_LENGTH = 20;
/** trun header: box header, version/flags, sample_count, data_offset. */
const TRUN_FIXED_LENGTH = 20;
const MDAT_HEADER = 8;
/** size = 1 and a 64-bit largesize after the type. */
const MDAT_LARGE_HEADER = 16;

/** tfhd flag: data offsets count from the start of this moof (the CMAF / MSE layout). */
const TFHD_DEFAULT_BASE_IS_MOOF = 0x02_0000;

// trun flags. Specification: ISO/IEC 14496-12 section 8.8.8.1
const TRUN_DATA_OFFSET_PRESENT = 0x00_0001;
const TRUN_SAMPLE_DURATION_PRESENT = 0x00_0100;
const TRUN_SAMPLE_SIZE_PRESENT = 0x00_0200;
const TRUN_SAMPLE_FLAGS_PRESENT = 0x00_0400;
const TRUN_SAMPLE_CTO_PRESENT = 0x00_0800;

/**
 * Sample flags. Specification: ISO/IEC 14496-12 section 8.8.3.1
 *
 *   bits 31-28  27-26       25-24              23-22                  21-20                  19-17                 16                          15-0
 *        reserved is_leading sample_depends_on sample_is_depended_on sample_has_redundancy sample_padding_value sample_is_non_sync_sample sample_degradation_priority
 */
/** sample_depends_on = 2 (does not depend on others, an I picture), sync. */
export const SAMPLE_FLAGS_SYNC = 2 << 24;
/** sample_depends_on = 1 (depends on others), sample_is_non_sync_sample = 1. */
export const SAMPLE_FLAGS_NON_SYNC = (1 << 24) | (1 << 16);

const U32_MAX = 0xffff_ffff;
const I32_MIN = -0x8000_0000;
const I32_MAX = 0x7fff_ffff;

/**
 * One movie fragment: a `moof` with one `traf` per non-empty run, followed by one
 * `mdat` holding the runs' samples in order.
 *
 *   header = [ moof [mfhd][traf[tfhd][tfdt][trun]]... ][ mdat size|type ]
 *   payloads = sample data, referenced as given, never copied
 *
 * Built once per stream and shared by every viewer: `toBuffers()` hands the header
 * and the payload views to a vectored socket write; `writeTo` copies contiguously
 * for files (HLS segments) and tests.
 *
 * Specification: ISO/IEC 14496-12 section 8.8.4 (MovieFragmentBox), 8.1.1 (MediaDataBox)
 */
export class Fragment {
  /** moof + the mdat box header (8 bytes, or 16 with a 64-bit largesize). */
  readonly header: Uint8Array;
  /** Sample data in mdat order. */
  readonly payloads: readonly Uint8Array[];
  /** The first sample of the video run (or of the first run when there is no video) is a sync sample. */
  readonly keyframe: boolean;
  readonly #payloadLength: number;

  constructor(sequenceNumber: number, runs: readonly TrackRun[]) {
    checkU32('sequence_number', sequenceNumber);

    // Pass 1: measure, so the moof + mdat header is one exact allocation.
    let moofLength = BOX_HEADER + MFHD_LENGTH;
    let payloadLength = 0;
    let sampleCount = 0;
    let lead: TrackRun | undefined;
    for (const run of runs) {
      const n = run.samples.length;
      if (n === 0) continue; // a track with nothing in this interval gets no traf
      moofLength += BOX_HEADER + TFHD_LENGTH + TFDT_LENGTH + trunLength(run);
      for (let i = 0; i < n; i++) payloadLength += run.samples[i].data.byteLength;
      sampleCount += n;
      if (lead === undefined || (lead.track.kind !== 'video' && run.track.kind === 'video')) lead = run;
    }
    if (lead === undefined) throw new Fmp4Error('EMPTY_FRAGMENT', 'a fragment needs at least one sample');

    // mdat's 32-bit size counts its own header; past 4 GiB it switches to largesize.
    const mdatHeaderLength = MDAT_HEADER + payloadLength > U32_MAX ? MDAT_LARGE_HEADER : MDAT_HEADER;
    const header = new Uint8Array(moofLength + mdatHeaderLength);
    const payloads = new Array<Uint8Array>(sampleCount);
    const w = new ByteWriter(header);

    // Pass 2: fill.
    // Specification: ISO/IEC 14496-12 section 8.8.4 (MovieFragmentBox)
    w.u32(moofLength);
    w.fourcc('moof');
    // Specification: ISO/IEC 14496-12 section 8.8.5 (MovieFragmentHeaderBox)
    w.u32(MFHD_LENGTH);
    w.fourcc('mfhd');
    w.u32(0); // version, flags
    w.u32(sequenceNumber);

    // With default-base-is-moof, data_offset counts from the first byte of the moof.
    let dataOffset = moofLength + mdatHeaderLength;
    let p = 0;
    for (const run of runs) {
      if (run.samples.length === 0) continue;
      dataOffset = writeTraf(w, run, dataOffset);
      for (const s of run.samples) payloads[p++] = s.data;
    }

    // Specification: ISO/IEC 14496-12 section 8.1.1 (MediaDataBox)
    if (mdatHeaderLength === MDAT_HEADER) {
      w.u32(MDAT_HEADER + payloadLength);
      w.fourcc('mdat');
    } else {
      w.u32(1); // size = 1: the real size follows as largesize
      w.fourcc('mdat');
      w.u64(MDAT_LARGE_HEADER + payloadLength);
    }

    this.header = header;
    this.payloads = payloads;
    this.#payloadLength = payloadLength;
    this.keyframe = lead.track.kind === 'audio' || lead.samples[0].keyframe;
  }

  /** header + payloads. */
  byteLength(): number {
    return this.header.byteLength + this.#payloadLength;
  }

  /** Copies the whole fragment contiguously into `buf` at `offset`; returns the bytes written. */
  writeTo(buf: Uint8Array, offset: number): number {
    const length = this.byteLength();
    if (offset < 0 || buf.byteLength - offset < length) {
      throw new Fmp4Error('BUFFER_TOO_SMALL', `fragment needs ${length} bytes at offset ${offset}, buffer has ${buf.byteLength}`);
    }
    buf.set(this.header, offset);
    let pos = offset + this.header.byteLength;
    for (const p of this.payloads) {
      buf.set(p, pos);
      pos += p.byteLength;
    }
    return length;
  }

  /** `[header, ...payloads]` for a vectored write; a fresh array, the buffers themselves are shared. */
  toBuffers(): Uint8Array[] {
    const out = new Array<Uint8Array>(this.payloads.length + 1);
    out[0] = this.header;
    for (let i = 0; i < this.payloads.length; i++) out[i + 1] = this.payloads[i];
    return out;
  }
}

/**
 * Composition offsets are written for video (B-frames reorder) and for any run whose
 * samples carry pts != dts; audio otherwise saves 4 bytes a sample.
 */
function hasCompositionOffsets(run: TrackRun): boolean {
  if (run.track.kind === 'video') return true;
  for (const s of run.samples) if (s.pts !== s.dts) return true;
  return false;
}

function trunLength(run: TrackRun): number {
  // duration, size, flags, and optionally sample_composition_time_offset: 4 bytes each.
  return TRUN_FIXED_LENGTH + run.samples.length * (hasCompositionOffsets(run) ? 16 : 12);
}

/**
 * Writes one traf and returns the data offset just past its samples.
 * Specification: ISO/IEC 14496-12 section 8.8.6 (TrackFragmentBox)
 */
function writeTraf(w: ByteWriter, run: TrackRun, dataOffset: number): number {
  const { track, samples } = run;
  const n = samples.length;
  const cto = hasCompositionOffsets(run);
  const trunLen = TRUN_FIXED_LENGTH + n * (cto ? 16 : 12);
  w.u32(BOX_HEADER + TFHD_LENGTH + TFDT_LENGTH + trunLen);
  w.fourcc('traf');

  // Specification: ISO/IEC 14496-12 section 8.8.7 (TrackFragmentHeaderBox)
  // No base_data_offset or defaults: sample_description_index comes from trex, the rest from trun.
  w.u32(TFHD_LENGTH);
  w.fourcc('tfhd');
  w.u32(TFHD_DEFAULT_BASE_IS_MOOF); // version 0, flags
  w.u32(track.id); // track_ID

  // Specification: ISO/IEC 14496-12 section 8.8.12 (TrackFragmentBaseMediaDecodeTimeBox)
  // Version 1 (64-bit) always: at 90 kHz a 32-bit time wraps after 13 hours.
  const baseMediaDecodeTime = samples[0].dts;
  if (!Number.isSafeInteger(baseMediaDecodeTime) || baseMediaDecodeTime < 0) {
    throw new Fmp4Error('BAD_TIMESTAMP', `track ${track.id}: first dts ${baseMediaDecodeTime} is not a non-negative integer`);
  }
  w.u32(TFDT_LENGTH);
  w.fourcc('tfdt');
  w.u32(0x0100_0000); // version 1, flags 0
  w.u64(baseMediaDecodeTime);

  // Specification: ISO/IEC 14496-12 section 8.8.8 (TrackFragmentRunBox)
  // Version 1 makes sample_composition_time_offset signed, so pts < dts is representable.
  w.u32(trunLen);
  w.fourcc('trun');
  const flags =
    TRUN_DATA_OFFSET_PRESENT |
    TRUN_SAMPLE_DURATION_PRESENT |
    TRUN_SAMPLE_SIZE_PRESENT |
    TRUN_SAMPLE_FLAGS_PRESENT |
    (cto ? TRUN_SAMPLE_CTO_PRESENT : 0);
  w.u32((cto ? 0x0100_0000 : 0) | flags); // version, flags
  w.u32(n); // sample_count
  if (dataOffset > I32_MAX) {
    throw new Fmp4Error('FIELD_OVERFLOW', `track ${track.id}: data_offset ${dataOffset} exceeds the signed 32-bit trun field`);
  }
  w.i32(dataOffset);

  const audio = track.kind === 'audio';
  for (let i = 0; i < n; i++) {
    const s = samples[i];
    const duration = i + 1 < n ? samples[i + 1].dts - s.dts : s.duration;
    if (!Number.isInteger(duration) || duration < 0 || duration > U32_MAX) {
      throw new Fmp4Error('BAD_TIMESTAMP', `track ${track.id} sample ${i}: duration ${duration} (dts ${s.dts}) does not fit an unsigned 32-bit field`);
    }
    const size = s.data.byteLength;
    if (size > U32_MAX) throw new Fmp4Error('FIELD_OVERFLOW', `track ${track.id} sample ${i}: ${size} bytes`);
    w.u32(duration); // sample_duration
    w.u32(size); // sample_size
    w.u32(audio || s.keyframe ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC); // sample_flags
    if (cto) {
      const offset = s.pts - s.dts;
      if (!Number.isInteger(offset) || offset < I32_MIN || offset > I32_MAX) {
        throw new Fmp4Error('BAD_TIMESTAMP', `track ${track.id} sample ${i}: pts - dts = ${offset} does not fit a signed 32-bit field`);
      }
      w.i32(offset); // sample_composition_time_offset
    }
    dataOffset += size;
  }
  return dataOffset;
}

function checkU32(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) {
    throw new Fmp4Error('FIELD_OVERFLOW', `${field} ${v} does not fit an unsigned 32-bit field`);
  }
}
