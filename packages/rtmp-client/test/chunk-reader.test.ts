import { describe, expect, it } from 'vitest';
import { ChunkReader, MAX_MESSAGE_LENGTH, RtmpError, type RtmpMessage } from '../src/index.js';
import { concat, hex, ramp, randomSplits } from './helpers/bytes.js';

// Specification: RTMP 1.0, section 5.3 (chunking) and 5.4.1/5.4.2. Every case is fed
// whole, byte by byte, and in pseudo-random pieces, and must decode the same way.

type Expected = Omit<RtmpMessage, 'payload'> & { payload: Uint8Array };
const msg = (csid: number, type: number, streamId: number, timestamp: number, payload: Uint8Array): Expected => ({
  csid,
  type,
  streamId,
  timestamp,
  payload,
});

const p200 = ramp(200);
const p307 = ramp(307, 7);

const cases: { name: string; bytes: Uint8Array; decoded: Expected[] }[] = [
  {
    name: 'type 0 header, one chunk',
    bytes: concat(hex('03 000064 000005 14 01000000'), hex('0102030405')),
    decoded: [msg(3, 20, 1, 100, hex('0102030405'))],
  },
  {
    name: 'spec example 2: 307-byte message in 128-byte chunks (type 0 + two type 3)',
    bytes: concat(
      hex('04 0003e8 000133 09 01000000'),
      p307.subarray(0, 128),
      hex('c4'),
      p307.subarray(128, 256),
      hex('c4'),
      p307.subarray(256),
    ),
    decoded: [msg(4, 9, 1, 1000, p307)],
  },
  {
    name: 'spec example 1: type 0, type 2, then type 3 messages repeating the delta; type 1 changes length and type',
    bytes: concat(
      hex('03 0003e8 000004 08 39300000 aaaaaaaa'), // msid 12345, little-endian
      hex('83 000014 bbbbbbbb'),
      hex('c3 cccccccc'),
      hex('c3 dddddddd'),
      hex('43 000028 000002 09 eeee'),
    ),
    decoded: [
      msg(3, 8, 12345, 1000, hex('aaaaaaaa')),
      msg(3, 8, 12345, 1020, hex('bbbbbbbb')),
      msg(3, 8, 12345, 1040, hex('cccccccc')),
      msg(3, 8, 12345, 1060, hex('dddddddd')),
      msg(3, 9, 12345, 1100, hex('eeee')),
    ],
  },
  {
    name: 'type 3 starting a message right after type 0 keeps the timestamp (delta 0, as nginx-rtmp)',
    bytes: hex('03 000064 000002 14 00000000 aabb  c3 ccdd'),
    decoded: [msg(3, 20, 0, 100, hex('aabb')), msg(3, 20, 0, 100, hex('ccdd'))],
  },
  {
    name: '2-byte basic header: chunk streams 64 and 319',
    bytes: hex('00 00 000001 000001 09 01000000 01   00 ff 000002 000001 08 01000000 02'),
    decoded: [msg(64, 9, 1, 1, hex('01')), msg(319, 8, 1, 2, hex('02'))],
  },
  {
    name: '3-byte basic header: chunk streams 320 and 65599 (id - 64, little-endian)',
    bytes: hex('01 0001 000001 000001 09 01000000 01   01 ffff 000002 000001 08 01000000 02'),
    decoded: [msg(320, 9, 1, 1, hex('01')), msg(65599, 8, 1, 2, hex('02'))],
  },
  {
    name: '3-byte basic header continued by a type 3 chunk',
    bytes: concat(hex('01 0001 000000 0000c8 09 01000000'), p200.subarray(0, 128), hex('c1 0001'), p200.subarray(128)),
    decoded: [msg(320, 9, 1, 0, p200)],
  },
  {
    name: 'extended timestamp on a type 0 header',
    bytes: hex('03 ffffff 000002 09 01000000 01000000 abcd'),
    decoded: [msg(3, 9, 1, 0x01000000, hex('abcd'))],
  },
  {
    name: 'extended timestamp repeated on the type 3 continuation chunk',
    bytes: concat(hex('04 ffffff 0000c8 09 01000000 12345678'), p200.subarray(0, 128), hex('c4 12345678'), p200.subarray(128)),
    decoded: [msg(4, 9, 1, 0x12345678, p200)],
  },
  {
    name: 'extended delta on type 2, then a type 3 message that repeats it (with the field)',
    bytes: hex('04 000000 000002 09 01000000 aabb   84 ffffff 01000000 ccdd   c4 01000000 eeff'),
    decoded: [msg(4, 9, 1, 0, hex('aabb')), msg(4, 9, 1, 0x01000000, hex('ccdd')), msg(4, 9, 1, 0x02000000, hex('eeff'))],
  },
  {
    name: 'timestamp deltas wrap at 2^32',
    bytes: hex('04 ffffff 000001 09 01000000 fffffff0 aa   84 000020 bb'),
    decoded: [msg(4, 9, 1, 0xfffffff0, hex('aa')), msg(4, 9, 1, 0x10, hex('bb'))],
  },
  {
    name: 'Set Chunk Size mid-stream: the next 200-byte message comes as one chunk',
    bytes: concat(hex('02 000000 000004 01 00000000 00000100'), hex('06 000000 0000c8 09 01000000'), p200),
    decoded: [msg(2, 1, 0, 0, hex('00000100')), msg(6, 9, 1, 0, p200)],
  },
  {
    name: 'Set Chunk Size between two chunks of another message',
    bytes: concat(
      hex('06 000000 000190 09 01000000'),
      ramp(400).subarray(0, 128),
      hex('02 000000 000004 01 00000000 00000200'),
      hex('c6'),
      ramp(400).subarray(128),
    ),
    decoded: [msg(2, 1, 0, 0, hex('00000200')), msg(6, 9, 1, 0, ramp(400))],
  },
  {
    name: 'interleaved chunk streams: audio completes inside a video message',
    bytes: concat(
      hex('06 000028 0000c8 09 01000000'),
      p200.subarray(0, 128),
      hex('04 00001e 000003 08 01000000 af0102'),
      hex('c6'),
      p200.subarray(128),
    ),
    decoded: [msg(4, 8, 1, 30, hex('af0102')), msg(6, 9, 1, 40, p200)],
  },
  {
    name: 'zero-length message',
    bytes: hex('03 000000 000000 14 00000000   03 000000 000001 14 00000000 05'),
    decoded: [msg(3, 20, 0, 0, new Uint8Array(0)), msg(3, 20, 0, 0, hex('05'))],
  },
  {
    name: 'Abort drops the partial message of its chunk stream',
    bytes: concat(
      hex('06 000000 0000c8 09 01000000'),
      p200.subarray(0, 128),
      hex('02 000000 000004 02 00000000 00000006'),
      hex('06 000050 000003 09 01000000 171717'),
    ),
    decoded: [msg(2, 2, 0, 0, hex('00000006')), msg(6, 9, 1, 80, hex('171717'))],
  },
];

function decodeAll(pieces: Uint8Array[]): RtmpMessage[] {
  const reader = new ChunkReader();
  return pieces.flatMap((p) => reader.push(p));
}

describe('ChunkReader', () => {
  it.each(cases)('$name (one push)', ({ bytes, decoded }) => {
    expect(decodeAll([bytes])).toEqual(decoded);
  });

  it.each(cases)('$name (byte by byte)', ({ bytes, decoded }) => {
    const pieces = Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
    expect(decodeAll(pieces)).toEqual(decoded);
  });

  it.each(cases)('$name (random TCP splits)', ({ bytes, decoded }) => {
    for (let seed = 1; seed <= 20; seed++) {
      expect(decodeAll(randomSplits(bytes, seed, 1 + (seed % 7) * 11))).toEqual(decoded);
    }
  });

  it('applies Set Chunk Size and reports the new size', () => {
    const reader = new ChunkReader();
    reader.push(hex('02 000000 000004 01 00000000 00001000'));
    expect(reader.chunkSize).toBe(4096);
  });

  it('hands out payloads that stay valid after later pushes', () => {
    const reader = new ChunkReader();
    const [first] = reader.push(hex('03 000000 000002 09 01000000 aabb'));
    reader.push(hex('03 000000 000002 09 01000000 ccdd'));
    expect(first!.payload).toEqual(hex('aabb'));
  });
});

const malformed: { name: string; bytes: Uint8Array; code: RtmpError['code']; error: RegExp; maxMessageLength?: number }[] = [
  {
    name: 'type 1 header on a new chunk stream',
    bytes: hex('43 000000 000001 09 aa'),
    code: 'PROTOCOL',
    error: /chunk stream 3: first chunk has fmt 1/,
  },
  { name: 'type 3 header on a new chunk stream', bytes: hex('c5 aa'), code: 'PROTOCOL', error: /first chunk has fmt 3/ },
  {
    name: 'new message header while a message is incomplete',
    bytes: concat(hex('06 000000 0000c8 09 01000000'), ramp(128), hex('06 000000 000002 09 01000000 aabb')),
    code: 'PROTOCOL',
    error: /type 0 header while 72 bytes of the previous message are outstanding/,
  },
  {
    name: 'message length over MAX_MESSAGE_LENGTH',
    bytes: hex('03 000000 ffffff 09 01000000'),
    code: 'MESSAGE_TOO_LARGE',
    error: new RegExp(`message of 16777215 bytes exceeds the ${MAX_MESSAGE_LENGTH}-byte limit`),
  },
  {
    name: 'message length over a configured limit',
    bytes: hex('03 000000 0003e9 09 01000000'),
    code: 'MESSAGE_TOO_LARGE',
    error: /message of 1001 bytes exceeds the 1000-byte limit/,
    maxMessageLength: 1000,
  },
  {
    name: 'partial messages on many chunk streams over MAX_REASSEMBLY_BYTES',
    // Five 8 MiB messages, each with its first 128-byte chunk: 40 MiB reserved.
    bytes: concat(
      ...[3, 4, 5, 6, 7].map((csid) => concat(hex(`${csid.toString(16).padStart(2, '0')} 000000 800000 09 01000000`), ramp(128))),
    ),
    code: 'MESSAGE_TOO_LARGE',
    error: /bytes of partial messages exceed/,
  },
  {
    name: 'Set Chunk Size of 0',
    bytes: hex('02 000000 000004 01 00000000 00000000'),
    code: 'PROTOCOL',
    error: /Set Chunk Size: invalid size 0/,
  },
  {
    name: 'Set Chunk Size with the reserved top bit set',
    bytes: hex('02 000000 000004 01 00000000 80000000'),
    code: 'PROTOCOL',
    error: /invalid size 2147483648/,
  },
];

describe('ChunkReader on malformed chunk streams', () => {
  it.each(malformed)('rejects $name', ({ bytes, code, error, maxMessageLength }) => {
    const reader = () => new ChunkReader(maxMessageLength === undefined ? {} : { maxMessageLength });
    expect(() => reader().push(bytes)).toThrow(error);
    expect(() => reader().push(bytes)).toThrow(expect.objectContaining({ name: 'RtmpError', code }));
  });

  it('rejects byte-by-byte input just the same', () => {
    const reader = new ChunkReader();
    const bytes = hex('03 000000 ffffff 09 01000000');
    expect(() => {
      for (let i = 0; i < bytes.byteLength; i++) reader.push(bytes.subarray(i, i + 1));
    }).toThrow(expect.objectContaining({ code: 'MESSAGE_TOO_LARGE' }));
  });
});
