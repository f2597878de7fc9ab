/**
 * RTP header case tables {name, bytes, decoded}: shared by the decode test, the
 * encode test (where the case round-trips) and the fuzzer (as seeds).
 */
import type { RtpPacket } from '../../src/index.js';

export interface RtpCase {
  name: string;
  bytes: Uint8Array;
  decoded: RtpPacket;
  /** serializeRtpPacket(decoded) gives `bytes` back (false when the wire form has padding). */
  roundTrips: boolean;
}

const b = (...x: number[]) => Uint8Array.from(x);

export const rtpCases: RtpCase[] = [
  {
    name: 'minimal header, empty payload',
    bytes: b(0x80, 0x60, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x03),
    decoded: { version: 2, padding: false, marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [], payload: b() },
    roundTrips: true,
  },
  {
    name: 'marker, payload type 33, max sequence, timestamp and SSRC above 2^31',
    bytes: b(0x80, 0xa1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x80, 0x00, 0x00, 0x01, 0x47, 0x00),
    decoded: { version: 2, padding: false, marker: true, payloadType: 33, sequenceNumber: 65535, timestamp: 0xfffffffe, ssrc: 0x80000001, csrcs: [], payload: b(0x47, 0x00) },
    roundTrips: true,
  },
  {
    name: 'two CSRCs',
    bytes: b(0x82, 0x08, 0x12, 0x34, 0, 0, 0x03, 0xe8, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xaa),
    decoded: { version: 2, padding: false, marker: false, payloadType: 8, sequenceNumber: 0x1234, timestamp: 1000, ssrc: 0xdeadbeef, csrcs: [1, 0xffffffff], payload: b(0xaa) },
    roundTrips: true,
  },
  {
    name: 'header extension of one word (RFC 5285 one-byte profile 0xBEDE)',
    bytes: b(0x90, 0x60, 0, 5, 0, 0, 0, 9, 0, 0, 0, 7, 0xbe, 0xde, 0x00, 0x01, 0x10, 0xff, 0x00, 0x00, 0x01, 0x02),
    decoded: {
      version: 2, padding: false, marker: false, payloadType: 96, sequenceNumber: 5, timestamp: 9, ssrc: 7, csrcs: [],
      extension: { profile: 0xbede, data: b(0x10, 0xff, 0x00, 0x00) }, payload: b(0x01, 0x02),
    },
    roundTrips: true,
  },
  {
    name: 'empty header extension with a CSRC',
    bytes: b(0x91, 0x60, 0, 5, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0, 0x2a, 0x10, 0x00, 0x00, 0x00, 0x55),
    decoded: { version: 2, padding: false, marker: false, payloadType: 96, sequenceNumber: 5, timestamp: 9, ssrc: 7, csrcs: [42], extension: { profile: 0x1000, data: b() }, payload: b(0x55) },
    roundTrips: true,
  },
  {
    name: 'padding of 3 bytes removed from the payload',
    bytes: b(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 0x22, 0, 0, 3),
    decoded: { version: 2, padding: true, marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1, csrcs: [], payload: b(0x11, 0x22) },
    roundTrips: false,
  },
  {
    name: 'padding that fills the whole payload',
    bytes: b(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4),
    decoded: { version: 2, padding: true, marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1, csrcs: [], payload: b() },
    roundTrips: false,
  },
];

export interface BadRtpCase {
  name: string;
  bytes: Uint8Array;
}

export const badRtpCases: BadRtpCase[] = [
  { name: 'empty', bytes: b() },
  { name: 'truncated fixed header (11 bytes)', bytes: b(0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0) },
  { name: 'version 0', bytes: b(0x00, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1) },
  { name: 'version 1', bytes: b(0x40, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1) },
  { name: 'version 3', bytes: b(0xc0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1) },
  { name: 'CSRC count past the end', bytes: b(0x83, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0) },
  { name: 'extension header cut', bytes: b(0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde) },
  { name: 'extension length past the end', bytes: b(0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 2, 1, 2, 3, 4) },
  { name: 'padding bit with nothing after the header', bytes: b(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1) },
  { name: 'padding count 0', bytes: b(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 0) },
  { name: 'padding longer than the payload', bytes: b(0xa0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x11, 3) },
];
