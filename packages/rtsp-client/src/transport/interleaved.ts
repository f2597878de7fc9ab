import type { RtspConnection } from '../client/connection.js';
import type { MediaSink, MediaTransport } from './media-transport.js';

// Specification: RFC 2326, section 10.12 and 12.39 (interleaved=): RTP and RTCP
// share the RTSP connection, each track on a channel pair the client proposes and
// the server may change in its SETUP reply. Framing is in base/stream-reader.ts.

export class InterleavedTransport implements MediaTransport {
  readonly kind = 'tcp';
  readonly bytesIn = 0;
  /** channel → [track, is RTCP] */
  private readonly channels = new Map<number, { track: number; rtcp: boolean }>();
  private readonly rtcpChannel = new Map<number, number>();
  private closed = false;

  constructor(
    private readonly connection: RtspConnection,
    private readonly sink: MediaSink,
  ) {
    connection.on('interleaved', this.onFrame);
  }

  /** The channels to propose for a track: 2n and 2n+1, as most clients do. */
  proposedChannels(trackIndex: number): readonly [number, number] {
    return [2 * trackIndex, 2 * trackIndex + 1];
  }

  /** Records the channels the server confirmed. */
  bind(trackIndex: number, channels: readonly [number, number]): void {
    this.channels.set(channels[0], { track: trackIndex, rtcp: false });
    this.channels.set(channels[1], { track: trackIndex, rtcp: true });
    this.rtcpChannel.set(trackIndex, channels[1]);
  }

  sendRtcp(trackIndex: number, bytes: Uint8Array): void {
    const channel = this.rtcpChannel.get(trackIndex);
    if (channel !== undefined && !this.closed) this.connection.writeInterleaved(channel, bytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.off('interleaved', this.onFrame);
  }

  private readonly onFrame = (channel: number, payload: Uint8Array): void => {
    const target = this.channels.get(channel);
    if (target === undefined) {
      this.sink.onUnknownChannel();
      return;
    }
    if (target.rtcp) this.sink.onRtcp(target.track, payload);
    else this.sink.onRtp(target.track, payload);
  };
}
