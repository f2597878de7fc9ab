import { randomFillSync } from 'node:crypto';
import { ByteReader } from '@sluice/codec';
import { RtmpError } from './errors.js';

// Specification: Adobe RTMP 1.0 (rtmp_specification_1.0.pdf), section 5.2 "Handshake".
//
//  client                         server
//    | ---- C0 (1) + C1 (1536) ---> |
//    | <--- S0 (1) + S1 (1536) ---- |
//    | ---- C2 (1536) ------------> |      (sent once S1 has arrived)
//    | <--- S2 (1536) ------------- |      then the chunk stream starts
//
// C1/S1:  time (4) | zero (4) | random bytes (1528)
// C2/S2:  time (4) | time2 (4) | random echo (1528)

/** The only version this client speaks; 6 would be RTMPE, anything else is not RTMP. */
export const RTMP_VERSION = 3;
export const HANDSHAKE_SIZE = 1536;
const RANDOM_OFFSET = 8;
const SERVER_HANDSHAKE_SIZE = 1 + HANDSHAKE_SIZE * 2;

export interface HandshakeStep {
  /** Bytes to send to the server now (C2), if any. */
  readonly send: Uint8Array | null;
  /** True once S2 has been read: the chunk stream begins. */
  readonly done: boolean;
  /** When done: bytes past S2, the start of the chunk stream. */
  readonly rest: Uint8Array;
}

export interface ClientHandshakeOptions {
  /** Milliseconds for the time fields; defaults to a clock started with the handshake. */
  readonly now?: () => number;
  /** The 1528 random bytes of C1 (tests pass fixed bytes). */
  readonly random?: Uint8Array;
}

/**
 * The plain (unencrypted, digest-less) client handshake. The zero field of C1 is
 * zero, which is what tells servers that also speak the Flash-player digest variant
 * (nginx-rtmp, SRS, Wowza) to answer with the plain one.
 */
export class ClientHandshake {
  private readonly c1: Uint8Array;
  private readonly now: () => number;
  private readonly received = new Uint8Array(SERVER_HANDSHAKE_SIZE);
  private filled = 0;
  private c2Sent = false;
  private finished = false;
  /** Whether S2 echoed C1's random bytes; undefined until S2 arrives. Informational only. */
  s2EchoesC1: boolean | undefined;

  constructor(options: ClientHandshakeOptions = {}) {
    const started = Date.now();
    this.now = options.now ?? (() => Date.now() - started);
    this.c1 = new Uint8Array(HANDSHAKE_SIZE);
    const view = new DataView(this.c1.buffer);
    view.setUint32(0, this.now() >>> 0);
    view.setUint32(4, 0);
    const random = this.c1.subarray(RANDOM_OFFSET);
    if (options.random) {
      if (options.random.byteLength !== random.byteLength) {
        throw new RangeError(`C1 random must be ${random.byteLength} bytes`);
      }
      random.set(options.random);
    } else {
      randomFillSync(random);
    }
  }

  /** C0 + C1, the client's opening bytes. */
  start(): Uint8Array {
    const out = new Uint8Array(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    out.set(this.c1, 1);
    return out;
  }

  /** Feeds bytes from the server (any split). Throws RtmpError('HANDSHAKE') on a non-RTMP peer. */
  push(data: Uint8Array): HandshakeStep {
    if (this.finished) throw new Error('handshake already finished');
    const take = Math.min(data.byteLength, SERVER_HANDSHAKE_SIZE - this.filled);
    this.received.set(data.subarray(0, take), this.filled);
    const before = this.filled;
    this.filled += take;

    // Check S0 on its first byte, so that an HTTP or TLS server fails fast instead
    // of the client waiting for 3073 bytes that will never come.
    if (before === 0 && this.filled > 0 && this.received[0] !== RTMP_VERSION) {
      const v = this.received[0]!;
      throw new RtmpError(
        'HANDSHAKE',
        `server sent version 0x${v.toString(16).padStart(2, '0')} in S0, expected ${RTMP_VERSION} (not an RTMP server, or RTMPE)`,
      );
    }

    let send: Uint8Array | null = null;
    if (!this.c2Sent && this.filled >= 1 + HANDSHAKE_SIZE) {
      send = this.makeC2();
      this.c2Sent = true;
    }
    if (this.filled < SERVER_HANDSHAKE_SIZE) return { send, done: false, rest: new Uint8Array(0) };

    this.finished = true;
    const s2 = new ByteReader(this.received, 1 + HANDSHAKE_SIZE);
    s2.skip(RANDOM_OFFSET);
    // The spec says S2 echoes C1, but servers doing the digest handshake send a digest
    // instead; a mismatch is recorded, not fatal (FFmpeg and librtmp behave the same).
    this.s2EchoesC1 = equalBytes(s2.bytesView(HANDSHAKE_SIZE - RANDOM_OFFSET), this.c1.subarray(RANDOM_OFFSET));
    return { send, done: true, rest: data.subarray(take) };
  }

  private makeC2(): Uint8Array {
    const s1 = new ByteReader(this.received, 1);
    const s1Time = s1.u32();
    s1.skip(4);
    const s1Random = s1.bytesView(HANDSHAKE_SIZE - RANDOM_OFFSET);
    const c2 = new Uint8Array(HANDSHAKE_SIZE);
    const view = new DataView(c2.buffer);
    view.setUint32(0, s1Time);
    view.setUint32(4, this.now() >>> 0);
    c2.set(s1Random, RANDOM_OFFSET);
    return c2;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
