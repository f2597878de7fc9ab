import { createUdpPortPair, type UdpPortPair } from '../../src/index.js';

/**
 * A pool-like UDP allocator for tests: the built-in allocator on 127.0.0.1, counting
 * the pairs handed out and not yet released. A second release() throws, so a
 * double release fails the test that caused it.
 */
export interface CountingAllocator {
  outstanding(): number;
  total(): number;
  udpPorts(): Promise<UdpPortPair>;
}

export function countingAllocator(): CountingAllocator {
  let out = 0;
  let total = 0;
  return {
    outstanding: () => out,
    total: () => total,
    udpPorts: async () => {
      const pair = await createUdpPortPair({ address: '127.0.0.1' });
      out++;
      total++;
      let released = false;
      return {
        ...pair,
        release: () => {
          if (released) throw new Error('released twice');
          released = true;
          out--;
          pair.release();
        },
      };
    },
  };
}
