// Specification: Adobe RTMP 1.0, section 5.3.1 "Chunk Format".
//
//  +--------------+----------------+--------------------+------------+
//  | Basic Header | Message Header | Extended Timestamp | Chunk Data |
//  +--------------+----------------+--------------------+------------+
//
//  Basic header (5.3.1.1), fmt = 2 bits, cs id = 6 bits:
//    cs id 2..63:    |fmt| cs id |
//    cs id 64..319:  |fmt|   0   | cs id - 64 (u8) |
//    cs id 64..65599:|fmt|   1   | cs id - 64 (u16 little-endian) |
//
//  Message header (5.3.1.2), by fmt:
//    0 (11 bytes): timestamp (u24) | message length (u24) | type id (u8) | message stream id (u32 LE)
//    1 (7 bytes):  timestamp delta (u24) | message length (u24) | type id (u8)
//    2 (3 bytes):  timestamp delta (u24)
//    3 (0 bytes)
//
//  Extended timestamp (5.3.1.3, u32): present when the 24-bit field is 0xFFFFFF, and on
//  type 3 chunks when the last type 0/1/2 chunk of the chunk stream had one.

/** Chunk stream ids a basic header can carry (0 and 1 are escape values, 2 is control). */
export const MIN_CSID = 2;
export const MAX_CSID = 65599;

/** The 24-bit timestamp value that announces an extended timestamp field. */
export const EXTENDED_TIMESTAMP = 0xffffff;

/** 3-byte basic header + 11-byte type 0 message header + 4-byte extended timestamp. */
export const MAX_CHUNK_HEADER_SIZE = 18;

/** Byte length of a basic header for `csid`. */
export function basicHeaderSize(csid: number): number {
  if (csid < MIN_CSID || csid > MAX_CSID || !Number.isInteger(csid)) {
    throw new RangeError(`chunk stream id ${csid} outside ${MIN_CSID}..${MAX_CSID}`);
  }
  return csid <= 63 ? 1 : csid <= 319 ? 2 : 3;
}

/** Size of the message header for each fmt, section 5.3.1.2. */
export const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;
