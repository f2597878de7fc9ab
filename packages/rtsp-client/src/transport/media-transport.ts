/** Where a transport hands what it receives; the player implements it. */
export interface MediaSink {
  onRtp(trackIndex: number, bytes: Uint8Array): void;
  onRtcp(trackIndex: number, bytes: Uint8Array): void;
  /** A UDP datagram from a host other than the server: ignored. */
  onForeignPacket(): void;
  /** An interleaved frame on a channel no track uses. */
  onUnknownChannel(): void;
}

/** The media path of one session: TCP interleaved or UDP. */
export interface MediaTransport {
  readonly kind: 'tcp' | 'udp';
  /** Bytes of RTP/RTCP received outside the RTSP connection (UDP); 0 for TCP. */
  readonly bytesIn: number;
  sendRtcp(trackIndex: number, bytes: Uint8Array): void;
  /** Detaches from sockets and releases what it holds. Idempotent. */
  close(): void;
}
