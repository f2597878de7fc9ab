import { ByteReader } from '@sluice/codec';
import { RtspError } from '../errors.js';
import { contentLength, parseMessageHead, type RtspMessageHead } from './message.js';

// Specification: RFC 2326, section 10.12 (embedded, interleaved binary data):
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | '$' (0x24)    |    channel    |            length             |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                  length bytes of RTP or RTCP                  |
//
// One TCP connection carries RTSP responses, requests from the server and these
// frames in any order; a message or a frame may be split across reads anywhere.

/**
 * Longest start line + header block accepted. Real responses are a few hundred
 * bytes; 16 KiB holds long Digest challenges and RTP-Info lists for many tracks
 * while stopping a peer that never sends the empty line.
 */
export const MAX_HEADER_BLOCK = 16 * 1024;
/**
 * Longest body accepted. Bodies are SDP (an NVR with 16 channels stays under
 * 16 KiB) or GET_PARAMETER replies; 64 KiB leaves room without letting a peer
 * make us buffer megabytes.
 */
export const MAX_BODY = 64 * 1024;
/** The interleaved frame header: '$', channel, 16-bit length. */
export const INTERLEAVED_HEADER_SIZE = 4;
const DOLLAR = 0x24;
const CR = 0x0d;
const LF = 0x0a;

export type RtspStreamItem =
  | { readonly kind: 'message'; readonly head: RtspMessageHead; readonly body: Uint8Array }
  | { readonly kind: 'interleaved'; readonly channel: number; readonly payload: Uint8Array };

/**
 * Splits the bytes of an RTSP connection into messages and interleaved frames.
 * Payloads are views of the pushed chunks (or of one joined copy when a frame
 * spans reads); nothing is mutated afterwards. Throws RtspError('BAD_RESPONSE')
 * when a cap is broken or a start line is garbage: the connection is not usable
 * after that.
 */
export class RtspStreamReader {
  private buf: Uint8Array = new Uint8Array(0);
  /** Where the search for the end of the head resumes (bytes before it were scanned). */
  private scanFrom = 0;
  /**
   * Chunks that only continue an item of known size (a frame or a body): they are
   * collected and joined once when the item is complete, not re-copied per read.
   */
  private parked: Uint8Array[] = [];
  private parkedBytes = 0;
  /** Bytes the item at the start of `buf` needs in total, when known. */
  private needed = 0;

  /** Bytes waiting for the rest of a message or frame. */
  get buffered(): number {
    return this.buf.byteLength + this.parkedBytes;
  }

  push(chunk: Uint8Array): RtspStreamItem[] {
    if (this.needed > 0 && this.buf.byteLength + this.parkedBytes + chunk.byteLength < this.needed) {
      this.parked.push(chunk);
      this.parkedBytes += chunk.byteLength;
      return [];
    }
    if (this.buf.byteLength === 0 && this.parkedBytes === 0) {
      this.buf = chunk;
    } else {
      const joined = new Uint8Array(this.buf.byteLength + this.parkedBytes + chunk.byteLength);
      let offset = 0;
      for (const part of [this.buf, ...this.parked, chunk]) {
        joined.set(part, offset);
        offset += part.byteLength;
      }
      this.buf = joined;
      this.parked = [];
      this.parkedBytes = 0;
    }
    this.needed = 0;
    const items: RtspStreamItem[] = [];
    let offset = 0;
    for (;;) {
      // Stray line breaks between messages (after a body, before a '$') are skipped.
      while (offset < this.buf.byteLength && (this.buf[offset] === CR || this.buf[offset] === LF)) offset++;
      if (offset >= this.buf.byteLength) break;
      const used = this.buf[offset] === DOLLAR ? this.readFrame(offset, items) : this.readMessage(offset, items);
      if (used === 0) break;
      offset += used;
      this.scanFrom = 0;
    }
    this.buf = this.buf.subarray(offset);
    return items;
  }

  /** Returns the bytes used, or 0 when the frame is not complete yet. */
  private readFrame(offset: number, items: RtspStreamItem[]): number {
    if (this.buf.byteLength - offset < INTERLEAVED_HEADER_SIZE) return 0;
    const r = new ByteReader(this.buf, offset);
    r.u8(); // '$'
    const channel = r.u8();
    const length = r.u16(); // at most 65535 by the format: no further cap needed
    if (r.remaining < length) {
      this.needed = INTERLEAVED_HEADER_SIZE + length;
      return 0;
    }
    items.push({ kind: 'interleaved', channel, payload: r.bytesView(length) });
    return INTERLEAVED_HEADER_SIZE + length;
  }

  private readMessage(offset: number, items: RtspStreamItem[]): number {
    const end = this.findHeadEnd(offset);
    if (end === null) {
      if (this.buf.byteLength - offset > MAX_HEADER_BLOCK) {
        throw new RtspError('BAD_RESPONSE', `header block longer than ${MAX_HEADER_BLOCK} bytes`);
      }
      return 0;
    }
    const { headLength, terminatorLength } = end;
    if (headLength > MAX_HEADER_BLOCK) {
      throw new RtspError('BAD_RESPONSE', `header block longer than ${MAX_HEADER_BLOCK} bytes`);
    }
    const head = parseMessageHead(this.buf.subarray(offset, offset + headLength));
    const bodyLength = contentLength(head.headers);
    if (bodyLength > MAX_BODY) throw new RtspError('BAD_RESPONSE', `body of ${bodyLength} bytes, more than ${MAX_BODY}`);
    const r = new ByteReader(this.buf, offset + headLength + terminatorLength);
    if (r.remaining < bodyLength) {
      this.needed = headLength + terminatorLength + bodyLength;
      return 0;
    }
    items.push({ kind: 'message', head, body: r.bytesView(bodyLength) });
    return headLength + terminatorLength + bodyLength;
  }

  /** Finds CRLFCRLF (or LFLF from sloppy servers) after `offset`. */
  private findHeadEnd(offset: number): { headLength: number; terminatorLength: number } | null {
    const b = this.buf;
    const limit = Math.min(b.byteLength, offset + MAX_HEADER_BLOCK + 4);
    for (let i = Math.max(offset, offset + this.scanFrom - 3); i < limit; i++) {
      if (b[i] !== LF) continue;
      if (b[i + 1] === LF) return { headLength: i - offset, terminatorLength: 2 };
      if (b[i + 1] === CR && b[i + 2] === LF) {
        // "\r\n\r\n": the head ends before the first CR.
        const headEnd = i > offset && b[i - 1] === CR ? i - 1 : i;
        return { headLength: headEnd - offset, terminatorLength: i + 3 - headEnd };
      }
    }
    this.scanFrom = limit - offset;
    return null;
  }
}
