import * as dgram from 'node:dgram';

/**
 * A bound RTP/RTCP socket pair for one track over UDP. The relay passes pairs from
 * its port pool (even RTP port, RTCP = RTP + 1, already bound); the player attaches
 * its listeners, removes them again and calls `release()` exactly once on every
 * path (teardown, failure, close during setup). Whether release closes the sockets
 * or returns them to a pool is the owner's business.
 */
export interface UdpPortPair {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: dgram.Socket;
  readonly rtcp: dgram.Socket;
  release(): void;
}

export type UdpPortAllocator = () => Promise<UdpPortPair>;

/** Attempts to find an even port whose neighbour is free before giving up. */
export const UDP_PAIR_ATTEMPTS = 32;

export interface UdpPortPairOptions {
  /** Local address to bind; default '0.0.0.0' (or '::' for udp6). */
  readonly address?: string;
  readonly type?: 'udp4' | 'udp6';
}

function bind(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}

function closeQuietly(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

/**
 * The built-in allocator: binds an ephemeral port, keeps it when it is even and
 * the next one binds too (RFC 3550 section 11: RTP on an even port, RTCP on the
 * next), otherwise tries again. `release()` closes both sockets.
 */
export async function createUdpPortPair(options: UdpPortPairOptions = {}): Promise<UdpPortPair> {
  const type = options.type ?? 'udp4';
  const address = options.address ?? (type === 'udp6' ? '::' : '0.0.0.0');
  let lastError: unknown;
  for (let attempt = 0; attempt < UDP_PAIR_ATTEMPTS; attempt++) {
    const rtp = dgram.createSocket({ type });
    try {
      await bind(rtp, 0, address);
    } catch (err) {
      closeQuietly(rtp);
      throw err; // the address itself cannot be bound: retrying will not help
    }
    const rtpPort = rtp.address().port;
    if (rtpPort % 2 !== 0) {
      // An odd ephemeral port: its even neighbour below may be free, with this one as RTCP.
      const lower = dgram.createSocket({ type });
      try {
        await bind(lower, rtpPort - 1, address);
        return pairOf(lower, rtp, rtpPort - 1, rtpPort);
      } catch (err) {
        lastError = err;
        closeQuietly(lower);
        closeQuietly(rtp);
        continue;
      }
    }
    const rtcp = dgram.createSocket({ type });
    try {
      await bind(rtcp, rtpPort + 1, address);
      return pairOf(rtp, rtcp, rtpPort, rtpPort + 1);
    } catch (err) {
      lastError = err;
      closeQuietly(rtcp);
      closeQuietly(rtp);
    }
  }
  throw new Error(`no free even/odd UDP port pair after ${UDP_PAIR_ATTEMPTS} attempts: ${String(lastError)}`);
}

function pairOf(rtp: dgram.Socket, rtcp: dgram.Socket, rtpPort: number, rtcpPort: number): UdpPortPair {
  let released = false;
  return {
    rtpPort,
    rtcpPort,
    rtp,
    rtcp,
    release(): void {
      if (released) return;
      released = true;
      closeQuietly(rtp);
      closeQuietly(rtcp);
    },
  };
}
