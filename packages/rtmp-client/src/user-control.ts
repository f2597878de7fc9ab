import { ByteReader } from '@sluice/codec';
import { ByteWriter } from './byte-writer.js';
import { RtmpError } from './errors.js';

// Specification: Adobe RTMP 1.0, section 7.1.7 "User Control Message Events"
// (message type 4, message stream 0):
//
//  +------------------+--------------------------+
//  | Event Type (u16) | Event Data (4 or 8 bytes) |
//  +------------------+--------------------------+

export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;

export type UserControl =
  | { readonly type: 'stream-begin' | 'stream-eof' | 'stream-dry' | 'stream-is-recorded'; readonly streamId: number }
  | { readonly type: 'set-buffer-length'; readonly streamId: number; readonly bufferMs: number }
  | { readonly type: 'ping-request' | 'ping-response'; readonly timestamp: number }
  /** Events outside the spec (e.g. Flash's SWF verification 0x1a, buffer empty 0x1f). */
  | { readonly type: 'unknown'; readonly eventType: number };

const STREAM_EVENTS = {
  [UserControlEvent.StreamBegin]: 'stream-begin',
  [UserControlEvent.StreamEof]: 'stream-eof',
  [UserControlEvent.StreamDry]: 'stream-dry',
  [UserControlEvent.StreamIsRecorded]: 'stream-is-recorded',
} as const;

export function parseUserControl(payload: Uint8Array): UserControl {
  const r = new ByteReader(payload);
  if (r.remaining < 2) throw new RtmpError('PROTOCOL', 'User Control: payload shorter than its event type');
  const eventType = r.u16();
  const need = (n: number): void => {
    if (r.remaining < n) throw new RtmpError('PROTOCOL', `User Control event ${eventType}: ${r.remaining} data bytes, need ${n}`);
  };
  switch (eventType) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEof:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      need(4);
      return { type: STREAM_EVENTS[eventType], streamId: r.u32() };
    case UserControlEvent.SetBufferLength: {
      need(8);
      const streamId = r.u32();
      return { type: 'set-buffer-length', streamId, bufferMs: r.u32() };
    }
    case UserControlEvent.PingRequest:
      need(4);
      return { type: 'ping-request', timestamp: r.u32() };
    case UserControlEvent.PingResponse:
      need(4);
      return { type: 'ping-response', timestamp: r.u32() };
    default:
      return { type: 'unknown', eventType };
  }
}

export function encodeSetBufferLength(streamId: number, bufferMs: number): Uint8Array {
  return new ByteWriter(10).u16(UserControlEvent.SetBufferLength).u32(streamId).u32(bufferMs).finish();
}

/** The answer to a PingRequest echoes its timestamp. */
export function encodePingResponse(timestamp: number): Uint8Array {
  return new ByteWriter(6).u16(UserControlEvent.PingResponse).u32(timestamp >>> 0).finish();
}

export function encodePingRequest(timestamp: number): Uint8Array {
  return new ByteWriter(6).u16(UserControlEvent.PingRequest).u32(timestamp >>> 0).finish();
}

export function encodeStreamEvent(
  type: 'stream-begin' | 'stream-eof' | 'stream-dry' | 'stream-is-recorded',
  streamId: number,
): Uint8Array {
  const code = { 'stream-begin': 0, 'stream-eof': 1, 'stream-dry': 2, 'stream-is-recorded': 4 }[type];
  return new ByteWriter(6).u16(code).u32(streamId).finish();
}
