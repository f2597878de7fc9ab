/**
 * Video frames out of a viewer's byte stream, for the fan-out benchmark's delay probes:
 * each complete H.264 frame is reduced to a fingerprint, so the same frame can be
 * recognised at a reader connected to the origin and at a viewer of any server, whatever
 * the container (fMP4, FLV over HTTP, RTMP) and whatever timestamps each server writes.
 *
 * Fingerprint: FNV-1a over the length and the first 64 bytes of the frame's first slice
 * NAL unit (type 1 or 5). The slice header and the start of its entropy-coded data differ
 * from frame to frame, and no server rewrites slice NAL units (they may add, drop or
 * reorder parameter sets, SEI, AUD or filler around them). The clip loops every 30 s,
 * so the same fingerprint recurs every 30 s: matching picks the nearest arrival in time.
 *
 * Parsers copy the bytes they are given (they may come from a shared read buffer).
 */

/** Called once per complete video frame with its fingerprint (never for audio). */
export type FrameSink = (fingerprint: number) => void;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const FINGERPRINT_BYTES = 64;

/**
 * Fingerprint of a frame in AVCC form (4-byte big-endian NAL lengths), or -1 when `data`
 * is not such a frame (e.g. an AAC sample) or holds no slice.
 */
export function avccFingerprint(data: Uint8Array): number {
  let pos = 0;
  const end = data.byteLength;
  while (pos + 4 <= end) {
    const len = ((data[pos]! << 24) | (data[pos + 1]! << 16) | (data[pos + 2]! << 8) | data[pos + 3]!) >>> 0;
    const start = pos + 4;
    if (len === 0 || start + len > end) return -1;
    const header = data[start]!;
    if (header & 0x80) return -1; // forbidden_zero_bit
    const type = header & 0x1f;
    if (type === 1 || type === 5) {
      let h = FNV_OFFSET;
      h = Math.imul(h ^ (len & 0xff), FNV_PRIME);
      h = Math.imul(h ^ ((len >>> 8) & 0xff), FNV_PRIME);
      h = Math.imul(h ^ ((len >>> 16) & 0xff), FNV_PRIME);
      const stop = start + Math.min(len, FINGERPRINT_BYTES);
      for (let i = start; i < stop; i++) h = Math.imul(h ^ data[i]!, FNV_PRIME);
      return h >>> 0;
    }
    pos = start + len;
  }
  return -1;
}

/**
 * The AVCC frame inside an FLV video tag body (the same body an RTMP video message
 * carries): legacy AVC (CodecID 7, AVCPacketType 1) or enhanced RTMP `avc1` coded frames.
 * Null for sequence headers, end of sequence, other codecs.
 */
export function flvVideoFrame(body: Uint8Array): Uint8Array | null {
  if (body.byteLength < 5) return null;
  const b0 = body[0]!;
  if (b0 & 0x80) {
    // Enhanced RTMP: [IsExHeader | FrameType(3) | PacketType(4)] FourCC(4) ...
    const packetType = b0 & 0x0f;
    const fourcc = String.fromCharCode(body[1]!, body[2]!, body[3]!, body[4]!);
    if (fourcc !== 'avc1') return null;
    if (packetType === 1) return body.byteLength > 8 ? body.subarray(8) : null; // CodedFrames: SI24 composition time
    if (packetType === 3) return body.subarray(5); // CodedFramesX: no composition time
    return null;
  }
  if ((b0 & 0x0f) !== 7 || body[1] !== 1) return null;
  return body.subarray(5);
}

/** A growable byte queue: append copies, consume drops from the front. */
class ByteQueue {
  buf = Buffer.allocUnsafe(256 * 1024);
  len = 0;

  append(data: Uint8Array): void {
    if (this.len + data.byteLength > this.buf.byteLength) {
      const next = Buffer.allocUnsafe(Math.max(this.buf.byteLength * 2, this.len + data.byteLength));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    this.buf.set(data, this.len);
    this.len += data.byteLength;
  }

  consume(n: number): void {
    this.buf.copyWithin(0, n, this.len);
    this.len -= n;
  }
}

/** Something a probe viewer feeds its response body into. */
export interface BodyParser {
  push(data: Uint8Array): void;
}

interface MoofSample {
  /** Offset of the sample's data from the start of the moof. */
  offset: number;
  size: number;
}

/**
 * Progressive fragmented MP4: top-level boxes; each moof's trun gives the samples'
 * offsets and sizes, the mdat that follows holds them. Video samples are recognised as
 * AVCC (audio samples are not), so no init segment parsing is needed.
 */
export class Fmp4Parser implements BodyParser {
  private readonly q = new ByteQueue();
  private samples: MoofSample[] = [];
  private moofSize = 0;

  constructor(private readonly sink: FrameSink) {}

  push(data: Uint8Array): void {
    const q = this.q;
    q.append(data);
    let pos = 0;
    for (;;) {
      if (q.len - pos < 8) break;
      let size = q.buf.readUInt32BE(pos);
      const type = q.buf.toString('latin1', pos + 4, pos + 8);
      let header = 8;
      if (size === 1) {
        if (q.len - pos < 16) break;
        size = Number(q.buf.readBigUInt64BE(pos + 8));
        header = 16;
      }
      if (size < header) throw new Error(`fMP4: bad box size ${size} for '${type}'`);
      if (q.len - pos < size) break;
      const box = q.buf.subarray(pos, pos + size);
      if (type === 'moof') {
        this.samples = parseMoof(box);
        this.moofSize = size;
      } else if (type === 'mdat') {
        // data offsets count from the moof start; the mdat follows the moof directly.
        for (const s of this.samples) {
          const at = s.offset - this.moofSize;
          if (at < header || at + s.size > size) continue;
          const fp = avccFingerprint(box.subarray(at, at + s.size));
          if (fp >= 0) this.sink(fp);
        }
        this.samples = [];
      }
      pos += size;
    }
    if (pos > 0) q.consume(pos);
  }
}

/** Sample offsets (from the moof start) and sizes of every traf's truns. */
function parseMoof(moof: Buffer): MoofSample[] {
  const out: MoofSample[] = [];
  for (const traf of children(moof, 8)) {
    if (traf.type !== 'traf') continue;
    let defaultSize = 0;
    let baseOffset = 0;
    for (const box of children(moof.subarray(traf.start, traf.end), 8)) {
      const b = moof.subarray(traf.start + box.start, traf.start + box.end);
      const flags = b.readUInt32BE(8) & 0xffffff;
      if (box.type === 'tfhd') {
        let p = 16; // header, version/flags, track_ID
        if (flags & 0x01) {
          baseOffset = Number(b.readBigUInt64BE(p));
          p += 8;
        }
        if (flags & 0x02) p += 4; // sample_description_index
        if (flags & 0x08) p += 4; // default_sample_duration
        if (flags & 0x10) defaultSize = b.readUInt32BE(p);
      } else if (box.type === 'trun') {
        const count = b.readUInt32BE(12);
        let p = 16;
        let offset = baseOffset;
        if (flags & 0x01) {
          offset += b.readInt32BE(p);
          p += 4;
        }
        if (flags & 0x04) p += 4; // first_sample_flags
        for (let i = 0; i < count; i++) {
          if (flags & 0x100) p += 4;
          let size = defaultSize;
          if (flags & 0x200) {
            size = b.readUInt32BE(p);
            p += 4;
          }
          if (flags & 0x400) p += 4;
          if (flags & 0x800) p += 4;
          out.push({ offset, size });
          offset += size;
        }
      }
    }
  }
  return out;
}

function* children(box: Buffer, from: number): Generator<{ type: string; start: number; end: number }> {
  let p = from;
  while (p + 8 <= box.byteLength) {
    const size = box.readUInt32BE(p);
    if (size < 8 || p + size > box.byteLength) return;
    yield { type: box.toString('latin1', p + 4, p + 8), start: p, end: p + size };
    p += size;
  }
}

/** FLV as served over HTTP: header, then tags (11-byte header, body, 4-byte previous tag size). */
export class FlvParser implements BodyParser {
  private readonly q = new ByteQueue();
  private headerDone = false;

  constructor(private readonly sink: FrameSink) {}

  push(data: Uint8Array): void {
    const q = this.q;
    q.append(data);
    let pos = 0;
    if (!this.headerDone) {
      if (q.len < 13) return;
      if (q.buf.toString('latin1', 0, 3) !== 'FLV') throw new Error('FLV: no FLV signature');
      pos = q.buf.readUInt32BE(5) + 4; // DataOffset (9), then PreviousTagSize0
      this.headerDone = true;
    }
    for (;;) {
      if (q.len - pos < 11) break;
      const type = q.buf[pos]! & 0x1f;
      const size = q.buf.readUIntBE(pos + 1, 3);
      if (q.len - pos < 11 + size + 4) break;
      if (type === 9) {
        const frame = flvVideoFrame(q.buf.subarray(pos + 11, pos + 11 + size));
        if (frame !== null) {
          const fp = avccFingerprint(frame);
          if (fp >= 0) this.sink(fp);
        }
      }
      pos += 11 + size + 4;
    }
    if (pos > 0) q.consume(Math.min(pos, q.len));
  }
}

/** HTTP/1.1 chunked transfer coding in front of another parser. */
export class Dechunker implements BodyParser {
  private state: 'size' | 'data' | 'crlf' = 'size';
  private line = '';
  private left = 0;

  constructor(private readonly next: BodyParser) {}

  push(data: Uint8Array): void {
    let p = 0;
    while (p < data.byteLength) {
      if (this.state === 'size') {
        const c = data[p++]!;
        if (c === 0x0a) {
          this.left = parseInt(this.line.split(';')[0]!.trim(), 16);
          this.line = '';
          if (!Number.isFinite(this.left)) throw new Error('chunked: bad chunk size');
          this.state = this.left === 0 ? 'crlf' : 'data';
        } else if (c !== 0x0d) this.line += String.fromCharCode(c);
      } else if (this.state === 'data') {
        const n = Math.min(this.left, data.byteLength - p);
        this.next.push(data.subarray(p, p + n));
        p += n;
        this.left -= n;
        if (this.left === 0) {
          this.state = 'crlf';
          this.left = 2;
        }
      } else {
        // CRLF after a chunk's data
        p++;
        if (--this.left <= 0) this.state = 'size';
      }
    }
  }
}
