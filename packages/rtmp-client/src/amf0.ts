import { ByteReader, TruncatedError } from '@sluice/codec';
import { ByteWriter } from './byte-writer.js';
import { RtmpError } from './errors.js';

// Specification: Adobe Action Message Format AMF 0 (amf0-file-format-specification.pdf),
// section 2 "AMF 0 Data Types".

/** Type markers, spec section 2.1. */
export const Amf0Marker = {
  number: 0x00,
  boolean: 0x01,
  string: 0x02,
  object: 0x03,
  movieclip: 0x04,
  null: 0x05,
  undefined: 0x06,
  reference: 0x07,
  ecmaArray: 0x08,
  objectEnd: 0x09,
  strictArray: 0x0a,
  date: 0x0b,
  longString: 0x0c,
  unsupported: 0x0d,
  recordset: 0x0e,
  xmlDocument: 0x0f,
  typedObject: 0x10,
  avmplusObject: 0x11,
} as const;

/**
 * Nesting limit for objects and arrays. RTMP commands and onMetaData nest two or
 * three levels; the cap stops a few kilobytes of `0x0a 00 00 00 01 …` from
 * recursing the decoder into a stack overflow.
 */
export const MAX_AMF0_DEPTH = 32;

/** A string's UTF-8 length above this needs the long-string marker (u16 length field). */
const MAX_SHORT_STRING = 0xffff;

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0Object
  | Amf0EcmaArray;

/** An anonymous object (marker 0x03). Decoded objects have a null prototype. */
export interface Amf0Object {
  [key: string]: Amf0Value;
}

/**
 * An ECMA (associative) array, marker 0x08. Kept distinct from a plain object so that
 * decode → encode reproduces the same bytes (onMetaData is usually an ECMA array).
 */
export class Amf0EcmaArray {
  constructor(readonly properties: Amf0Object = Object.create(null) as Amf0Object) {}
}

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function protocolError(message: string, cause?: unknown): RtmpError {
  return new RtmpError('PROTOCOL', `AMF0: ${message}`, { cause });
}

/** Decodes every value in `bytes` (a command or data message body is a sequence of values). */
export function decodeAmf0(bytes: Uint8Array): Amf0Value[] {
  const r = new ByteReader(bytes);
  const out: Amf0Value[] = [];
  while (r.remaining > 0) out.push(readAmf0Value(r));
  return out;
}

/** Decodes one value at the reader's position. Throws RtmpError('PROTOCOL') on malformed input. */
export function readAmf0Value(r: ByteReader): Amf0Value {
  try {
    return readValue(r, 0);
  } catch (err) {
    if (err instanceof TruncatedError) throw protocolError(err.message, err);
    throw err;
  }
}

function readUtf8(r: ByteReader, length: number): string {
  // Lengths inside AMF0 need no cap of their own: the ByteReader bounds them by the
  // enclosing message, which the chunk reader caps at MAX_MESSAGE_LENGTH.
  return utf8Decoder.decode(r.bytesView(length, 'AMF0 string'));
}

function readValue(r: ByteReader, depth: number): Amf0Value {
  const marker = r.u8();
  switch (marker) {
    case Amf0Marker.number:
      return r.f64();
    case Amf0Marker.boolean:
      return r.u8() !== 0;
    case Amf0Marker.string:
      return readUtf8(r, r.u16());
    case Amf0Marker.longString:
    case Amf0Marker.xmlDocument:
      return readUtf8(r, r.u32());
    case Amf0Marker.null:
      return null;
    case Amf0Marker.undefined:
      return undefined;
    case Amf0Marker.date: {
      const ms = r.f64();
      // time-zone S16: reserved, "should be set to 0x0000"; ignored on read.
      r.skip(2);
      return new Date(ms);
    }
    case Amf0Marker.object:
      return readProperties(r, depth + 1, false);
    case Amf0Marker.ecmaArray:
      // associative-count is a hint that encoders get wrong (some write 0); the
      // object-end marker is what ends the array, as in every common decoder.
      r.skip(4);
      return new Amf0EcmaArray(readProperties(r, depth + 1, true));
    case Amf0Marker.strictArray: {
      enterLevel(depth + 1);
      const count = r.u32();
      // Every element takes at least one byte, so a count beyond the remaining bytes
      // is a lie; checking first avoids allocating for it.
      if (count > r.remaining) {
        throw protocolError(`strict array of ${count} elements with ${r.remaining} bytes left`);
      }
      const out: Amf0Value[] = [];
      for (let i = 0; i < count; i++) out.push(readValue(r, depth + 1));
      return out;
    }
    case Amf0Marker.objectEnd:
      throw protocolError('object-end marker outside an object');
    default:
      throw protocolError(`unsupported type marker 0x${marker.toString(16).padStart(2, '0')}`);
  }
}

function enterLevel(depth: number): void {
  if (depth > MAX_AMF0_DEPTH) throw protocolError(`nesting deeper than ${MAX_AMF0_DEPTH}`);
}

function readProperties(r: ByteReader, depth: number, isEcmaArray: boolean): Amf0Object {
  enterLevel(depth);
  // Null prototype: a server-chosen key such as "__proto__" stays an ordinary property.
  const obj = Object.create(null) as Amf0Object;
  for (;;) {
    // Some servers end an onMetaData ECMA array at the end of the message without
    // the object-end marker; a clean end exactly where a key would start is accepted.
    if (isEcmaArray && r.remaining === 0) return obj;
    const keyLength = r.u16();
    if (keyLength === 0 && r.peekU8() === Amf0Marker.objectEnd) {
      r.skip(1);
      return obj;
    }
    const key = readUtf8(r, keyLength);
    obj[key] = readValue(r, depth);
  }
}

/** Encodes a sequence of values (e.g. a command: name, transaction id, object, args…). */
export function encodeAmf0(values: readonly Amf0Value[]): Uint8Array {
  const w = new ByteWriter();
  for (const v of values) writeAmf0Value(w, v);
  return w.finish();
}

export function writeAmf0Value(w: ByteWriter, v: Amf0Value): void {
  writeValue(w, v, 0);
}

function writeUtf8(w: ByteWriter, bytes: Uint8Array, long: boolean): void {
  if (long) w.u32(bytes.byteLength);
  else w.u16(bytes.byteLength);
  w.bytes(bytes);
}

function writeValue(w: ByteWriter, v: Amf0Value, depth: number): void {
  if (v === null) {
    w.u8(Amf0Marker.null);
  } else if (v === undefined) {
    w.u8(Amf0Marker.undefined);
  } else if (typeof v === 'number') {
    w.u8(Amf0Marker.number).f64(v);
  } else if (typeof v === 'boolean') {
    w.u8(Amf0Marker.boolean).u8(v ? 1 : 0);
  } else if (typeof v === 'string') {
    const bytes = utf8Encoder.encode(v);
    const long = bytes.byteLength > MAX_SHORT_STRING;
    w.u8(long ? Amf0Marker.longString : Amf0Marker.string);
    writeUtf8(w, bytes, long);
  } else if (v instanceof Date) {
    w.u8(Amf0Marker.date).f64(v.getTime()).i16(0);
  } else {
    // Cyclic or absurdly deep values would otherwise recurse forever.
    if (depth + 1 > MAX_AMF0_DEPTH) throw new RangeError(`AMF0: nesting deeper than ${MAX_AMF0_DEPTH}`);
    if (Array.isArray(v)) {
      w.u8(Amf0Marker.strictArray).u32(v.length);
      for (const item of v) writeValue(w, item, depth + 1);
    } else if (v instanceof Amf0EcmaArray) {
      w.u8(Amf0Marker.ecmaArray).u32(Object.keys(v.properties).length);
      writeProperties(w, v.properties, depth + 1);
    } else {
      w.u8(Amf0Marker.object);
      writeProperties(w, v, depth + 1);
    }
  }
}

function writeProperties(w: ByteWriter, obj: Amf0Object, depth: number): void {
  for (const [key, value] of Object.entries(obj)) {
    const bytes = utf8Encoder.encode(key);
    if (bytes.byteLength > MAX_SHORT_STRING) throw new RangeError('AMF0: property name longer than 65535 bytes');
    writeUtf8(w, bytes, false);
    writeValue(w, value, depth);
  }
  w.u16(0).u8(Amf0Marker.objectEnd);
}
