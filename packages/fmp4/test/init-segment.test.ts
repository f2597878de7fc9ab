import type { Track } from '@sluice/codec';
import { describe, expect, it } from 'vitest';
import { Fmp4Error, initSegment } from '../src/index.js';
import { find, findAll, fourcc, versionFlags, view, walk } from './support/box-walker.js';
import { aacTrack, h264Track, h265Track, pcmaTrack, pcmuTrack } from './support/tracks.js';

interface TrackExpectation {
  id: number;
  handler: 'vide' | 'soun';
  timescale: number;
  sampleEntry: string;
  /** tkhd width/height in pixels (16.16 on the wire); 0 for audio. */
  width: number;
  height: number;
  /** The child of the sample entry, carried byte for byte. */
  configBox?: { type: string; body: Uint8Array };
  audio?: { channels: number; sampleRate16_16: number };
}

const cases: { name: string; tracks: Track[]; nextTrackId: number; expected: TrackExpectation[] }[] = [
  {
    name: 'H.264 + AAC',
    tracks: [h264Track, aacTrack],
    nextTrackId: 3,
    expected: [
      { id: 1, handler: 'vide', timescale: 90000, sampleEntry: 'avc1', width: 640, height: 360, configBox: { type: 'avcC', body: h264Track.decoderConfig } },
      { id: 2, handler: 'soun', timescale: 44100, sampleEntry: 'mp4a', width: 0, height: 0, audio: { channels: 2, sampleRate16_16: 44100 * 65536 } },
    ],
  },
  {
    name: 'H.265 alone',
    tracks: [h265Track],
    nextTrackId: 2,
    expected: [{ id: 1, handler: 'vide', timescale: 90000, sampleEntry: 'hvc1', width: 1920, height: 1080, configBox: { type: 'hvcC', body: h265Track.decoderConfig } }],
  },
  {
    name: 'H.264 + G.711 A-law',
    tracks: [h264Track, pcmaTrack],
    nextTrackId: 3,
    expected: [
      { id: 1, handler: 'vide', timescale: 90000, sampleEntry: 'avc1', width: 640, height: 360, configBox: { type: 'avcC', body: h264Track.decoderConfig } },
      { id: 2, handler: 'soun', timescale: 8000, sampleEntry: 'alaw', width: 0, height: 0, audio: { channels: 1, sampleRate16_16: 8000 * 65536 } },
    ],
  },
  {
    name: 'G.711 mu-law alone, track id 3',
    tracks: [pcmuTrack],
    nextTrackId: 4,
    expected: [{ id: 3, handler: 'soun', timescale: 8000, sampleEntry: 'ulaw', width: 0, height: 0, audio: { channels: 1, sampleRate16_16: 8000 * 65536 } }],
  },
  {
    name: 'AAC at 96 kHz: samplerate does not fit 16.16, written as 0',
    tracks: [{ ...aacTrack, id: 1, timescale: 96000, sampleRate: 96000, decoderConfig: new Uint8Array([0x10, 0x10]) }],
    nextTrackId: 2,
    expected: [{ id: 1, handler: 'soun', timescale: 96000, sampleEntry: 'mp4a', width: 0, height: 0, audio: { channels: 2, sampleRate16_16: 0 } }],
  },
];

describe('initSegment', () => {
  it.each(cases)('$name: ftyp + moov layout', ({ tracks, nextTrackId, expected }) => {
    const bytes = initSegment(tracks);
    const boxes = walk(bytes);
    expect(boxes.map((b) => b.type)).toEqual(['ftyp', 'moov']);
    expect(boxes.reduce((n, b) => n + b.size, 0)).toBe(bytes.byteLength);

    const ftyp = find(boxes, 'ftyp');
    expect(fourcc(ftyp.body, 0)).toBe('iso5');
    const compatible = [];
    for (let at = 8; at < ftyp.body.byteLength; at += 4) compatible.push(fourcc(ftyp.body, at));
    expect(compatible).toEqual(expect.arrayContaining(['iso5', 'iso6', 'mp41']));

    const moov = find(boxes, 'moov');
    expect(moov.children.map((b) => b.type)).toEqual(['mvhd', ...tracks.map(() => 'trak'), 'mvex']);
    const mvhd = view(find(boxes, 'moov/mvhd'));
    expect(versionFlags(find(boxes, 'moov/mvhd')).version).toBe(0);
    expect(mvhd.getUint32(12)).toBe(1000); // timescale
    expect(mvhd.getUint32(16)).toBe(0); // duration: live
    expect(mvhd.getUint32(96)).toBe(nextTrackId); // next_track_ID

    const traks = findAll(boxes, 'moov/trak');
    const trexs = findAll(boxes, 'moov/mvex/trex');
    expect(traks).toHaveLength(expected.length);
    expect(trexs).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const trak = [traks[i]];
      const tkhd = find(trak, 'trak/tkhd');
      expect(versionFlags(tkhd)).toEqual({ version: 0, flags: 3 });
      expect(view(tkhd).getUint32(12)).toBe(e.id); // track_ID
      expect(view(tkhd).getUint32(20)).toBe(0); // duration
      expect(view(tkhd).getUint16(36)).toBe(e.handler === 'soun' ? 0x0100 : 0); // volume
      expect(view(tkhd).getUint32(76)).toBe(e.width * 65536);
      expect(view(tkhd).getUint32(80)).toBe(e.height * 65536);

      const mdhd = find(trak, 'trak/mdia/mdhd');
      expect(view(mdhd).getUint32(12)).toBe(e.timescale);
      expect(view(mdhd).getUint16(20)).toBe(0x55c4); // 'und'
      expect(fourcc(find(trak, 'trak/mdia/hdlr').body, 8)).toBe(e.handler);
      expect(findAll(trak, `trak/mdia/minf/${e.handler === 'vide' ? 'vmhd' : 'smhd'}`)).toHaveLength(1);
      const url = find(trak, 'trak/mdia/minf/dinf/dref/url ');
      expect(versionFlags(url).flags).toBe(1);

      const stbl = find(trak, 'trak/mdia/minf/stbl');
      expect(stbl.children.map((b) => b.type)).toEqual(['stsd', 'stts', 'stsc', 'stsz', 'stco']);
      for (const t of ['stts', 'stsc', 'stco']) expect(view(find([stbl], `stbl/${t}`)).getUint32(4)).toBe(0);
      expect(view(find([stbl], 'stbl/stsz')).getBigUint64(4)).toBe(0n);

      const stsd = find([stbl], 'stbl/stsd');
      expect(view(stsd).getUint32(4)).toBe(1); // entry_count
      expect(stsd.children.map((b) => b.type)).toEqual([e.sampleEntry]);
      const entry = stsd.children[0];
      expect(view(entry).getUint16(6)).toBe(1); // data_reference_index
      if (e.configBox) {
        expect(view(entry).getUint16(24)).toBe(e.width);
        expect(view(entry).getUint16(26)).toBe(e.height);
        expect(entry.children.map((b) => b.type)).toEqual([e.configBox.type]);
        expect(entry.children[0].body).toEqual(e.configBox.body);
      }
      if (e.audio) {
        expect(view(entry).getUint16(16)).toBe(e.audio.channels);
        expect(view(entry).getUint16(18)).toBe(16); // samplesize
        expect(view(entry).getUint32(24)).toBe(e.audio.sampleRate16_16);
      }

      const trex = view(trexs[i]);
      expect(trex.getUint32(4)).toBe(e.id); // track_ID
      expect(trex.getUint32(8)).toBe(1); // default_sample_description_index
    });
  });

  // Specification: ISO/IEC 14496-1 sections 7.2.6.5-7.2.6.7, 7.3.2.3; bytes spelled out by hand.
  const esdsCases: { name: string; asc: Uint8Array; bytes: number[] }[] = [
    {
      name: 'AAC-LC 44.1 kHz stereo',
      asc: ASC(0x12, 0x10),
      bytes: [
        0x00, 0x00, 0x00, 0x00, // version, flags
        0x03, 25, 0x00, 0x00, 0x00, // ES_Descriptor, size 25, ES_ID 0, flags 0
        0x04, 17, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // DecoderConfigDescriptor: 0x40 audio, bufferSizeDB, bitrates
        0x05, 2, 0x12, 0x10, // DecSpecificInfo = ASC
        0x06, 1, 0x02, // SLConfigDescriptor predefined = 2
      ],
    },
    {
      name: 'an ASC of 130 bytes needs a two-byte expandable size',
      asc: new Uint8Array(130).fill(0xaa),
      bytes: [
        0x00, 0x00, 0x00, 0x00,
        0x03, 0x81, 0x1b, 0x00, 0x00, 0x00, // size 155 = 0x81 0x1b
        0x04, 0x81, 0x12, 0x40, 0x15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, // size 146
        0x05, 0x81, 0x02, ...new Array<number>(130).fill(0xaa), // size 130
        0x06, 1, 0x02,
      ],
    },
  ];

  it.each(esdsCases)('esds: $name', ({ asc, bytes }) => {
    const boxes = walk(initSegment([{ ...aacTrack, decoderConfig: asc }]));
    const esds = find(boxes, 'moov/trak/mdia/minf/stbl/stsd/mp4a/esds');
    expect([...esds.body]).toEqual(bytes);
  });

  const invalid: { name: string; tracks: Track[]; code: string }[] = [
    { name: 'no tracks', tracks: [], code: 'NO_TRACKS' },
    { name: 'duplicate track id', tracks: [h264Track, { ...aacTrack, id: 1 }], code: 'BAD_TRACK_ID' },
    { name: 'track id 0', tracks: [{ ...h264Track, id: 0 }], code: 'BAD_TRACK_ID' },
    { name: 'width above 16 bits', tracks: [{ ...h264Track, width: 70000 }], code: 'FIELD_OVERFLOW' },
    { name: 'timescale 0', tracks: [{ ...aacTrack, timescale: 0 }], code: 'FIELD_OVERFLOW' },
  ];
  it.each(invalid)('rejects $name', ({ tracks, code }) => {
    expect(() => initSegment(tracks)).toThrow(Fmp4Error);
    expect(() => initSegment(tracks)).toThrow(new RegExp(`^${code}:`));
  });
});

function ASC(...bytes: number[]): Uint8Array {
  return new Uint8Array(bytes);
}
