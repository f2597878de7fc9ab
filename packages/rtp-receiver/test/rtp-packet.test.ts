import { describe, expect, test } from 'vitest';
import { RtpError, parseRtpPacket, rtpPacketByteLength, serializeRtpPacket, writeRtpPacket } from '../src/index.js';
import { badRtpCases, rtpCases } from './cases/rtp-packet.js';

describe('parseRtpPacket (RFC 3550 5.1)', () => {
  test.each(rtpCases)('$name', ({ bytes, decoded }) => {
    const p = parseRtpPacket(bytes);
    expect(p).toEqual(decoded);
    // The payload is a view into the input, not a copy.
    expect(p.payload.buffer).toBe(bytes.buffer);
  });

  test.each(badRtpCases)('rejects $name', ({ bytes }) => {
    expect(() => parseRtpPacket(bytes)).toThrow(RtpError);
    expect(() => parseRtpPacket(bytes)).toThrow(/^BAD_RTP/);
  });
});

describe('serializeRtpPacket', () => {
  test.each(rtpCases.filter((c) => c.roundTrips))('$name', ({ bytes, decoded }) => {
    expect(serializeRtpPacket(decoded)).toEqual(bytes);
    expect(rtpPacketByteLength(decoded)).toBe(bytes.byteLength);
  });

  test('writeTo at an offset', () => {
    const c = rtpCases[2]!;
    const buf = new Uint8Array(c.bytes.byteLength + 5);
    expect(writeRtpPacket(c.decoded, buf, 5)).toBe(c.bytes.byteLength);
    expect(buf.subarray(5)).toEqual(c.bytes);
  });

  const base = { marker: false, payloadType: 96, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: new Uint8Array(0) };
  test.each([
    { name: 'payload type 128', p: { ...base, payloadType: 128 } },
    { name: 'sequence number 65536', p: { ...base, sequenceNumber: 65536 } },
    { name: 'negative timestamp', p: { ...base, timestamp: -1 } },
    { name: 'fractional SSRC', p: { ...base, ssrc: 1.5 } },
    { name: '16 CSRCs', p: { ...base, csrcs: new Array<number>(16).fill(1) } },
    { name: 'extension data of 3 bytes', p: { ...base, extension: { profile: 1, data: new Uint8Array(3) } } },
  ])('rejects $name', ({ p }) => {
    expect(() => serializeRtpPacket(p)).toThrow(/^FIELD_OVERFLOW/);
  });

  test('rejects a buffer too small', () => {
    expect(() => writeRtpPacket(base, new Uint8Array(11))).toThrow(/^FIELD_OVERFLOW/);
  });
});
