import type { AudioTrack, Track, VideoTrack } from '@sluice/codec';
import type { Box } from './box.js';
import type { ByteWriter } from './byte-writer.js';
import { esds } from './esds.js';
import { Fmp4Error } from './errors.js';

/** Every sample points at the single data reference: the `url ` entry meaning "this file". */
const DATA_REFERENCE_INDEX = 1;
/** 72 dpi in 16.16 fixed point, the value the spec fixes for horizresolution/vertresolution. */
const RESOLUTION_72_DPI = 0x0048_0000;
/** "Images are in colour with no alpha". */
const DEPTH_COLOUR = 0x0018;
const COMPRESSOR_NAME_LENGTH = 32;
/** samplesize the spec fixes for AudioSampleEntry (and QuickTime uses for compressed sound). */
const AUDIO_SAMPLE_SIZE = 16;

// SampleEntry 8 + VisualSampleEntry 70
const VISUAL_SAMPLE_ENTRY_FIELDS = 78;
// SampleEntry 8 + AudioSampleEntry 20
const AUDIO_SAMPLE_ENTRY_FIELDS = 28;

/** The one sample entry of a track's `stsd`. */
export function sampleEntry(track: Track): Box {
  switch (track.codec) {
    case 'h264':
      // Specification: ISO/IEC 14496-15 section 5.4.2.1 (AVCSampleEntry 'avc1' + AVCConfigurationBox 'avcC')
      // 'avc1' rather than 'avc3': the track model keeps the parameter sets in the avcC record.
      return visualSampleEntry('avc1', track, { type: 'avcC', ...rawFields(track.decoderConfig) });
    case 'h265':
      // Specification: ISO/IEC 14496-15 section 8.4.1.1 (HEVCSampleEntry 'hvc1' + HEVCConfigurationBox 'hvcC')
      // 'hvc1' rather than 'hev1' because Apple's HLS players only accept 'hvc1'.
      return visualSampleEntry('hvc1', track, { type: 'hvcC', ...rawFields(track.decoderConfig) });
    case 'aac':
      // Specification: ISO/IEC 14496-14 section 5.6 (MP4AudioSampleEntry 'mp4a' + ESDBox)
      return audioSampleEntry('mp4a', track, [esds(track.decoderConfig)]);
    case 'pcma':
      // G.711 has no ISO/IEC 14496 sample entry; 'alaw'/'ulaw' are the QuickTime sound
      // sample descriptions that ffmpeg, mediabunny and browsers' MP4 demuxers recognise.
      return audioSampleEntry('alaw', track, []);
    case 'pcmu':
      return audioSampleEntry('ulaw', track, []);
  }
}

/** A box body copied byte for byte (the avcC/hvcC decoder configuration records). */
function rawFields(body: Uint8Array): Pick<Box, 'fieldsLength' | 'writeFields'> {
  return { fieldsLength: body.byteLength, writeFields: (w) => w.bytes(body) };
}

function writeSampleEntryHeader(w: ByteWriter): void {
  // Specification: ISO/IEC 14496-12 section 8.5.2.2 (SampleEntry)
  w.zeros(6); // reserved
  w.u16(DATA_REFERENCE_INDEX);
}

/** Specification: ISO/IEC 14496-12 section 12.1.3 (VisualSampleEntry) */
function visualSampleEntry(type: string, track: VideoTrack, config: Box): Box {
  checkU16('width', track.width);
  checkU16('height', track.height);
  return {
    type,
    fieldsLength: VISUAL_SAMPLE_ENTRY_FIELDS,
    writeFields: (w) => {
      writeSampleEntryHeader(w);
      w.u16(0); // pre_defined
      w.u16(0); // reserved
      w.zeros(12); // pre_defined[3]
      w.u16(track.width);
      w.u16(track.height);
      w.u32(RESOLUTION_72_DPI); // horizresolution
      w.u32(RESOLUTION_72_DPI); // vertresolution
      w.u32(0); // reserved
      w.u16(1); // frame_count: one frame per sample
      w.zeros(COMPRESSOR_NAME_LENGTH); // compressorname: empty (length byte 0)
      w.u16(DEPTH_COLOUR);
      w.u16(0xffff); // pre_defined = -1
    },
    children: [config],
  };
}

/** Specification: ISO/IEC 14496-12 section 12.2.3 (AudioSampleEntry, version 0) */
function audioSampleEntry(type: string, track: AudioTrack, children: Box[]): Box {
  checkU16('channels', track.channels);
  return {
    type,
    fieldsLength: AUDIO_SAMPLE_ENTRY_FIELDS,
    writeFields: (w) => {
      writeSampleEntryHeader(w);
      w.zeros(8); // reserved[2]
      w.u16(track.channels); // channelcount
      w.u16(AUDIO_SAMPLE_SIZE); // samplesize
      w.u16(0); // pre_defined
      w.u16(0); // reserved
      // samplerate is 16.16 fixed point, so rates above 65535 Hz (88.2/96 kHz AAC) do not
      // fit; 0 then, and decoders take the rate from the AudioSpecificConfig as they must anyway.
      w.u32(track.sampleRate <= 0xffff ? track.sampleRate * 0x10000 : 0);
    },
    children,
  };
}

function checkU16(field: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) {
    throw new Fmp4Error('FIELD_OVERFLOW', `${field} ${v} does not fit a 16-bit sample entry field`);
  }
}
