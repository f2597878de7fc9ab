import { describe, expect, it } from 'vitest';
import { ChunkReader, ChunkWriter, type OutgoingMessage } from '../src/index.js';
import { concat, hex, ramp } from './helpers/bytes.js';

// Specification: RTMP 1.0, section 5.3. Exact bytes for the spec's own example, then
// round trips through the reader over the edges of every header field.

describe('ChunkWriter', () => {
  it('writes spec example 2 (307 bytes at chunk size 128) as type 0 + type 3 chunks', () => {
    const payload = ramp(307, 7);
    const bytes = new ChunkWriter().encode({ csid: 4, type: 9, streamId: 1, timestamp: 1000, payload });
    expect(bytes).toEqual(
      concat(
        hex('04 0003e8 000133 09 01000000'),
        payload.subarray(0, 128),
        hex('c4'),
        payload.subarray(128, 256),
        hex('c4'),
        payload.subarray(256),
      ),
    );
  });

  it('repeats the extended timestamp on type 3 chunks', () => {
    const payload = ramp(129);
    const bytes = new ChunkWriter().encode({ csid: 3, type: 20, streamId: 0, timestamp: 0x12345678, payload });
    expect(bytes).toEqual(concat(hex('03 ffffff 000081 14 00000000 12345678'), payload.subarray(0, 128), hex('c3 12345678'), payload.subarray(128)));
  });

  it('writes writeTo at an offset and reports byteLength', () => {
    const w = new ChunkWriter();
    const m: OutgoingMessage = { csid: 320, type: 8, streamId: 7, timestamp: 5, payload: ramp(300) };
    const buf = new Uint8Array(w.byteLength(m) + 10);
    expect(w.writeTo(m, buf, 10)).toBe(w.byteLength(m));
    expect(buf.subarray(10)).toEqual(w.encode(m));
  });

  const csids = [2, 63, 64, 319, 320, 65599];
  const timestamps = [0, 0xfffffe, 0xffffff, 0x1000000, 0xffffffff];
  const sizes = [0, 1, 127, 128, 129, 1000];
  const chunkSizes = [1, 128, 4096];

  it('round-trips through ChunkReader across csids, timestamps, sizes and chunk sizes', () => {
    for (const chunkSize of chunkSizes) {
      const writer = new ChunkWriter();
      const reader = new ChunkReader();
      if (chunkSize !== 128) {
        // The reader learns the size the way a peer would: from a Set Chunk Size message.
        reader.push(writer.encode({ csid: 2, type: 1, streamId: 0, timestamp: 0, payload: hex(chunkSize.toString(16).padStart(8, '0')) }));
        writer.setChunkSize(chunkSize);
      }
      for (const csid of csids) {
        for (const timestamp of timestamps) {
          for (const size of sizes) {
            const m = { csid, type: 9, streamId: 1, timestamp, payload: ramp(size, csid) };
            const bytes = writer.encode(m);
            expect(bytes.byteLength).toBe(writer.byteLength(m));
            expect(reader.push(bytes)).toEqual([m]);
          }
        }
      }
    }
  });

  it('rejects chunk stream ids a basic header cannot carry', () => {
    const w = new ChunkWriter();
    expect(() => w.encode({ csid: 1, type: 9, streamId: 0, timestamp: 0, payload: ramp(1) })).toThrow(/chunk stream id 1 outside/);
    expect(() => w.encode({ csid: 65600, type: 9, streamId: 0, timestamp: 0, payload: ramp(1) })).toThrow(/outside 2..65599/);
  });
});
