/**
 * Depacketizer case tables: RTP packets (payload, sequence number, timestamp,
 * marker) in arrival order → the frames they decode to and the counters after.
 * Shared by depacketizers.test.ts and fuzz.test.ts (the packets are fuzz seeds).
 * Frames are written as hex strings so a failing case reads like the spec's diagrams.
 */
import type { DepacketizerCounters, RtpPayloadPacket } from '../../src/index.js';
import { hex } from '../helpers/bytes.js';

export interface DecodedFrame {
  readonly timestamp: number;
  /** Video: NAL units as hex. */
  readonly nalus?: string[];
  /** Audio: the frame as hex. */
  readonly data?: string;
}

export interface DepacketizerCase {
  readonly name: string;
  /** Packets in arrival order. */
  readonly bytes: RtpPayloadPacket[];
  /** Frames from push() for every packet, then flush(). */
  readonly decoded: DecodedFrame[];
  readonly counters: Partial<DepacketizerCounters>;
}

export function pkt(sequenceNumber: number, timestamp: number, marker: boolean, payload: string | Uint8Array): RtpPayloadPacket {
  return { sequenceNumber, timestamp, marker, payload: typeof payload === 'string' ? hex(payload) : payload };
}

// H.264 NAL units used below (header byte first): SPS 0x67, PPS 0x68, SEI 0x06, IDR 0x65, non-IDR 0x41.
const SPS = '67 42 c0 1e d9 00';
const PPS = '68 ce 3c 80';
const SEI = '06 05 01 ff 80';

// RFC 6184 section 5.6 / 5.7.1 / 5.8.
export const h264Cases: DepacketizerCase[] = [
  {
    name: 'single NAL unit packet with the marker: one access unit',
    bytes: [pkt(1, 3000, true, '65 88 84 00 33')],
    decoded: [{ timestamp: 3000, nalus: ['65 88 84 00 33'] }],
    counters: { packets: 1, badPackets: 0, droppedFrames: 0 },
  },
  {
    name: 'STAP-A with SPS, PPS and SEI, then the IDR slice: one access unit of four NAL units',
    bytes: [
      pkt(10, 9000, false, `78 00 06 ${SPS} 00 04 ${PPS} 00 05 ${SEI}`),
      pkt(11, 9000, true, '65 88 80 40'),
    ],
    decoded: [{ timestamp: 9000, nalus: [SPS, PPS, SEI, '65 88 80 40'] }],
    counters: { packets: 2, droppedFrames: 0 },
  },
  {
    name: 'FU-A start, middle, end: the NAL header is rebuilt from indicator F|NRI and header type',
    bytes: [
      // FU indicator 0x7c (NRI 3, type 28), FU header S|type 5 = 0x85, middle 0x05, E|type 5 = 0x45
      pkt(100, 18000, false, '7c 85 aa aa'),
      pkt(101, 18000, false, '7c 05 bb bb'),
      pkt(102, 18000, true, '7c 45 cc'),
    ],
    decoded: [{ timestamp: 18000, nalus: ['65 aa aa bb bb cc'] }],
    counters: { packets: 3, droppedFrames: 0 },
  },
  {
    name: 'two slices of one picture, each fragmented, and an access unit ended by the marker',
    bytes: [
      pkt(7, 1000, false, '5c 81 01 02'), // NRI 2, non-IDR slice (type 1) start
      pkt(8, 1000, false, '5c 41 03'),
      pkt(9, 1000, false, '5c 81 04'),
      pkt(10, 1000, true, '5c 41 05 06'),
    ],
    decoded: [{ timestamp: 1000, nalus: ['41 01 02 03', '41 04 05 06'] }],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'FU-A whose start was lost (first packet seen is a middle): the access unit is dropped and counted',
    bytes: [pkt(50, 3000, false, '7c 05 bb'), pkt(51, 3000, true, '7c 45 cc'), pkt(52, 6000, true, '41 9a 00')],
    decoded: [{ timestamp: 6000, nalus: ['41 9a 00'] }],
    counters: { packets: 3, droppedFrames: 1, badPackets: 0 },
  },
  {
    name: 'FU-A whose middle was lost (sequence gap): dropped, the next access unit comes through',
    bytes: [pkt(20, 3000, false, '7c 85 aa'), pkt(22, 3000, true, '7c 45 cc'), pkt(23, 6000, true, '41 9a 01')],
    decoded: [{ timestamp: 6000, nalus: ['41 9a 01'] }],
    counters: { droppedFrames: 1 },
  },
  {
    name: 'FU-A whose end (with the marker) was lost: that access unit and the one after the gap are dropped',
    bytes: [
      pkt(30, 3000, false, '7c 85 aa'),
      pkt(31, 3000, false, '7c 05 bb'),
      // 32 (end, marker) lost
      pkt(33, 6000, true, '41 9a 02'), // may have lost its first packets: dropped too
      pkt(34, 9000, true, '41 9a 03'),
    ],
    decoded: [{ timestamp: 9000, nalus: ['41 9a 03'] }],
    counters: { droppedFrames: 2 },
  },
  {
    name: 'FU-A interrupted by a new NAL unit without a gap (broken sender): dropped',
    bytes: [pkt(40, 3000, false, '7c 85 aa'), pkt(41, 3000, true, '41 9a 04'), pkt(42, 6000, true, '41 9a 05')],
    decoded: [{ timestamp: 6000, nalus: ['41 9a 05'] }],
    counters: { droppedFrames: 1, badPackets: 0 },
  },
  {
    name: 'a camera that never sets the marker: access units end when the timestamp changes, flush ends the last',
    bytes: [pkt(1, 3000, false, '65 01'), pkt(2, 3000, false, '65 02'), pkt(3, 6000, false, '41 03')],
    decoded: [
      { timestamp: 3000, nalus: ['65 01', '65 02'] },
      { timestamp: 6000, nalus: ['41 03'] },
    ],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'sequence numbers wrapping 65535 → 0 are not a gap',
    bytes: [pkt(65535, 3000, false, '7c 85 aa'), pkt(0, 3000, true, '7c 45 bb')],
    decoded: [{ timestamp: 3000, nalus: ['65 aa bb'] }],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'STAP-A whose NAL unit size runs past the packet: bad packet, access unit dropped',
    bytes: [pkt(5, 3000, true, `78 00 06 ${SPS} 00 20 68 ce`), pkt(6, 6000, true, '41 01')],
    decoded: [{ timestamp: 6000, nalus: ['41 01'] }],
    counters: { badPackets: 1, droppedFrames: 1 },
  },
  {
    name: 'an empty payload and an FU-A of one byte are bad packets',
    bytes: [pkt(1, 3000, false, ''), pkt(2, 3000, true, '7c'), pkt(3, 6000, true, '41 02')],
    decoded: [{ timestamp: 6000, nalus: ['41 02'] }],
    counters: { badPackets: 2, droppedFrames: 1 },
  },
  {
    name: 'interleaved-mode packets (STAP-B 25, MTAP16 26, FU-B 29) and reserved type 30 are bad packets',
    bytes: [pkt(1, 3000, true, '79 00 01 00 02 41 01'), pkt(2, 6000, true, '7a 00'), pkt(3, 9000, true, '7d 85 00'), pkt(4, 12000, true, '7e 00')],
    decoded: [],
    counters: { badPackets: 4, droppedFrames: 4 },
  },
];

// H.265 NAL units (2-byte headers): VPS 0x40 0x01, SPS 0x42 0x01, PPS 0x44 0x01, IDR_W_RADL 0x26 0x01, TRAIL_R 0x02 0x01.
const VPS = '40 01 0c 01 ff ff';
const HSPS = '42 01 01 01 60 00';
const HPPS = '44 01 c1 72';

// RFC 7798 section 4.4.1 - 4.4.3.
export const h265Cases: DepacketizerCase[] = [
  {
    name: 'single NAL unit packet',
    bytes: [pkt(1, 3000, true, '02 01 d0 10 20')],
    decoded: [{ timestamp: 3000, nalus: ['02 01 d0 10 20'] }],
    counters: { packets: 1, droppedFrames: 0, badPackets: 0 },
  },
  {
    name: 'AP with VPS, SPS, PPS then an IDR slice',
    bytes: [pkt(1, 3000, false, `60 01 00 06 ${VPS} 00 06 ${HSPS} 00 04 ${HPPS}`), pkt(2, 3000, true, '26 01 af 00')],
    decoded: [{ timestamp: 3000, nalus: [VPS, HSPS, HPPS, '26 01 af 00']}],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'FU start, middle, end: the header is rebuilt with FuType (IDR_W_RADL = 19)',
    bytes: [
      // PayloadHdr type 49: 0x62 0x01; FU header S|19 = 0x93, 19 = 0x13, E|19 = 0x53
      pkt(9, 6000, false, '62 01 93 aa aa'),
      pkt(10, 6000, false, '62 01 13 bb'),
      pkt(11, 6000, true, '62 01 53 cc'),
    ],
    decoded: [{ timestamp: 6000, nalus: ['26 01 aa aa bb cc'] }],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'FU whose start was lost: dropped and counted',
    bytes: [pkt(9, 6000, false, '62 01 13 bb'), pkt(10, 6000, true, '62 01 53 cc'), pkt(11, 9000, true, '02 01 d0')],
    decoded: [{ timestamp: 9000, nalus: ['02 01 d0'] }],
    counters: { droppedFrames: 1 },
  },
  {
    name: 'FU whose end was lost: dropped, and the access unit after the gap too',
    bytes: [pkt(1, 6000, false, '62 01 93 aa'), pkt(3, 9000, true, '02 01 d1'), pkt(4, 12000, true, '02 01 d2')],
    decoded: [{ timestamp: 12000, nalus: ['02 01 d2'] }],
    counters: { droppedFrames: 2 },
  },
  {
    name: 'AP with a NAL unit size past the end, PACI (type 50) and the forbidden bit: bad packets',
    bytes: [pkt(1, 3000, true, '60 01 00 09 40 01'), pkt(2, 6000, true, '64 01 00 00'), pkt(3, 9000, true, '82 01 00'), pkt(4, 12000, true, '02')],
    decoded: [],
    counters: { badPackets: 4, droppedFrames: 4 },
  },
];

/** sprop-max-don-diff > 0: DONL after the payload header (single, AP, first FU), DOND between AP units. */
export const h265DonlCases: DepacketizerCase[] = [
  {
    name: 'single NAL unit with DONL',
    bytes: [pkt(1, 3000, true, '02 01 00 07 d0 10')],
    decoded: [{ timestamp: 3000, nalus: ['02 01 d0 10'] }],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'AP with DONL and DOND',
    bytes: [pkt(1, 3000, true, `60 01 00 05 00 06 ${VPS} 00 00 06 ${HSPS}`)],
    decoded: [{ timestamp: 3000, nalus: [VPS, HSPS] }],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'FU with DONL on the first fragment only',
    bytes: [pkt(1, 3000, false, '62 01 93 00 09 aa'), pkt(2, 3000, true, '62 01 53 bb')],
    decoded: [{ timestamp: 3000, nalus: ['26 01 aa bb'] }],
    counters: { droppedFrames: 0 },
  },
];

// RFC 3640 section 3.2 / 3.3.6 (AAC-hbr: sizeLength 13, indexLength 3, indexDeltaLength 3).
// An AU-header is 16 bits: AU-size << 3 | index. AU-headers-length counts bits.
export const aacHbrCases: DepacketizerCase[] = [
  {
    name: 'one AU: AU-headers-length 16, AU-size 4',
    bytes: [pkt(1, 1024, true, '00 10 00 20 21 10 05 00')],
    decoded: [{ timestamp: 1024, data: '21 10 05 00' }],
    counters: { packets: 1, droppedFrames: 0, badPackets: 0 },
  },
  {
    name: 'three AUs in one packet: timestamps advance by 1024 per AU',
    bytes: [pkt(1, 90000, true, '00 30 00 18 00 10 00 20 aa aa aa bb bb cc cc cc cc')],
    decoded: [
      { timestamp: 90000, data: 'aa aa aa' },
      { timestamp: 91024, data: 'bb bb' },
      { timestamp: 92048, data: 'cc cc cc cc' },
    ],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'an AU fragmented over three packets (AU-size 7 in each header, marker on the last)',
    bytes: [
      pkt(5, 2048, false, '00 10 00 38 01 02 03'),
      pkt(6, 2048, false, '00 10 00 38 04 05'),
      pkt(7, 2048, true, '00 10 00 38 06 07'),
    ],
    decoded: [{ timestamp: 2048, data: '01 02 03 04 05 06 07' }],
    counters: { droppedFrames: 0 },
  },
  {
    name: 'a fragmented AU whose middle packet was lost: dropped, the next packet decodes',
    bytes: [
      pkt(5, 2048, false, '00 10 00 38 01 02 03'),
      pkt(7, 2048, true, '00 10 00 38 06 07'),
      pkt(8, 3072, true, '00 10 00 10 0a 0b'),
    ],
    decoded: [{ timestamp: 3072, data: '0a 0b' }],
    counters: { droppedFrames: 1 },
  },
  {
    name: 'a fragmented AU cut short by the marker: dropped',
    bytes: [pkt(5, 2048, false, '00 10 00 38 01 02 03'), pkt(6, 2048, true, '00 10 00 38 04 05')],
    decoded: [],
    counters: { droppedFrames: 1 },
  },
  {
    name: 'AU sizes larger than the data, AU-headers-length past the packet: bad packets, nothing emitted',
    bytes: [pkt(1, 0, true, '00 20 00 20 00 20 aa aa aa aa'), pkt(2, 1024, true, '01 00 00 10'), pkt(3, 2048, true, '')],
    decoded: [],
    counters: { badPackets: 3 },
  },
];

// RFC 3551 section 4.5.14: the payload is the audio.
export const g711Cases: DepacketizerCase[] = [
  {
    name: 'PCMA: each payload is one chunk at the packet timestamp',
    bytes: [pkt(1, 0, true, 'd5 d5 55 55'), pkt(2, 4, false, '54 d4')],
    decoded: [
      { timestamp: 0, data: 'd5 d5 55 55' },
      { timestamp: 4, data: '54 d4' },
    ],
    counters: { packets: 2, badPackets: 0 },
  },
  { name: 'an empty payload is a bad packet', bytes: [pkt(1, 0, true, '')], decoded: [], counters: { badPackets: 1 } },
];
