import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { CoreError } from './errors.js';

/**
 * A bound RTP/RTCP port pair: even RTP port, RTCP on the next one, held as open
 * sockets. Handing out bound sockets rather than numbers leaves no window
 * between "this port looks free" and "bind it" for anyone else to take it.
 */
export interface PortPair extends Disposable {
  readonly rtpPort: number;
  readonly rtcpPort: number;
  readonly rtp: UdpSocket;
  readonly rtcp: UdpSocket;
  /** A TCP listener on the RTP port, when asked for (RTP over TCP, passive mode). */
  readonly tcp?: Server;
  /** Closes every socket of the pair (whichever are still open) and returns the port to the pool. Idempotent. */
  release(): void;
}

export interface PortPoolOptions {
  /** First port of the range (inclusive). */
  readonly min: number;
  /** Last port of the range (inclusive). */
  readonly max: number;
  /** Address the sockets bind to. */
  readonly bindIp: string;
  /** Kernel receive buffer asked for each RTP socket (bursts of a 4K keyframe are large). */
  readonly udpReceiveBufferBytes?: number;
}

export interface AllocateOptions {
  /** Also listen on TCP on the RTP port. */
  readonly tcp?: boolean;
  /** A specific RTP port instead of the next free one from the range. */
  readonly port?: number;
}

export interface PortPoolStats {
  /** Pairs the range holds. */
  readonly size: number;
  readonly inUse: number;
  /** allocate() calls that found no pair. */
  readonly allocationFailures: number;
  /** Pairs skipped because another process held one of their ports. */
  readonly busySkipped: number;
}

const DEFAULT_UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

/**
 * The one pool that RTP servers and RTSP-over-UDP pulls take ports from. UDP
 * and TCP share it, so no port is ever handed out twice; every error path of an
 * allocation closes what it had bound. Ports are taken round-robin, so a port
 * just released (late packets still in flight, TCP TIME_WAIT) is the last to be
 * handed out again.
 */
export class PortPool {
  readonly #options: PortPoolOptions;
  readonly #inUse = new Set<number>();
  #cursor: number;
  #allocationFailures = 0;
  #busySkipped = 0;

  constructor(options: PortPoolOptions) {
    const first = options.min % 2 === 0 ? options.min : options.min + 1;
    if (!(Number.isInteger(options.min) && Number.isInteger(options.max) && first >= 1024 && first + 1 <= options.max && options.max <= 65535)) {
      throw new CoreError('INVALID_ARGUMENT', `port range ${options.min}-${options.max} must hold at least one even/odd pair within 1024-65535`);
    }
    this.#options = options;
    this.#cursor = first;
  }

  get stats(): PortPoolStats {
    return {
      size: this.size,
      inUse: this.#inUse.size,
      allocationFailures: this.#allocationFailures,
      busySkipped: this.#busySkipped,
    };
  }

  /** Pairs in the range. */
  get size(): number {
    const first = this.#options.min % 2 === 0 ? this.#options.min : this.#options.min + 1;
    return Math.floor((this.#options.max - first + 1) / 2);
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** RTP ports currently handed out. */
  ports(): number[] {
    return [...this.#inUse].sort((a, b) => a - b);
  }

  async allocate(options: AllocateOptions = {}): Promise<PortPair> {
    if (options.port !== undefined) return this.#allocateExplicit(options.port, options.tcp ?? false);
    const first = this.#options.min % 2 === 0 ? this.#options.min : this.#options.min + 1;
    const size = this.size;
    for (let tried = 0; tried < size; tried++) {
      const port = this.#cursor;
      this.#cursor = port + 2 + 1 > this.#options.max ? first : port + 2;
      if (this.#inUse.has(port)) continue;
      this.#inUse.add(port); // reserved before the first await: concurrent calls never race for it
      const pair = await this.#bind(port, options.tcp ?? false);
      if (pair) return pair;
      this.#inUse.delete(port);
      this.#busySkipped++;
    }
    this.#allocationFailures++;
    throw new CoreError('PORTS_EXHAUSTED', `no free RTP port pair in ${this.#options.min}-${this.#options.max}`);
  }

  async #allocateExplicit(port: number, tcp: boolean): Promise<PortPair> {
    if (!Number.isInteger(port) || port < 1 || port + 1 > 65535) {
      throw new CoreError('INVALID_ARGUMENT', `port ${port} is not a usable RTP port`);
    }
    if (this.#inUse.has(port) || this.#inUse.has(port - 1) || this.#inUse.has(port + 1)) {
      throw new CoreError('PORT_IN_USE', `port ${port} is already in use by Sluice`);
    }
    this.#inUse.add(port);
    const pair = await this.#bind(port, tcp);
    if (pair) return pair;
    this.#inUse.delete(port);
    this.#allocationFailures++;
    throw new CoreError('PORT_IN_USE', `port ${port} or ${port + 1} is in use by another process`);
  }

  /** Binds UDP RTP, UDP RTCP and optionally TCP; on any failure closes what it bound and returns undefined. */
  async #bind(port: number, tcp: boolean): Promise<PortPair | undefined> {
    const opened: Array<() => void> = [];
    const closeAll = (): void => {
      for (const close of opened.splice(0).reverse()) close();
    };
    try {
      const rtp = await bindUdp(port, this.#options.bindIp);
      opened.push(() => closeQuietly(rtp));
      const rtcp = await bindUdp(port + 1, this.#options.bindIp);
      opened.push(() => closeQuietly(rtcp));
      let server: Server | undefined;
      if (tcp) {
        server = await listenTcp(port, this.#options.bindIp);
        const s = server;
        opened.push(() => s.close());
      }
      try {
        rtp.setRecvBufferSize(this.#options.udpReceiveBufferBytes ?? DEFAULT_UDP_RECEIVE_BUFFER);
      } catch {
        // The kernel caps the size (net.core.rmem_max); the default still works.
      }
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        closeAll();
        this.#inUse.delete(port);
      };
      return { rtpPort: port, rtcpPort: port + 1, rtp, rtcp, tcp: server, release, [Symbol.dispose]: release };
    } catch (err) {
      closeAll();
      if (isAddressInUse(err)) return undefined;
      throw err;
    }
  }
}

function isAddressInUse(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE' || code === 'EACCES';
}

function bindUdp(port: number, address: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', reuseAddr: false });
    const onError = (err: Error): void => {
      closeQuietly(socket);
      reject(err);
    };
    socket.once('error', onError);
    socket.bind({ port, address, exclusive: true }, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function listenTcp(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    const onError = (err: Error): void => {
      server.close();
      reject(err);
    };
    server.once('error', onError);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function closeQuietly(socket: UdpSocket): void {
  try {
    socket.close();
  } catch {
    // Already closed by its user: nothing left to release.
  }
}
