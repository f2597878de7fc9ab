import { ByteReader } from '@sluice/codec';
import { ByteWriter } from './byte-writer.js';
import { RtmpError } from './errors.js';

// Specification: Adobe RTMP 1.0, section 5.4 "Protocol Control Messages".
// Each payload is one or two big-endian fields; they travel on chunk stream 2,
// message stream 0.

/** Chunk size both sides start with (section 5.4.1). */
export const DEFAULT_CHUNK_SIZE = 128;

/**
 * Section 5.4.1: "Valid sizes are 1 to 2147483647 (0x7FFFFFFF) inclusive"; the first bit
 * must be zero.
 */
export const MAX_CHUNK_SIZE = 0x7fffffff;

export type PeerBandwidthLimit = 'hard' | 'soft' | 'dynamic';
const LIMIT_TYPES: readonly PeerBandwidthLimit[] = ['hard', 'soft', 'dynamic'];

function u32Payload(payload: Uint8Array, what: string): number {
  const r = new ByteReader(payload);
  if (r.remaining < 4) throw new RtmpError('PROTOCOL', `${what}: payload of ${r.remaining} bytes, need 4`);
  return r.u32();
}

/** Section 5.4.1 Set Chunk Size (1). */
export function parseSetChunkSize(payload: Uint8Array): number {
  const size = u32Payload(payload, 'Set Chunk Size');
  if (size === 0 || size > MAX_CHUNK_SIZE) {
    throw new RtmpError('PROTOCOL', `Set Chunk Size: invalid size ${size}`);
  }
  return size;
}

/** Section 5.4.2 Abort Message (2): the chunk stream id whose partial message to drop. */
export function parseAbort(payload: Uint8Array): number {
  return u32Payload(payload, 'Abort');
}

/** Section 5.4.3 Acknowledgement (3): sequence number = bytes received so far. */
export function parseAcknowledgement(payload: Uint8Array): number {
  return u32Payload(payload, 'Acknowledgement');
}

/** Section 5.4.4 Window Acknowledgement Size (5). */
export function parseWindowAckSize(payload: Uint8Array): number {
  return u32Payload(payload, 'Window Acknowledgement Size');
}

/** Section 5.4.5 Set Peer Bandwidth (6): window size + limit type. */
export function parseSetPeerBandwidth(payload: Uint8Array): { size: number; limit: PeerBandwidthLimit } {
  const r = new ByteReader(payload);
  if (r.remaining < 5) throw new RtmpError('PROTOCOL', `Set Peer Bandwidth: payload of ${r.remaining} bytes, need 5`);
  const size = r.u32();
  const limit = LIMIT_TYPES[r.u8()];
  if (limit === undefined) throw new RtmpError('PROTOCOL', 'Set Peer Bandwidth: unknown limit type');
  return { size, limit };
}

function u32Message(v: number): Uint8Array {
  return new ByteWriter(4).u32(v >>> 0).finish();
}

export function encodeSetChunkSize(size: number): Uint8Array {
  if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) throw new RangeError(`invalid chunk size ${size}`);
  return u32Message(size);
}

export function encodeAbort(csid: number): Uint8Array {
  return u32Message(csid);
}

/** `sequence` is taken modulo 2^32, as the field is 32 bits. */
export function encodeAcknowledgement(sequence: number): Uint8Array {
  return u32Message(sequence % 0x1_0000_0000);
}

export function encodeWindowAckSize(size: number): Uint8Array {
  return u32Message(size);
}

export function encodeSetPeerBandwidth(size: number, limit: PeerBandwidthLimit): Uint8Array {
  return new ByteWriter(5).u32(size >>> 0).u8(LIMIT_TYPES.indexOf(limit)).finish();
}
