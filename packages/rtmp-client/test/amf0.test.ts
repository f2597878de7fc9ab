import { describe, expect, it } from 'vitest';
import { Amf0EcmaArray, MAX_AMF0_DEPTH, RtmpError, decodeAmf0, encodeAmf0, type Amf0Value } from '../src/index.js';
import { ascii, concat, hex } from './helpers/bytes.js';

// Specification: AMF 0 specification, section 2. Each case decodes `bytes` to
// `decoded` and encodes `decoded` back to exactly `bytes`.
const cases: { name: string; bytes: Uint8Array; decoded: Amf0Value[] }[] = [
  { name: 'number', bytes: hex('00 3ff8000000000000'), decoded: [1.5] },
  { name: 'negative number', bytes: hex('00 c000000000000000'), decoded: [-2] },
  { name: 'boolean true', bytes: hex('01 01'), decoded: [true] },
  { name: 'boolean false', bytes: hex('01 00'), decoded: [false] },
  { name: 'string', bytes: hex('02 0003 616263'), decoded: ['abc'] },
  { name: 'empty string', bytes: hex('02 0000'), decoded: [''] },
  { name: 'UTF-8 string (length in bytes)', bytes: hex('02 0002 c3a9'), decoded: ['é'] },
  { name: 'null', bytes: hex('05'), decoded: [null] },
  { name: 'undefined', bytes: hex('06'), decoded: [undefined] },
  { name: 'date (time-zone 0)', bytes: hex('0b 4278bcfe56800000 0000'), decoded: [new Date(1700000000000)] },
  {
    name: 'object',
    bytes: hex('03 0001 61 00 3ff0000000000000  0001 62 02 0001 78  0000 09'),
    decoded: [{ a: 1, b: 'x' }],
  },
  { name: 'empty object', bytes: hex('03 0000 09'), decoded: [{}] },
  {
    name: 'nested objects',
    bytes: hex('03 0001 61 03 0001 62 01 01 0000 09 0000 09'),
    decoded: [{ a: { b: true } }],
  },
  {
    name: 'ECMA array (onMetaData style)',
    bytes: hex('08 00000002 0005 7769647468 00 4084000000000000 0005 7374657265 01 00 0000 09'),
    decoded: [new Amf0EcmaArray({ width: 640, stere: false })],
  },
  {
    name: 'strict array of mixed values',
    bytes: hex('0a 00000003 00 3ff0000000000000 02 0001 61 05'),
    decoded: [[1, 'a', null]],
  },
  {
    name: 'object inside an ECMA array inside a strict array',
    bytes: hex('0a 00000001 08 00000001 0001 6f 03 0001 6b 06 0000 09 0000 09'),
    decoded: [[new Amf0EcmaArray({ o: { k: undefined } })]],
  },
  {
    name: 'long string (over 65535 bytes)',
    bytes: concat(hex('0c 00011170'), ascii('x'.repeat(70000))),
    decoded: ['x'.repeat(70000)],
  },
  {
    name: 'command: _result, 1, properties, information',
    bytes: hex(
      '02 0007 5f726573756c74  00 3ff0000000000000  05  03 0005 6c6576656c 02 0006 737461747573 0000 09',
    ),
    decoded: ['_result', 1, null, { level: 'status' }],
  },
];

describe('AMF0 round trip', () => {
  it.each(cases)('decodes $name', ({ bytes, decoded }) => {
    expect(decodeAmf0(bytes)).toEqual(decoded);
  });

  it.each(cases)('encodes $name', ({ bytes, decoded }) => {
    expect(encodeAmf0(decoded)).toEqual(bytes);
  });

  it('keeps ECMA arrays and objects apart', () => {
    const [ecma, obj] = decodeAmf0(hex('08 00000000 0000 09  03 0000 09'));
    expect(ecma).toBeInstanceOf(Amf0EcmaArray);
    expect(obj).not.toBeInstanceOf(Amf0EcmaArray);
  });

  it('keeps a "__proto__" key as a plain property', () => {
    const [obj] = decodeAmf0(hex('03 0009 5f5f70726f746f5f5f 01 01 0000 09')) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(obj)).toBeNull();
    expect(obj['__proto__']).toBe(true);
  });
});

// Accepted although not what an encoder should write; decode-only.
const tolerated: { name: string; bytes: Uint8Array; decoded: Amf0Value[] }[] = [
  {
    name: 'ECMA array whose count is wrong (encoders write 0)',
    bytes: hex('08 00000000 0001 61 05 0000 09'),
    decoded: [new Amf0EcmaArray({ a: null })],
  },
  {
    name: 'ECMA array ending at the end of the message without object-end',
    bytes: hex('08 00000001 0001 61 05'),
    decoded: [new Amf0EcmaArray({ a: null })],
  },
];

describe('AMF0 tolerated input', () => {
  it.each(tolerated)('decodes $name', ({ bytes, decoded }) => {
    expect(decodeAmf0(bytes)).toEqual(decoded);
  });
});

const nest = (open: string, close: string, depth: number): Uint8Array =>
  hex(open.repeat(depth) + '05' + close.repeat(depth));

const malformed: { name: string; bytes: Uint8Array; error: RegExp }[] = [
  { name: 'truncated number', bytes: hex('00 3ff8'), error: /truncated/ },
  { name: 'truncated boolean', bytes: hex('01'), error: /truncated/ },
  { name: 'string shorter than its length', bytes: hex('02 0005 6162'), error: /truncated/ },
  { name: 'long string shorter than its length', bytes: hex('0c ffffffff 61'), error: /truncated/ },
  { name: 'object without object-end', bytes: hex('03 0001 61 05'), error: /truncated/ },
  { name: 'object key cut short', bytes: hex('03 0005 61'), error: /truncated/ },
  { name: 'date without time-zone', bytes: hex('0b 4278bcfe56800000'), error: /truncated/ },
  { name: 'strict array longer than the input', bytes: hex('0a ffffffff 05'), error: /strict array of 4294967295/ },
  { name: 'movieclip marker (reserved)', bytes: hex('04'), error: /unsupported type marker 0x04/ },
  { name: 'reference marker', bytes: hex('07 0001'), error: /unsupported type marker 0x07/ },
  { name: 'AMF3 switch (avmplus)', bytes: hex('11 01'), error: /unsupported type marker 0x11/ },
  { name: 'unknown marker', bytes: hex('ff'), error: /unsupported type marker 0xff/ },
  { name: 'object-end outside an object', bytes: hex('09'), error: /object-end marker outside/ },
  { name: 'strict array depth bomb', bytes: nest('0a00000001', '', 5000), error: /nesting deeper than/ },
  { name: 'object depth bomb', bytes: nest('03000161', '000009', 5000), error: /nesting deeper than/ },
  {
    name: 'one level past the limit',
    bytes: nest('0a00000001', '', MAX_AMF0_DEPTH + 1),
    error: new RegExp(`nesting deeper than ${MAX_AMF0_DEPTH}`),
  },
];

describe('malformed AMF0', () => {
  it.each(malformed)('rejects $name', ({ bytes, error }) => {
    expect(() => decodeAmf0(bytes)).toThrow(RtmpError);
    expect(() => decodeAmf0(bytes)).toThrow(error);
    expect(() => decodeAmf0(bytes)).toThrow(expect.objectContaining({ code: 'PROTOCOL' }));
  });

  it('accepts nesting exactly at the limit', () => {
    expect(() => decodeAmf0(nest('0a00000001', '', MAX_AMF0_DEPTH))).not.toThrow();
  });

  it('refuses to encode a cyclic value', () => {
    const cyclic: Record<string, Amf0Value> = {};
    cyclic['self'] = cyclic;
    expect(() => encodeAmf0([cyclic])).toThrow(/nesting deeper than/);
  });
});
