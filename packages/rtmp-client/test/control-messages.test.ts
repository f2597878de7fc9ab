import { describe, expect, it } from 'vitest';
import {
  RtmpError,
  encodeAcknowledgement,
  encodePingRequest,
  encodePingResponse,
  encodeSetBufferLength,
  encodeSetChunkSize,
  encodeSetPeerBandwidth,
  encodeStreamEvent,
  encodeWindowAckSize,
  parseAcknowledgement,
  parseSetPeerBandwidth,
  parseUserControl,
  parseWindowAckSize,
  type UserControl,
} from '../src/index.js';
import { hex } from './helpers/bytes.js';

// Specification: RTMP 1.0, sections 5.4 (protocol control) and 7.1.7 (user control events).

describe('protocol control messages', () => {
  it('encodes and parses the fixed-size payloads', () => {
    expect(encodeSetChunkSize(4096)).toEqual(hex('00001000'));
    expect(encodeWindowAckSize(2_500_000)).toEqual(hex('002625a0'));
    expect(parseWindowAckSize(hex('004c4b40'))).toBe(5_000_000);
    expect(encodeAcknowledgement(0x1_0000_0005)).toEqual(hex('00000005'));
    expect(parseAcknowledgement(hex('00000100'))).toBe(256);
    expect(encodeSetPeerBandwidth(5_000_000, 'dynamic')).toEqual(hex('004c4b40 02'));
    expect(parseSetPeerBandwidth(hex('004c4b40 02'))).toEqual({ size: 5_000_000, limit: 'dynamic' });
  });

  it('rejects short or invalid payloads', () => {
    expect(() => parseWindowAckSize(hex('0000'))).toThrow(/payload of 2 bytes, need 4/);
    expect(() => parseSetPeerBandwidth(hex('004c4b40'))).toThrow(RtmpError);
    expect(() => parseSetPeerBandwidth(hex('004c4b40 03'))).toThrow(/unknown limit type/);
  });
});

const userControlCases: { name: string; bytes: Uint8Array; decoded: UserControl }[] = [
  { name: 'StreamBegin', bytes: hex('0000 00000001'), decoded: { type: 'stream-begin', streamId: 1 } },
  { name: 'StreamEOF', bytes: hex('0001 00000001'), decoded: { type: 'stream-eof', streamId: 1 } },
  { name: 'StreamDry', bytes: hex('0002 00000001'), decoded: { type: 'stream-dry', streamId: 1 } },
  { name: 'StreamIsRecorded', bytes: hex('0004 00000001'), decoded: { type: 'stream-is-recorded', streamId: 1 } },
  {
    name: 'SetBufferLength',
    bytes: hex('0003 00000001 00000bb8'),
    decoded: { type: 'set-buffer-length', streamId: 1, bufferMs: 3000 },
  },
  { name: 'PingRequest', bytes: hex('0006 0001e240'), decoded: { type: 'ping-request', timestamp: 123456 } },
  { name: 'PingResponse', bytes: hex('0007 0001e240'), decoded: { type: 'ping-response', timestamp: 123456 } },
];

describe('user control messages', () => {
  it.each(userControlCases)('parses $name', ({ bytes, decoded }) => {
    expect(parseUserControl(bytes)).toEqual(decoded);
  });

  it('encodes what a client sends', () => {
    expect(encodeSetBufferLength(1, 3000)).toEqual(hex('0003 00000001 00000bb8'));
    expect(encodePingResponse(123456)).toEqual(hex('0007 0001e240'));
    expect(encodePingRequest(123456)).toEqual(hex('0006 0001e240'));
    expect(encodeStreamEvent('stream-begin', 1)).toEqual(hex('0000 00000001'));
  });

  it('reports events outside the spec as unknown', () => {
    expect(parseUserControl(hex('001a 00'))).toEqual({ type: 'unknown', eventType: 0x1a });
  });

  it('rejects events shorter than their data', () => {
    expect(() => parseUserControl(hex('00'))).toThrow(/shorter than its event type/);
    expect(() => parseUserControl(hex('0006 0001'))).toThrow(/event 6: 2 data bytes, need 4/);
    expect(() => parseUserControl(hex('0003 00000001'))).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
  });
});
