import { ByteReader, TruncatedError } from '@sluice/codec';
import { RtmpError } from './errors.js';
import type { RtmpMessage } from './message-types.js';

// Specification: Adobe RTMP 1.0, section 7.1.6 "Aggregate Message" (type 22):
// a sequence of sub-messages, each an FLV-tag-like header, its body, and a back
// pointer:
//
//  +----------+-----------+----------------+-------------+-------+-----------+
//  | type u8  | size u24  | timestamp u24  | ts ext u8   | sid   | body ...  | back pointer u32
//  |          |           | (low 24 bits)  | (high 8)    | u24   |           | (= 11 + size)
//  +----------+-----------+----------------+-------------+-------+-----------+
//
// "The message stream ID of the aggregate message overrides the message stream IDs
// for the sub-messages inside the aggregate. The difference between the timestamps
// of the aggregate message and the first sub-message is the offset used to
// renormalize the timestamps of the sub-messages to the stream timescale."

const BACK_POINTER_SIZE = 4;

/** Splits an aggregate message into its sub-messages (bodies are views, no copy). */
export function splitAggregate(msg: RtmpMessage): RtmpMessage[] {
  const r = new ByteReader(msg.payload);
  const out: RtmpMessage[] = [];
  let offset: number | null = null;
  try {
    while (r.remaining > 0) {
      const type = r.u8();
      // Sizes need no cap of their own: the reader bounds them by the aggregate,
      // itself bounded by the chunk reader's MAX_MESSAGE_LENGTH.
      const size = r.u24();
      const low = r.u24();
      const high = r.u8();
      r.skip(3); // stream id, overridden by the aggregate's
      const body = r.bytesView(size, 'aggregate sub-message');
      r.skip(Math.min(BACK_POINTER_SIZE, r.remaining)); // the last back pointer is sometimes omitted
      const ts = high * 0x100_0000 + low;
      offset ??= msg.timestamp - ts;
      out.push({ csid: msg.csid, type, streamId: msg.streamId, timestamp: (ts + offset + 0x1_0000_0000) % 0x1_0000_0000, payload: body });
    }
  } catch (err) {
    if (err instanceof TruncatedError) throw new RtmpError('PROTOCOL', `aggregate message: ${err.message}`, { cause: err });
    throw err;
  }
  return out;
}
