import { describe, expect, it } from 'vitest';
import { Fmp4Error, Fragment, SAMPLE_FLAGS_NON_SYNC, SAMPLE_FLAGS_SYNC, type Fmp4Sample, type TrackRun } from '../src/index.js';
import { find, findAll, parseTfdt, parseTrun, versionFlags, view, walk } from './support/box-walker.js';
import { aacTrack, h264Track, h265Track, pcmaTrack } from './support/tracks.js';

/** A sample whose payload is `size` bytes of a recognisable value. */
function sample(dts: number, pts: number, keyframe: boolean, size: number, duration = 0, fill = size & 0xff): Fmp4Sample {
  return { dts, pts, keyframe, duration, data: new Uint8Array(size).fill(fill) };
}

const SYNC = SAMPLE_FLAGS_SYNC;
const NON_SYNC = SAMPLE_FLAGS_NON_SYNC;
/** trun flags: data-offset, duration, size, flags (+ composition offsets). */
const TRUN_AUDIO = 0x000701;
const TRUN_VIDEO = 0x000f01;

interface ExpectedTraf {
  trackId: number;
  baseMediaDecodeTime: number;
  trunVersion: number;
  trunFlags: number;
  samples: { duration: number; size: number; flags: number; cto?: number }[];
}

const cases: { name: string; sequenceNumber: number; runs: TrackRun[]; keyframe: boolean; trafs: ExpectedTraf[] }[] = [
  {
    name: 'per-frame live fragment: one H.264 IDR',
    sequenceNumber: 1,
    runs: [{ track: h264Track, samples: [sample(180000, 183600, true, 1000, 3600)] }],
    keyframe: true,
    trafs: [{ trackId: 1, baseMediaDecodeTime: 180000, trunVersion: 1, trunFlags: TRUN_VIDEO, samples: [{ duration: 3600, size: 1000, flags: SYNC, cto: 3600 }] }],
  },
  {
    name: 'per-frame live fragment: one H.265 non-IDR',
    sequenceNumber: 42,
    runs: [{ track: h265Track, samples: [sample(3600, 3600, false, 77, 3600)] }],
    keyframe: false,
    trafs: [{ trackId: 1, baseMediaDecodeTime: 3600, trunVersion: 1, trunFlags: TRUN_VIDEO, samples: [{ duration: 3600, size: 77, flags: NON_SYNC, cto: 0 }] }],
  },
  {
    name: 'per-frame live fragment: one AAC frame (no composition offsets, version 0)',
    sequenceNumber: 2,
    runs: [{ track: aacTrack, samples: [sample(1024, 1024, false, 371, 1024)] }],
    keyframe: true, // audio is always sync, whatever the caller said
    trafs: [{ trackId: 2, baseMediaDecodeTime: 1024, trunVersion: 0, trunFlags: TRUN_AUDIO, samples: [{ duration: 1024, size: 371, flags: SYNC }] }],
  },
  {
    name: 'HLS segment: GOP with B-frames (I P B B) + AAC, durations from dts steps',
    sequenceNumber: 7,
    runs: [
      {
        track: h264Track,
        samples: [
          sample(0, 7200, true, 500),
          sample(3600, 18000, false, 300),
          sample(7200, 10800, false, 100),
          sample(10800, 14400, false, 120, 3600),
        ],
      },
      { track: aacTrack, samples: [sample(0, 0, true, 200), sample(1024, 1024, true, 210), sample(2048, 2048, true, 220, 1024)] },
    ],
    keyframe: true,
    trafs: [
      {
        trackId: 1,
        baseMediaDecodeTime: 0,
        trunVersion: 1,
        trunFlags: TRUN_VIDEO,
        samples: [
          { duration: 3600, size: 500, flags: SYNC, cto: 7200 },
          { duration: 3600, size: 300, flags: NON_SYNC, cto: 14400 },
          { duration: 3600, size: 100, flags: NON_SYNC, cto: 3600 },
          { duration: 3600, size: 120, flags: NON_SYNC, cto: 3600 },
        ],
      },
      {
        trackId: 2,
        baseMediaDecodeTime: 0,
        trunVersion: 0,
        trunFlags: TRUN_AUDIO,
        samples: [
          { duration: 1024, size: 200, flags: SYNC },
          { duration: 1024, size: 210, flags: SYNC },
          { duration: 1024, size: 220, flags: SYNC },
        ],
      },
    ],
  },
  {
    name: 'audio run first, video second: keyframe follows the video run',
    sequenceNumber: 8,
    runs: [
      { track: aacTrack, samples: [sample(5000, 5000, true, 10, 1024)] },
      { track: h264Track, samples: [sample(9000, 9000, false, 20, 3600)] },
    ],
    keyframe: false,
    trafs: [
      { trackId: 2, baseMediaDecodeTime: 5000, trunVersion: 0, trunFlags: TRUN_AUDIO, samples: [{ duration: 1024, size: 10, flags: SYNC }] },
      { trackId: 1, baseMediaDecodeTime: 9000, trunVersion: 1, trunFlags: TRUN_VIDEO, samples: [{ duration: 3600, size: 20, flags: NON_SYNC, cto: 0 }] },
    ],
  },
  {
    name: 'negative composition offset (pts < dts) is written signed',
    sequenceNumber: 3,
    runs: [{ track: h264Track, samples: [sample(7200, 3600, false, 5, 3600)] }],
    keyframe: false,
    trafs: [{ trackId: 1, baseMediaDecodeTime: 7200, trunVersion: 1, trunFlags: TRUN_VIDEO, samples: [{ duration: 3600, size: 5, flags: NON_SYNC, cto: -3600 }] }],
  },
  {
    name: 'tfdt beyond 2^32 (90 kHz after 13 h) and beyond 2^40',
    sequenceNumber: 4,
    runs: [
      { track: h264Track, samples: [sample(2 ** 32 + 12345, 2 ** 32 + 12345, true, 9, 3000)] },
      { track: aacTrack, samples: [sample(2 ** 40 + 1, 2 ** 40 + 1, true, 8, 1024)] },
    ],
    keyframe: true,
    trafs: [
      { trackId: 1, baseMediaDecodeTime: 2 ** 32 + 12345, trunVersion: 1, trunFlags: TRUN_VIDEO, samples: [{ duration: 3000, size: 9, flags: SYNC, cto: 0 }] },
      { trackId: 2, baseMediaDecodeTime: 2 ** 40 + 1, trunVersion: 0, trunFlags: TRUN_AUDIO, samples: [{ duration: 1024, size: 8, flags: SYNC }] },
    ],
  },
  {
    name: 'empty run gets no traf',
    sequenceNumber: 5,
    runs: [
      { track: h264Track, samples: [] },
      { track: pcmaTrack, samples: [sample(160, 160, true, 160, 160)] },
    ],
    keyframe: true,
    trafs: [{ trackId: 2, baseMediaDecodeTime: 160, trunVersion: 0, trunFlags: TRUN_AUDIO, samples: [{ duration: 160, size: 160, flags: SYNC }] }],
  },
  {
    name: 'audio with pts != dts gets composition offsets too',
    sequenceNumber: 6,
    runs: [{ track: aacTrack, samples: [sample(0, 2048, true, 4, 1024)] }],
    keyframe: true,
    trafs: [{ trackId: 2, baseMediaDecodeTime: 0, trunVersion: 1, trunFlags: TRUN_VIDEO, samples: [{ duration: 1024, size: 4, flags: SYNC, cto: 2048 }] }],
  },
];

describe('Fragment', () => {
  it.each(cases)('$name', ({ sequenceNumber, runs, keyframe, trafs }) => {
    const f = new Fragment(sequenceNumber, runs);
    const samples = runs.flatMap((r) => r.samples);
    const payloadLength = samples.reduce((n, s) => n + s.data.byteLength, 0);

    // The header parses as exactly moof + an 8-byte mdat header announcing the payloads.
    const boxes = walk(f.header);
    expect(boxes.map((b) => b.type)).toEqual(['moof', 'mdat']);
    const [moof, mdat] = boxes;
    expect(mdat.headerSize).toBe(8);
    expect(mdat.size).toBe(8 + payloadLength);
    expect(f.header.byteLength).toBe(moof.size + 8);
    expect(moof.children.map((b) => b.type)).toEqual(['mfhd', ...trafs.map(() => 'traf')]);
    expect(view(find(boxes, 'moof/mfhd')).getUint32(4)).toBe(sequenceNumber);

    // Payloads are the callers' buffers, in mdat order, not copies.
    expect(f.payloads).toHaveLength(samples.length);
    f.payloads.forEach((p, i) => expect(p).toBe(samples[i].data));
    expect(f.keyframe).toBe(keyframe);
    expect(f.byteLength()).toBe(f.header.byteLength + payloadLength);
    const buffers = f.toBuffers();
    expect(buffers[0]).toBe(f.header);
    expect(buffers.slice(1)).toEqual(f.payloads);

    // writeTo at an offset copies everything contiguously; data_offset (from moof start) finds each sample.
    const out = new Uint8Array(f.byteLength() + 3);
    expect(f.writeTo(out, 3)).toBe(f.byteLength());
    const file = out.subarray(3);
    expect(file.subarray(0, f.header.byteLength)).toEqual(f.header);

    const trafBoxes = findAll(boxes, 'moof/traf');
    const nonEmptyRuns = runs.filter((r) => r.samples.length > 0);
    let expectedOffset = f.header.byteLength;
    trafs.forEach((e, i) => {
      const traf = [trafBoxes[i]];
      const tfhd = find(traf, 'traf/tfhd');
      expect(versionFlags(tfhd)).toEqual({ version: 0, flags: 0x020000 }); // default-base-is-moof only
      expect(view(tfhd).getUint32(4)).toBe(e.trackId);
      const tfdt = find(traf, 'traf/tfdt');
      expect(versionFlags(tfdt).version).toBe(1);
      expect(parseTfdt(tfdt)).toBe(e.baseMediaDecodeTime);
      const trun = parseTrun(find(traf, 'traf/trun'));
      expect({ version: trun.version, flags: trun.flags, samples: trun.samples }).toEqual({
        version: e.trunVersion,
        flags: e.trunFlags,
        samples: e.samples,
      });
      expect(trun.dataOffset).toBe(expectedOffset);
      let at = trun.dataOffset!;
      for (const s of nonEmptyRuns[i].samples) {
        expect(file.subarray(at, at + s.data.byteLength)).toEqual(s.data);
        at += s.data.byteLength;
      }
      expectedOffset = at;
    });
    expect(expectedOffset).toBe(f.byteLength());
  });

  it('switches mdat to a 64-bit largesize past 4 GiB without copying payloads', () => {
    // 65 views of one 64 MiB buffer: 4.06 GiB of mdat, 64 MiB of memory.
    const block = new Uint8Array(64 * 2 ** 20);
    const samples = Array.from({ length: 65 }, (_, i) => ({ dts: i * 1024, pts: i * 1024, keyframe: true, duration: 1024, data: block }));
    const f = new Fragment(1, [{ track: aacTrack, samples }]);
    const boxes = walk(f.header);
    const mdat = find(boxes, 'mdat');
    expect(mdat.headerSize).toBe(16);
    expect(new DataView(f.header.buffer, f.header.byteOffset).getUint32(mdat.offset)).toBe(1); // size = 1: largesize follows
    expect(mdat.size).toBe(16 + 65 * block.byteLength);
    expect(f.byteLength()).toBeGreaterThan(2 ** 32);
    expect(parseTrun(find(boxes, 'moof/traf/trun')).dataOffset).toBe(f.header.byteLength);
    expect(f.payloads.every((p) => p === block)).toBe(true);
  });

  it('rejects a second run whose data_offset passes the signed 32-bit trun field', () => {
    const block = new Uint8Array(64 * 2 ** 20);
    const audio = Array.from({ length: 33 }, (_, i) => ({ dts: i * 1024, pts: i * 1024, keyframe: true, duration: 1024, data: block }));
    const video = [{ dts: 0, pts: 0, keyframe: true, duration: 3600, data: block }];
    expect(() => new Fragment(1, [{ track: aacTrack, samples: audio }, { track: h264Track, samples: video }])).toThrow(
      /^FIELD_OVERFLOW: track 1: data_offset/,
    );
  });

  const one = (over: Partial<Fmp4Sample>): TrackRun[] => [{ track: h264Track, samples: [{ ...sample(0, 0, true, 4, 3600), ...over }] }];
  const invalid: { name: string; sequenceNumber?: number; runs: TrackRun[]; code: string }[] = [
    { name: 'no runs', runs: [], code: 'EMPTY_FRAGMENT' },
    { name: 'only empty runs', runs: [{ track: h264Track, samples: [] }], code: 'EMPTY_FRAGMENT' },
    { name: 'negative first dts', runs: one({ dts: -1, pts: 0 }), code: 'BAD_TIMESTAMP' },
    { name: 'fractional first dts', runs: one({ dts: 0.5, pts: 1 }), code: 'BAD_TIMESTAMP' },
    { name: 'dts beyond 2^53', runs: one({ dts: 2 ** 53, pts: 2 ** 53 }), code: 'BAD_TIMESTAMP' },
    { name: 'negative duration of the last sample', runs: one({ duration: -1 }), code: 'BAD_TIMESTAMP' },
    { name: 'composition offset beyond 32 bits', runs: one({ pts: 2 ** 31 }), code: 'BAD_TIMESTAMP' },
    {
      name: 'dts going backwards inside a run',
      runs: [{ track: h264Track, samples: [sample(3600, 3600, true, 1), sample(0, 0, false, 1, 3600)] }],
      code: 'BAD_TIMESTAMP',
    },
    { name: 'sequence_number beyond 32 bits', sequenceNumber: 2 ** 32, runs: one({}), code: 'FIELD_OVERFLOW' },
  ];
  it.each(invalid)('rejects $name', ({ sequenceNumber = 1, runs, code }) => {
    expect(() => new Fragment(sequenceNumber, runs)).toThrow(Fmp4Error);
    expect(() => new Fragment(sequenceNumber, runs)).toThrow(new RegExp(`^${code}:`));
  });

  it('writeTo rejects a buffer that is too small', () => {
    const f = new Fragment(1, one({}));
    expect(() => f.writeTo(new Uint8Array(f.byteLength()), 1)).toThrow(/^BUFFER_TOO_SMALL:/);
  });
});
