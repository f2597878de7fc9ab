import type { Track } from '@sluice/codec';
import { serializeBoxes, type Box } from './box.js';
import { Fmp4Error } from './errors.js';
import { sampleEntry } from './sample-entry.js';

/**
 * `ftyp` + `moov` for a live fragmented stream: no samples in the sample tables,
 * all durations 0 ("unknown"), and an `mvex` announcing that movie fragments follow.
 * A viewer gets this once, then fragments; a track whose decoding changes
 * (see `sameDecoding` in @sluice/codec) needs a new init segment.
 */
export function initSegment(tracks: readonly Track[]): Uint8Array {
  checkTracks(tracks);
  return serializeBoxes([ftyp(), moov(tracks)]);
}

/** mvhd timescale. Only durations use it, and they are all 0 for a live stream. */
const MOVIE_TIMESCALE = 1000;
/** 1.0 in 16.16 fixed point. */
const FIXED_ONE = 0x0001_0000;
/** 1.0 in 8.8 fixed point: full volume. */
const VOLUME_FULL = 0x0100;
/** tkhd flags: track_enabled | track_in_movie. */
const TKHD_ENABLED_IN_MOVIE = 0x000003;
/** mdhd language 'und' packed as three 5-bit letters (each minus 0x60). */
const LANGUAGE_UND = ((0x75 - 0x60) << 10) | ((0x6e - 0x60) << 5) | (0x64 - 0x60);
/** `url ` flag: the media data is in the same file as this box. */
const URL_SELF_CONTAINED = 0x000001;
/** Unity transformation matrix {0x10000,0,0, 0,0x10000,0, 0,0,0x40000000}. */
const UNITY_MATRIX = [FIXED_ONE, 0, 0, 0, FIXED_ONE, 0, 0, 0, 0x4000_0000] as const;

function checkTracks(tracks: readonly Track[]): void {
  if (tracks.length === 0) throw new Fmp4Error('NO_TRACKS', 'an init segment needs at least one track');
  const seen = new Set<number>();
  for (const t of tracks) {
    if (!Number.isInteger(t.id) || t.id < 1 || t.id > 0xffff_ffff) {
      throw new Fmp4Error('BAD_TRACK_ID', `track id ${t.id} is not a 32-bit integer >= 1`);
    }
    if (seen.has(t.id)) throw new Fmp4Error('BAD_TRACK_ID', `track id ${t.id} is used twice`);
    seen.add(t.id);
    if (!Number.isInteger(t.timescale) || t.timescale < 1 || t.timescale > 0xffff_ffff) {
      throw new Fmp4Error('FIELD_OVERFLOW', `track ${t.id} timescale ${t.timescale} is not a 32-bit integer >= 1`);
    }
  }
}

/**
 * Specification: ISO/IEC 14496-12 section 4.3 (FileTypeBox)
 * 'iso5' is the first brand that allows tfhd default-base-is-moof, which every
 * fragment uses; it includes 'iso4' (signed composition offsets, trun version 1).
 * 'iso6' and 'mp41' are listed as compatible so MSE and DASH/HLS players that
 * check brands accept the stream.
 */
function ftyp(): Box {
  const compatibleBrands = ['iso5', 'iso6', 'mp41'];
  return {
    type: 'ftyp',
    fieldsLength: 8 + 4 * compatibleBrands.length,
    writeFields: (w) => {
      w.fourcc('iso5'); // major_brand
      w.u32(512); // minor_version: informative only
      for (const b of compatibleBrands) w.fourcc(b);
    },
  };
}

/** Specification: ISO/IEC 14496-12 section 8.2.1 (MovieBox) */
function moov(tracks: readonly Track[]): Box {
  let maxId = 0;
  for (const t of tracks) maxId = Math.max(maxId, t.id);
  return { type: 'moov', children: [mvhd(maxId + 1), ...tracks.map(trak), mvex(tracks)] };
}

/** Specification: ISO/IEC 14496-12 section 8.2.2 (MovieHeaderBox, version 0) */
function mvhd(nextTrackId: number): Box {
  return {
    type: 'mvhd',
    full: { version: 0, flags: 0 },
    fieldsLength: 96,
    writeFields: (w) => {
      w.u32(0); // creation_time
      w.u32(0); // modification_time
      w.u32(MOVIE_TIMESCALE); // timescale
      w.u32(0); // duration: unknown, live
      w.u32(FIXED_ONE); // rate 1.0
      w.u16(VOLUME_FULL); // volume 1.0
      w.u16(0); // reserved
      w.zeros(8); // reserved[2]
      for (const m of UNITY_MATRIX) w.u32(m);
      w.zeros(24); // pre_defined[6]
      // next_track_ID is capped at 0xffffffff, which the spec reserves for "search for an unused id".
      w.u32(Math.min(nextTrackId, 0xffff_ffff));
    },
  };
}

/** Specification: ISO/IEC 14496-12 section 8.3.1 (TrackBox) */
function trak(track: Track): Box {
  return { type: 'trak', children: [tkhd(track), mdia(track)] };
}

/** Specification: ISO/IEC 14496-12 section 8.3.2 (TrackHeaderBox, version 0) */
function tkhd(track: Track): Box {
  const video = track.kind === 'video';
  return {
    type: 'tkhd',
    full: { version: 0, flags: TKHD_ENABLED_IN_MOVIE },
    fieldsLength: 80,
    writeFields: (w) => {
      w.u32(0); // creation_time
      w.u32(0); // modification_time
      w.u32(track.id); // track_ID
      w.u32(0); // reserved
      w.u32(0); // duration: unknown, live
      w.zeros(8); // reserved[2]
      w.u16(0); // layer
      w.u16(0); // alternate_group
      w.u16(video ? 0 : VOLUME_FULL); // volume: 0 for non-audio tracks
      w.u16(0); // reserved
      for (const m of UNITY_MATRIX) w.u32(m);
      // width, height: the presentation size in 16.16 fixed point; 0 for audio.
      w.u32(video ? track.width * FIXED_ONE : 0);
      w.u32(video ? track.height * FIXED_ONE : 0);
    },
  };
}

/** Specification: ISO/IEC 14496-12 section 8.4.1 (MediaBox) */
function mdia(track: Track): Box {
  return { type: 'mdia', children: [mdhd(track), hdlr(track), minf(track)] };
}

/** Specification: ISO/IEC 14496-12 section 8.4.2 (MediaHeaderBox, version 0) */
function mdhd(track: Track): Box {
  return {
    type: 'mdhd',
    full: { version: 0, flags: 0 },
    fieldsLength: 20,
    writeFields: (w) => {
      w.u32(0); // creation_time
      w.u32(0); // modification_time
      w.u32(track.timescale); // timescale: the unit of every dts/pts/duration in the fragments
      w.u32(0); // duration: unknown, live
      w.u16(LANGUAGE_UND); // pad = 0, language
      w.u16(0); // pre_defined
    },
  };
}

/** Specification: ISO/IEC 14496-12 section 8.4.3 (HandlerBox) */
function hdlr(track: Track): Box {
  const video = track.kind === 'video';
  const name = new TextEncoder().encode(video ? 'VideoHandler' : 'SoundHandler');
  return {
    type: 'hdlr',
    full: { version: 0, flags: 0 },
    fieldsLength: 4 + 4 + 12 + name.byteLength + 1,
    writeFields: (w) => {
      w.u32(0); // pre_defined
      w.fourcc(video ? 'vide' : 'soun'); // handler_type
      w.zeros(12); // reserved[3]
      w.bytes(name); // name, null-terminated UTF-8
      w.u8(0);
    },
  };
}

/** Specification: ISO/IEC 14496-12 section 8.4.4 (MediaInformationBox) */
function minf(track: Track): Box {
  return { type: 'minf', children: [track.kind === 'video' ? vmhd() : smhd(), dinf(), stbl(track)] };
}

/** Specification: ISO/IEC 14496-12 section 12.1.2 (VideoMediaHeaderBox) */
function vmhd(): Box {
  return {
    type: 'vmhd',
    // flags = 1 is fixed by the spec (a QuickTime leftover "no lean ahead").
    full: { version: 0, flags: 1 },
    fieldsLength: 8,
    writeFields: (w) => w.zeros(8), // graphicsmode = copy, opcolor[3]
  };
}

/** Specification: ISO/IEC 14496-12 section 12.2.2 (SoundMediaHeaderBox) */
function smhd(): Box {
  return {
    type: 'smhd',
    full: { version: 0, flags: 0 },
    fieldsLength: 4,
    writeFields: (w) => w.zeros(4), // balance = centre, reserved
  };
}

/** Specification: ISO/IEC 14496-12 sections 8.7.1 (DataInformationBox), 8.7.2 (DataReferenceBox) */
function dinf(): Box {
  const url: Box = { type: 'url ', full: { version: 0, flags: URL_SELF_CONTAINED } };
  const dref: Box = {
    type: 'dref',
    full: { version: 0, flags: 0 },
    fieldsLength: 4,
    writeFields: (w) => w.u32(1), // entry_count
    children: [url],
  };
  return { type: 'dinf', children: [dref] };
}

/**
 * Specification: ISO/IEC 14496-12 section 8.5.1 (SampleTableBox)
 * The tables are present but empty: every sample lives in a movie fragment.
 */
function stbl(track: Track): Box {
  const stsd: Box = {
    // Specification: ISO/IEC 14496-12 section 8.5.2 (SampleDescriptionBox)
    type: 'stsd',
    full: { version: 0, flags: 0 },
    fieldsLength: 4,
    writeFields: (w) => w.u32(1), // entry_count
    children: [sampleEntry(track)],
  };
  return {
    type: 'stbl',
    children: [
      stsd,
      emptyTable('stts'), // Specification: ISO/IEC 14496-12 section 8.6.1.2 (TimeToSampleBox)
      emptyTable('stsc'), // Specification: ISO/IEC 14496-12 section 8.7.4 (SampleToChunkBox)
      {
        // Specification: ISO/IEC 14496-12 section 8.7.3.2 (SampleSizeBox)
        type: 'stsz',
        full: { version: 0, flags: 0 },
        fieldsLength: 8,
        writeFields: (w) => w.zeros(8), // sample_size = 0, sample_count = 0
      },
      emptyTable('stco'), // Specification: ISO/IEC 14496-12 section 8.7.5 (ChunkOffsetBox)
    ],
  };
}

function emptyTable(type: string): Box {
  return { type, full: { version: 0, flags: 0 }, fieldsLength: 4, writeFields: (w) => w.u32(0) }; // entry_count
}

/** Specification: ISO/IEC 14496-12 sections 8.8.1 (MovieExtendsBox), 8.8.3 (TrackExtendsBox) */
function mvex(tracks: readonly Track[]): Box {
  return {
    type: 'mvex',
    children: tracks.map(
      (track): Box => ({
        type: 'trex',
        full: { version: 0, flags: 0 },
        fieldsLength: 20,
        writeFields: (w) => {
          w.u32(track.id); // track_ID
          w.u32(1); // default_sample_description_index: the one stsd entry
          // Defaults are all 0: every trun carries duration, size and flags per sample.
          w.u32(0); // default_sample_duration
          w.u32(0); // default_sample_size
          w.u32(0); // default_sample_flags
        },
      }),
    ),
  };
}
