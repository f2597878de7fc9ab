import type { Box } from './box.js';
import type { ByteWriter } from './byte-writer.js';

// Specification: ISO/IEC 14496-1 section 7.2.2.1 (descriptor tags)
const ES_DESCR_TAG = 0x03;
const DECODER_CONFIG_DESCR_TAG = 0x04;
const DEC_SPECIFIC_INFO_TAG = 0x05;
const SL_CONFIG_DESCR_TAG = 0x06;

/** objectTypeIndication for MPEG-4 Audio (AAC and friends; the AudioSpecificConfig says which). */
const OBJECT_TYPE_MPEG4_AUDIO = 0x40;
const STREAM_TYPE_AUDIO = 0x05;
/** SLConfigDescriptor predefined value reserved for MP4 files (ISO/IEC 14496-14 section 3.1.2). */
const SL_PREDEFINED_MP4 = 0x02;

/**
 * Bytes taken by a descriptor's sizeOfInstance, written as an "expandable" length:
 * 7 bits per byte, high bit set on all but the last.
 * Specification: ISO/IEC 14496-1 section 8.3.3 (expandable classes)
 */
function sizeFieldLength(size: number): number {
  let n = 1;
  while (size >= 2 ** (7 * n)) n++;
  return n;
}

function writeDescriptorHeader(w: ByteWriter, tag: number, size: number): void {
  w.u8(tag);
  for (let i = sizeFieldLength(size) - 1; i >= 0; i--) {
    const group = Math.floor(size / 2 ** (7 * i)) & 0x7f;
    w.u8(i > 0 ? 0x80 | group : group);
  }
}

function descriptorLength(bodySize: number): number {
  return 1 + sizeFieldLength(bodySize) + bodySize;
}

/**
 * The `esds` box of an `mp4a` sample entry: an ES_Descriptor whose
 * DecoderConfigDescriptor carries the AudioSpecificConfig unchanged as its
 * DecoderSpecificInfo.
 *
 * Specification: ISO/IEC 14496-14 section 5.6 (ESDBox)
 * Specification: ISO/IEC 14496-1 section 7.2.6.5 (ES_Descriptor), 7.2.6.6
 * (DecoderConfigDescriptor), 7.2.6.7 (DecoderSpecificInfo), 7.3.2.3 (SLConfigDescriptor)
 */
export function esds(audioSpecificConfig: Uint8Array): Box {
  const decSpecificInfoBody = audioSpecificConfig.byteLength;
  // objectTypeIndication 1, streamType/upStream/reserved 1, bufferSizeDB 3, maxBitrate 4, avgBitrate 4
  const decoderConfigBody = 13 + descriptorLength(decSpecificInfoBody);
  const slConfigBody = 1;
  // ES_ID 2, flags 1
  const esBody = 3 + descriptorLength(decoderConfigBody) + descriptorLength(slConfigBody);
  return {
    type: 'esds',
    full: { version: 0, flags: 0 },
    fieldsLength: descriptorLength(esBody),
    writeFields: (w) => {
      writeDescriptorHeader(w, ES_DESCR_TAG, esBody);
      // ES_ID 0: in a file the track_ID identifies the stream (ISO/IEC 14496-14 section 3.1.2).
      w.u16(0);
      // streamDependenceFlag, URL_Flag, OCRstreamFlag all 0; streamPriority 0.
      w.u8(0);

      writeDescriptorHeader(w, DECODER_CONFIG_DESCR_TAG, decoderConfigBody);
      w.u8(OBJECT_TYPE_MPEG4_AUDIO);
      // streamType (6 bits), upStream = 0, reserved = 1
      w.u8((STREAM_TYPE_AUDIO << 2) | 1);
      // bufferSizeDB, maxBitrate, avgBitrate: unknown for a live source; 0 means "not given".
      w.u24(0);
      w.u32(0);
      w.u32(0);
      writeDescriptorHeader(w, DEC_SPECIFIC_INFO_TAG, decSpecificInfoBody);
      w.bytes(audioSpecificConfig);

      writeDescriptorHeader(w, SL_CONFIG_DESCR_TAG, slConfigBody);
      w.u8(SL_PREDEFINED_MP4);
    },
  };
}
