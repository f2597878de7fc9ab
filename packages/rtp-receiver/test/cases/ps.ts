/**
 * Program stream case tables {name, bytes, decoded}, hand-built field by field in the
 * layout of ISO/IEC 13818-1 (2.5.3.3 pack header, 2.5.3.5 system header, 2.5.4.1
 * program stream map, 2.4.3.6 PES) and ISO/IEC 11172-1 (MPEG-1 pack and packet).
 * Shared by the decode tests and the fuzzer.
 */
import type { PackHeader, PesHeader, ProgramStreamMap, SystemHeader } from '../../src/index.js';
import { bin, bits, concat } from '../helpers.js';

const START = (id: number) => '00000000 00000000 00000001 ' + bin(id, 8);

/** An MPEG-2 SCR field: '01' SCR[32..30] 1 SCR[29..15] 1 SCR[14..0] 1 ext 1. */
function scr2(base: number, ext: number): string {
  return `01 ${bin(Math.floor(base / 2 ** 30), 3)} 1 ${bin(Math.floor(base / 2 ** 15) % 2 ** 15, 15)} 1 ${bin(base % 2 ** 15, 15)} 1 ${bin(ext, 9)} 1`;
}
/** A PTS/DTS field: prefix TS[32..30] 1 TS[29..15] 1 TS[14..0] 1. */
export function tsField(prefix: string, ts: number): string {
  return `${prefix} ${bin(Math.floor(ts / 2 ** 30), 3)} 1 ${bin(Math.floor(ts / 2 ** 15) % 2 ** 15, 15)} 1 ${bin(ts % 2 ** 15, 15)} 1`;
}

export interface Case<T> {
  name: string;
  bytes: Uint8Array;
  decoded: T;
}
export interface BadCase {
  name: string;
  bytes: Uint8Array;
}

export const packHeaderCases: Case<PackHeader>[] = [
  {
    name: 'MPEG-2, SCR 0, no stuffing',
    bytes: bits(`${START(0xba)} ${scr2(0, 0)} | ${bin(6106, 22)} 11 | 11111 000`),
    decoded: { mpeg1: false, scrBase: 0, scrExtension: 0, muxRate: 6106, length: 14 },
  },
  {
    name: 'MPEG-2, largest SCR, extension 299, 3 stuffing bytes',
    bytes: bits(`${START(0xba)} ${scr2(2 ** 33 - 1, 299)} | ${bin(2 ** 22 - 1, 22)} 11 | 11111 011 | 11111111 11111111 11111111`),
    decoded: { mpeg1: false, scrBase: 2 ** 33 - 1, scrExtension: 299, muxRate: 2 ** 22 - 1, length: 17 },
  },
  {
    name: 'MPEG-1 pack header (11172-1 2.4.3.2)',
    bytes: bits(`${START(0xba)} ${tsField('0010', 90000)} | 1 ${bin(2000, 22)} 1`),
    decoded: { mpeg1: true, scrBase: 90000, scrExtension: 0, muxRate: 2000, length: 12 },
  },
];

export const badPackHeaderCases: BadCase[] = [
  { name: "neither '01' nor '0010'", bytes: bits(`${START(0xba)} 11 000 1 ${bin(0, 15)} 1 ${bin(0, 15)} 1 ${bin(0, 9)} 1 ${bin(1, 22)} 11 11111 000`) },
  { name: 'cut after 13 bytes', bytes: bits(`${START(0xba)} ${scr2(0, 0)} | ${bin(6106, 22)} 11`).subarray(0, 13) },
  { name: 'stuffing cut', bytes: bits(`${START(0xba)} ${scr2(0, 0)} | ${bin(6106, 22)} 11 | 11111 111 | 11111111`) },
  { name: 'not a pack start code', bytes: bits(`${START(0xbb)} ${scr2(0, 0)} | ${bin(6106, 22)} 11 | 11111 000`) },
];

export const systemHeaderCases: Case<SystemHeader>[] = [
  {
    name: 'video 0xE0 and audio 0xC0',
    bytes: bits(
      `${START(0xbb)} ${bin(12, 16)} | 1 ${bin(6106, 22)} 1 | ${bin(1, 6)} 0 0 | 1 1 1 ${bin(1, 5)} | 0 1111111` +
        ` | 11100000 11 1 ${bin(1024, 13)} | 11000000 11 0 ${bin(32, 13)}`,
    ),
    decoded: {
      rateBound: 6106, audioBound: 1, videoBound: 1, length: 18,
      streams: [{ streamId: 0xe0, bufferBoundScale: 1, bufferSizeBound: 1024 }, { streamId: 0xc0, bufferBoundScale: 0, bufferSizeBound: 32 }],
    },
  },
  {
    name: 'no stream entries',
    bytes: bits(`${START(0xbb)} ${bin(6, 16)} | 1 ${bin(1, 22)} 1 | ${bin(0, 6)} 0 0 | 1 1 1 ${bin(0, 5)} | 0 1111111`),
    decoded: { rateBound: 1, audioBound: 0, videoBound: 0, length: 12, streams: [] },
  },
];

export const badSystemHeaderCases: BadCase[] = [
  { name: 'header_length shorter than the fixed fields', bytes: bits(`${START(0xbb)} ${bin(5, 16)} 11111111 11111111 11111111 11111111 11111111`) },
  { name: 'header_length past the end', bytes: bits(`${START(0xbb)} ${bin(12, 16)} | 1 ${bin(1, 22)} 1 | ${bin(0, 6)} 0 0 | 1 1 1 ${bin(0, 5)} | 0 1111111`) },
];

/** A PSM body: version, info descriptors, entries; the 4 CRC bytes are arbitrary (not checked). */
function psm(version: number, info: string, entries: Array<[number, number, string]>): Uint8Array {
  const infoBits = info.replace(/\s/g, '');
  const es = entries.map(([t, id, d]) => `${bin(t, 8)} ${bin(id, 8)} ${bin(d.replace(/\s/g, '').length / 8, 16)} ${d}`).join(' ');
  const esLength = entries.reduce((n, [, , d]) => n + 4 + d.replace(/\s/g, '').length / 8, 0);
  const mapLength = 2 + 2 + infoBits.length / 8 + 2 + esLength + 4;
  return bits(
    `${START(0xbc)} ${bin(mapLength, 16)} | 1 0 1 ${bin(version, 5)} | 1111111 1 | ${bin(infoBits.length / 8, 16)} ${info} | ${bin(esLength, 16)} ${es} | ${bin(0xdeadbeef, 32)}`,
  );
}

export const psmCases: Case<ProgramStreamMap>[] = [
  {
    name: 'H.264 + G.711A (GB28181 0x90)',
    bytes: psm(0, '', [[0x1b, 0xe0, ''], [0x90, 0xc0, '']]),
    decoded: {
      currentNextIndicator: true, version: 0, length: 6 + 18,
      streams: [{ streamType: 0x1b, elementaryStreamId: 0xe0, info: new Uint8Array(0) }, { streamType: 0x90, elementaryStreamId: 0xc0, info: new Uint8Array(0) }],
    },
  },
  {
    name: 'H.265 + AAC, version 5, with descriptors (Hikvision-style)',
    bytes: psm(5, '01000000 00001110 11111111 11111111', [[0x24, 0xe0, '01000010 00000010 00000001 00000010'], [0x0f, 0xc0, '']]),
    decoded: {
      currentNextIndicator: true, version: 5, length: 6 + 26,
      streams: [
        { streamType: 0x24, elementaryStreamId: 0xe0, info: Uint8Array.of(0x42, 2, 1, 2) },
        { streamType: 0x0f, elementaryStreamId: 0xc0, info: new Uint8Array(0) },
      ],
    },
  },
  {
    name: 'MPEG-4 Visual (0x10) + G.711U (0x91)',
    bytes: psm(1, '', [[0x10, 0xe0, ''], [0x91, 0xc0, '']]),
    decoded: {
      currentNextIndicator: true, version: 1, length: 6 + 18,
      streams: [{ streamType: 0x10, elementaryStreamId: 0xe0, info: new Uint8Array(0) }, { streamType: 0x91, elementaryStreamId: 0xc0, info: new Uint8Array(0) }],
    },
  },
];

export const badPsmCases: BadCase[] = [
  { name: 'program_stream_map_length over 0x3FA', bytes: concat([bits(`${START(0xbc)} ${bin(0x3fb, 16)}`), new Uint8Array(0x3fb)]) },
  { name: 'map cut short', bytes: psm(0, '', [[0x1b, 0xe0, '']]).subarray(0, 12) },
  {
    name: 'elementary_stream_map_length past the map',
    bytes: bits(`${START(0xbc)} ${bin(10, 16)} | 1 0 1 00000 | 11111111 | ${bin(0, 16)} | ${bin(40, 16)} ${bin(0x1b, 8)} ${bin(0xe0, 8)}`),
  },
  {
    name: 'elementary_stream_info_length past the map',
    bytes: psm(0, '', [[0x1b, 0xe0, '']]).map((b, i) => (i === 14 ? 0x7f : b)),
  },
];

const pesFlags = (ptsDts: string, headerDataLength: number) => `10 00 0 1 0 0 | ${ptsDts} 0 0 0 0 0 0 | ${bin(headerDataLength, 8)}`;

export const pesCases: Case<PesHeader>[] = [
  {
    name: 'video, PTS only',
    bytes: bits(`${START(0xe0)} ${bin(3 + 5 + 4, 16)} | ${pesFlags('10', 5)} | ${tsField('0010', 123456789)} | ${bin(0x00000001, 32)}`),
    decoded: { streamId: 0xe0, packetLength: 12, pts: 123456789, payloadOffset: 14, mpeg1: false },
  },
  {
    name: 'video, PTS and DTS, largest 33-bit values',
    bytes: bits(`${START(0xe0)} ${bin(3 + 10, 16)} | ${pesFlags('11', 10)} | ${tsField('0011', 2 ** 33 - 1)} | ${tsField('0001', 2 ** 33 - 3600)}`),
    decoded: { streamId: 0xe0, packetLength: 13, pts: 2 ** 33 - 1, dts: 2 ** 33 - 3600, payloadOffset: 19, mpeg1: false },
  },
  {
    name: 'continuation: no PTS, PES_packet_length 0 (video)',
    bytes: bits(`${START(0xe1)} ${bin(0, 16)} | ${pesFlags('00', 0)}`),
    decoded: { streamId: 0xe1, packetLength: 0, payloadOffset: 9, mpeg1: false },
  },
  {
    name: 'audio, PTS and 3 stuffing bytes in the header',
    bytes: bits(`${START(0xc0)} ${bin(3 + 8 + 2, 16)} | ${pesFlags('10', 8)} | ${tsField('0010', 90000)} | 11111111 11111111 11111111 | 11111111 11110001`),
    decoded: { streamId: 0xc0, packetLength: 13, pts: 90000, payloadOffset: 17, mpeg1: false },
  },
  {
    name: 'padding stream: no optional header',
    bytes: bits(`${START(0xbe)} ${bin(4, 16)} | 11111111 11111111 11111111 11111111`),
    decoded: { streamId: 0xbe, packetLength: 4, payloadOffset: 6, mpeg1: false },
  },
  {
    name: 'MPEG-1 packet: stuffing, STD buffer, PTS (11172-1 2.4.3.3)',
    bytes: bits(`${START(0xe0)} ${bin(2 + 2 + 5 + 1, 16)} | 11111111 11111111 | 01 1 ${bin(46, 13)} | ${tsField('0010', 3600)} | 00000000`),
    decoded: { streamId: 0xe0, packetLength: 10, pts: 3600, payloadOffset: 15, mpeg1: true },
  },
  {
    name: 'MPEG-1 packet: PTS and DTS',
    bytes: bits(`${START(0xc0)} ${bin(10, 16)} | ${tsField('0011', 7200)} | ${tsField('0001', 3600)}`),
    decoded: { streamId: 0xc0, packetLength: 10, pts: 7200, dts: 3600, payloadOffset: 16, mpeg1: true },
  },
  {
    name: "MPEG-1 packet without timestamps ('00001111')",
    bytes: bits(`${START(0xc0)} ${bin(2, 16)} | 00001111 | 10101010`),
    decoded: { streamId: 0xc0, packetLength: 2, payloadOffset: 7, mpeg1: true },
  },
];

export const badPesCases: BadCase[] = [
  { name: 'PTS_DTS_flags 01 (forbidden)', bytes: bits(`${START(0xe0)} ${bin(0, 16)} | ${pesFlags('01', 5)} | ${tsField('0001', 1)}`) },
  { name: 'PES_header_data_length too short for the PTS', bytes: bits(`${START(0xe0)} ${bin(0, 16)} | ${pesFlags('10', 3)} | ${tsField('0010', 1)}`) },
  { name: 'header longer than PES_packet_length', bytes: bits(`${START(0xe0)} ${bin(4, 16)} | ${pesFlags('10', 5)} | ${tsField('0010', 1)}`) },
  { name: 'header data cut', bytes: bits(`${START(0xe0)} ${bin(0, 16)} | ${pesFlags('10', 5)} | 00100001 00000000`) },
  { name: 'MPEG-1 with 17 stuffing bytes', bytes: bits(`${START(0xe0)} ${bin(0, 16)} ${'11111111 '.repeat(17)} 00001111`) },
  { name: 'MPEG-1 header byte that is no timestamp', bytes: bits(`${START(0xc0)} ${bin(0, 16)} | 01000000 00000000 | 01010000`) },
  { name: 'not a PES stream_id (pack start code)', bytes: bits(`${START(0xba)} ${bin(0, 16)} | ${pesFlags('00', 0)}`) },
  { name: 'no start code prefix', bytes: bits(`00000000 00000000 00000010 11100000 ${bin(0, 16)} | ${pesFlags('00', 0)}`) },
];
