import { TruncatedError } from '@sluice/codec';
import { describe, expect, test } from 'vitest';
import { RtpError, TsDemuxer, crc32Mpeg, parsePat, parsePmt, parseTsPacket, type ElementaryFrame, type Pat, type Pmt, type TsPacket } from '../src/index.js';
import { adts, filler, h264Key, h264P, h265Key } from './cases/es.js';
import { bin, bits, concat } from './helpers.js';
import { TS, patSection, pmtSection, psi, section, tsHead, tsPackets, tsPes } from './ts-builder.js';

const pad = (head: Uint8Array, fill = 0xaa) => concat([head, new Uint8Array(TS - head.byteLength).fill(fill)]);

interface Case<T> {
  name: string;
  bytes: Uint8Array;
  decoded: T;
}

export const tsPacketCases: Case<Partial<TsPacket>>[] = [
  {
    name: 'payload only, PUSI, PID 0x100, continuity_counter 5',
    bytes: pad(bits(`01000111 | 0 1 0 ${bin(0x100, 13)} | 00 01 0101`)),
    decoded: { transportErrorIndicator: false, payloadUnitStartIndicator: true, pid: 0x100, scramblingControl: 0, adaptationFieldControl: 1, continuityCounter: 5, discontinuityIndicator: false, randomAccessIndicator: false },
  },
  {
    name: 'adaptation field with the largest PCR, then payload',
    bytes: pad(bits(`01000111 | 0 0 0 ${bin(0x101, 13)} | 00 11 1111 | ${bin(7, 8)} | 0 1 0 1 0 0 0 0 | ${bin(2 ** 33 - 1, 33)} 111111 ${bin(0, 9)}`)),
    decoded: { pid: 0x101, adaptationFieldControl: 3, continuityCounter: 15, randomAccessIndicator: true, pcrBase: 2 ** 33 - 1 },
  },
  {
    name: 'adaptation field only (183 bytes), discontinuity_indicator',
    bytes: pad(bits(`01000111 | 0 0 0 ${bin(0x100, 13)} | 00 10 0000 | ${bin(183, 8)} | 1 0 0 0 0 0 0 0`), 0xff),
    decoded: { adaptationFieldControl: 2, discontinuityIndicator: true, payload: new Uint8Array(0) },
  },
  {
    name: 'transport_error_indicator, scrambled',
    bytes: pad(bits(`01000111 | 1 0 0 ${bin(0x1fff, 13)} | 10 01 0000`)),
    decoded: { transportErrorIndicator: true, pid: 0x1fff, scramblingControl: 2 },
  },
];

const badTsPackets = [
  { name: 'no sync byte', bytes: pad(bits(`01001000 | 0 1 0 ${bin(0x100, 13)} | 00 01 0000`)) },
  { name: "adaptation_field_control '00'", bytes: pad(bits(`01000111 | 0 1 0 ${bin(0x100, 13)} | 00 00 0000`)) },
  { name: 'adaptation_field_length 184', bytes: pad(bits(`01000111 | 0 0 0 ${bin(0x100, 13)} | 00 11 0000 | ${bin(184, 8)}`)) },
  { name: '187 bytes', bytes: pad(bits(`01000111 | 0 1 0 ${bin(0x100, 13)} | 00 01 0000`)).subarray(0, 187) },
];

const patCases: Case<Pat>[] = [
  {
    name: 'network PID and one program',
    bytes: patSection([[0, 0x10], [1, 0x1000]], 7, 3),
    decoded: { transportStreamId: 7, version: 3, programs: [{ programNumber: 0, pid: 0x10 }, { programNumber: 1, pid: 0x1000 }] },
  },
];

const pmtCases: Case<Pmt>[] = [
  {
    name: 'H.264 + AAC with an ES descriptor and program_info',
    bytes: pmtSection(1, 0x100, [[0x1b, 0x100], [0x0f, 0x101, Uint8Array.of(0x0a, 4, 0x65, 0x6e, 0x67, 0)]], Uint8Array.of(0x25, 0)),
    decoded: {
      programNumber: 1, version: 0, pcrPid: 0x100,
      streams: [{ streamType: 0x1b, pid: 0x100, info: new Uint8Array(0) }, { streamType: 0x0f, pid: 0x101, info: Uint8Array.of(0x0a, 4, 0x65, 0x6e, 0x67, 0) }],
    },
  },
  {
    name: 'H.265 alone, version 9',
    bytes: pmtSection(3, 0x1ffe, [[0x24, 0x44]], undefined, 9),
    decoded: { programNumber: 3, version: 9, pcrPid: 0x1ffe, streams: [{ streamType: 0x24, pid: 0x44, info: new Uint8Array(0) }] },
  },
];

const goodPat = patSection([[1, 0x1000]]);
const badSections = [
  { name: 'CRC_32 mismatch', bytes: goodPat.map((b, i) => (i === 8 ? b ^ 1 : b)), parse: parsePat },
  { name: 'section_length over 1021', bytes: concat([bits(`00000000 1 0 11 ${bin(1022, 12)}`), new Uint8Array(1022)]), parse: parsePat },
  { name: 'a PMT table_id where a PAT belongs', bytes: pmtSection(1, 0x100, []), parse: parsePat },
  { name: 'section_syntax_indicator 0', bytes: section(0x02, new Uint8Array(9)).map((b, i) => (i === 1 ? b & 0x7f : b)), parse: parsePmt },
  { name: 'cut short', bytes: goodPat.subarray(0, 10), parse: parsePat },
  { name: 'ES_info_length past the section', bytes: section(0x02, bits(`${bin(1, 16)} 11 00000 1 ${bin(0, 16)} 111 ${bin(0x100, 13)} 1111 ${bin(0, 12)} ${bin(0x1b, 8)} 111 ${bin(0x100, 13)} 1111 ${bin(40, 12)}`)), parse: parsePmt },
];

describe('TS packet (ISO/IEC 13818-1 2.4.3.2, 2.4.3.4)', () => {
  test.each(tsPacketCases)('$name', ({ bytes, decoded }) => expect(parseTsPacket(bytes)).toMatchObject(decoded));
  test.each(badTsPackets)('rejects $name', ({ bytes }) => {
    expect(() => parseTsPacket(bytes)).toThrow();
    try {
      parseTsPacket(bytes);
    } catch (err) {
      expect(err instanceof RtpError || err instanceof TruncatedError).toBe(true);
    }
  });
  test('no sync byte is BAD_TS', () => expect(() => parseTsPacket(badTsPackets[0]!.bytes)).toThrow(/^BAD_TS/));
});

describe('PSI (2.4.4.3 PAT, 2.4.4.8 PMT)', () => {
  test('CRC-32/MPEG-2 check value', () => {
    expect(crc32Mpeg(new TextEncoder().encode('123456789'))).toBe(0x0376e6e7);
  });
  test.each(patCases)('PAT: $name', ({ bytes, decoded }) => expect(parsePat(bytes)).toEqual(decoded));
  test.each(pmtCases)('PMT: $name', ({ bytes, decoded }) => expect(parsePmt(bytes)).toEqual(decoded));
  test.each(badSections)('rejects $name', ({ bytes, parse }) => {
    expect(() => parse(bytes)).toThrow();
    try {
      parse(bytes);
    } catch (err) {
      expect(err instanceof RtpError || err instanceof TruncatedError).toBe(true);
    }
  });
  test('a bad CRC is BAD_TS', () => expect(() => parsePat(badSections[0]!.bytes)).toThrow(/^BAD_TS: CRC_32/));
});

const summary = (frames: ElementaryFrame[]) => frames.map((f) => `${f.codec}@${f.pts}${f.keyframe && f.codec.startsWith('h') ? '*' : ''}`);

function program(videoType = 0x1b): { ccs: Map<number, { n: number }>; packets: Uint8Array[] } {
  const ccs = new Map<number, { n: number }>();
  const packets = [
    ...tsHead(videoType, 0x0f, ccs),
    ...tsPes(0x100, 0xe0, videoType === 0x24 ? h265Key() : h264Key(), 0, ccs),
    ...tsPes(0x101, 0xc0, adts(), 0, ccs),
    ...tsPes(0x100, 0xe0, h264P(), 3600, ccs),
    ...tsPes(0x101, 0xc0, adts(150, 7), 5760, ccs),
    ...tsPes(0x100, 0xe0, h264P(900, 5), 7200, ccs, true),
  ];
  return { ccs, packets };
}

function run(chunks: Uint8Array[], d = new TsDemuxer()) {
  const frames = chunks.flatMap((c) => d.push(c));
  frames.push(...d.flush());
  return { frames, d };
}

describe('TsDemuxer', () => {
  test('PAT → PMT → H.264 + AAC PES across packets', () => {
    const { packets } = program();
    const { frames, d } = run([concat(packets)]);
    expect(summary(frames.filter((f) => f.codec === 'h264'))).toEqual(['h264@0*', 'h264@3600', 'h264@7200']);
    expect(summary(frames.filter((f) => f.codec === 'aac'))).toEqual(['aac@0', 'aac@5760']);
    expect(frames.find((f) => f.keyframe && f.codec === 'h264')!.data).toEqual(h264Key());
    expect(d.stats).toMatchObject({ pat: 1, pmt: 1, pes: 5, ccErrors: 0, resyncs: 0, bufferedBytes: 0 });
    expect(d.codecs).toEqual({ video: 'h264', audio: 'aac' });
  });

  test('byte by byte gives the same frames', () => {
    const { packets } = program();
    const all = concat(packets);
    const { frames } = run(Array.from(all, (b) => Uint8Array.of(b)));
    expect(frames).toHaveLength(5);
  });

  test('H.265 (stream_type 0x24)', () => {
    const { packets } = program(0x24);
    expect(run(packets).frames.find((f) => f.codec !== 'aac')!.codec).toBe('h265');
  });

  test('a lost packet (continuity jump) drops that PES; video resumes at the next keyframe', () => {
    const ccs = new Map<number, { n: number }>();
    const p1 = tsPes(0x100, 0xe0, h264P(2000), 3600, new Map([[0x100, { n: 0 }]]));
    const packets = [...tsHead(0x1b, 0x0f, ccs), ...tsPes(0x100, 0xe0, h264Key(), 0, ccs)];
    ccs.get(0x100)!.n += p1.length;
    const lost = tsPes(0x100, 0xe0, h264P(2000), 3600, new Map([[0x100, { n: ccs.get(0x100)!.n - p1.length }]]));
    packets.push(...lost.filter((_, i) => i !== 3));
    packets.push(...tsPes(0x100, 0xe0, h264P(), 7200, ccs), ...tsPes(0x100, 0xe0, h264Key(), 10800, ccs));
    const { frames, d } = run(packets);
    expect(summary(frames)).toEqual(['h264@0*', 'h264@10800*']);
    expect(d.stats.ccErrors).toBe(1);
  });

  test('a repeated packet (same continuity_counter) is skipped', () => {
    const { packets } = program();
    const dup = [...packets.slice(0, 4), packets[3]!, ...packets.slice(4)];
    const { frames, d } = run(dup);
    expect(frames).toHaveLength(5);
    expect(d.stats).toMatchObject({ duplicatePackets: 1, ccErrors: 0 });
  });

  test('garbage before and between packets: realigned at the next sync byte, counted', () => {
    const { packets } = program();
    const junk = filler(100, 3).map((b) => (b === 0x47 ? 0x46 : b));
    const { frames, d } = run([concat([junk, ...packets.slice(0, 5), junk, ...packets.slice(5)])]);
    expect(frames).toHaveLength(5);
    expect(d.stats.resyncs).toBe(2);
    expect(d.stats.droppedBytes).toBe(200);
  });

  test('unknown stream types are counted, not delivered', () => {
    const ccs = new Map<number, { n: number }>();
    const packets = [
      ...tsPackets(0, psi(patSection([[1, 0x1000]])), { n: 0 }),
      ...tsPackets(0x1000, psi(pmtSection(1, 0x100, [[0x1b, 0x100], [0x06, 0x102], [0x1b, 0x103]])), { n: 0 }),
      ...tsPes(0x102, 0xbd, filler(300), 0, ccs),
      ...tsPes(0x100, 0xe0, h264Key(), 0, ccs),
    ];
    const { frames, d } = run(packets);
    expect(frames.map((f) => f.codec)).toEqual(['h264']);
    expect(d.stats.unknownStreams).toBe(2);
  });

  test('a PMT spanning two packets', () => {
    const longInfo = filler(300);
    const ccs = new Map<number, { n: number }>();
    const packets = [
      ...tsPackets(0, psi(patSection([[1, 0x1000]])), { n: 0 }),
      ...tsPackets(0x1000, psi(pmtSection(1, 0x100, [[0x1b, 0x100, longInfo]])), { n: 0 }),
      ...tsPes(0x100, 0xe0, h264Key(), 0, ccs),
    ];
    expect(packets.length).toBeGreaterThan(3);
    const { frames, d } = run(packets);
    expect(d.stats.pmt).toBe(1);
    expect(frames).toHaveLength(1);
  });

  test('a PAT with a bad CRC is ignored until a good one', () => {
    const bad = tsPackets(0, psi(goodPat.map((b, i) => (i === 8 ? b ^ 1 : b))), { n: 0 });
    const ccs = new Map<number, { n: number }>([[0, { n: 1 }]]);
    const { frames, d } = run([...bad, ...tsPes(0x100, 0xe0, h264Key(), 0, new Map()), ...tsHead(0x1b, 0x0f, ccs), ...tsPes(0x100, 0xe0, h264Key(), 3600, new Map())]);
    expect(d.stats.badSections).toBe(1);
    expect(summary(frames)).toEqual(['h264@3600*']);
  });
});
