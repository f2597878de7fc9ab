import type * as dgram from 'node:dgram';
import type { MediaSink, MediaTransport } from './media-transport.js';
import type { UdpPortPair } from './udp-ports.js';

// Specification: RFC 2326, section 12.39 (client_port / server_port / source):
// RTP and RTCP of each track arrive on the client's port pair, sent from the
// server's; our receiver reports go back to the server's RTCP port.

/** '::ffff:10.0.0.1' and '10.0.0.1' are the same IPv4 host. */
export function normalizeAddress(address: string): string {
  return address.toLowerCase().startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

interface Bound {
  readonly pair: UdpPortPair;
  readonly onRtp: (msg: Buffer, rinfo: dgram.RemoteInfo) => void;
  readonly onRtcp: (msg: Buffer, rinfo: dgram.RemoteInfo) => void;
  readonly onError: (err: Error) => void;
  /** Where receiver reports go, once the SETUP reply named the server's ports. */
  server?: { address: string; rtcpPort: number };
}

/**
 * UDP media for a session. Takes ownership of each port pair as soon as it is
 * added: `close()` detaches our listeners and releases every pair exactly once,
 * whatever state the session reached.
 */
export class UdpTransport implements MediaTransport {
  readonly kind = 'udp';
  bytesIn = 0;
  private readonly tracks = new Map<number, Bound>();
  private readonly allowed = new Set<string>();
  private closed = false;

  constructor(private readonly sink: MediaSink) {}

  /** Hosts whose datagrams are accepted (the RTSP peer, a Transport `source=`). */
  allowHost(address: string): void {
    this.allowed.add(normalizeAddress(address));
  }

  /** Adopts a pair for a track. After close(), the pair is released at once. */
  add(trackIndex: number, pair: UdpPortPair): void {
    if (this.closed) {
      pair.release();
      return;
    }
    const accept = (rinfo: dgram.RemoteInfo): boolean => {
      if (this.allowed.has(normalizeAddress(rinfo.address))) return true;
      this.sink.onForeignPacket();
      return false;
    };
    const bound: Bound = {
      pair,
      onRtp: (msg, rinfo) => {
        if (this.closed || !accept(rinfo)) return;
        this.bytesIn += msg.byteLength;
        this.sink.onRtp(trackIndex, new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
      },
      onRtcp: (msg, rinfo) => {
        if (this.closed || !accept(rinfo)) return;
        this.bytesIn += msg.byteLength;
        this.sink.onRtcp(trackIndex, new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength));
      },
      // A send error (ICMP unreachable surfacing on some systems) must not crash the process.
      onError: () => undefined,
    };
    pair.rtp.on('message', bound.onRtp);
    pair.rtcp.on('message', bound.onRtcp);
    pair.rtp.on('error', bound.onError);
    pair.rtcp.on('error', bound.onError);
    this.tracks.set(trackIndex, bound);
  }

  pair(trackIndex: number): UdpPortPair | undefined {
    return this.tracks.get(trackIndex)?.pair;
  }

  setServer(trackIndex: number, address: string, rtcpPort: number | undefined): void {
    const bound = this.tracks.get(trackIndex);
    if (bound === undefined || rtcpPort === undefined) return;
    bound.server = { address, rtcpPort };
  }

  sendRtcp(trackIndex: number, bytes: Uint8Array): void {
    const bound = this.tracks.get(trackIndex);
    if (this.closed || bound?.server === undefined) return;
    try {
      bound.pair.rtcp.send(bytes, bound.server.rtcpPort, bound.server.address);
    } catch {
      // The pool closed the socket under us: nothing to report to.
    }
  }

  /** Pairs held now (for tests and diagnostics). */
  get pairCount(): number {
    return this.tracks.size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const bound of this.tracks.values()) {
      bound.pair.rtp.off('message', bound.onRtp);
      bound.pair.rtcp.off('message', bound.onRtcp);
      bound.pair.rtp.off('error', bound.onError);
      bound.pair.rtcp.off('error', bound.onError);
      try {
        bound.pair.release();
      } catch {
        // A failing release must not keep the other pairs from being released.
      }
    }
    this.tracks.clear();
  }
}
