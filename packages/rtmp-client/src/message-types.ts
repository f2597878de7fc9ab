// Specification: Adobe RTMP 1.0, sections 5.4 (protocol control), 6.2 (user control)
// and 7.1 (message types).

/** RTMP message type ids. */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;

/** One reassembled RTMP message, as the chunk stream delivers it. */
export interface RtmpMessage {
  /** Chunk stream it arrived on. */
  readonly csid: number;
  readonly type: number;
  /** Message stream id (0 for the connection's control and NetConnection commands). */
  readonly streamId: number;
  /** 32-bit milliseconds, as computed from the chunk headers (wraps at 2^32). */
  readonly timestamp: number;
  readonly payload: Uint8Array;
}
