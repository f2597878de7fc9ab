/**
 * Bounds the upstream connection attempts in flight across all proxies (from
 * the connect until first media or failure), so a restart or a bulk add with a
 * thousand always-on proxies does not storm the upstreams, and a thousand
 * retries after a network blip spread out instead of arriving at once.
 */
export class ConnectLimiter {
  private active = 0;
  private readonly queue: Array<{ grant: () => void; signal: AbortSignal; onAbort: () => void }> = [];

  constructor(readonly limit: number) {}

  get inFlight(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Resolves with a release function once a slot is free; rejects if the signal aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        signal,
        grant: () => {
          signal.removeEventListener('abort', entry.onAbort);
          resolve(this.releaser());
        },
        onAbort: () => {
          const i = this.queue.indexOf(entry);
          if (i >= 0) this.queue.splice(i, 1);
          reject(signal.reason ?? new Error('aborted'));
        },
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
      this.queue.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next.grant(); // the slot passes straight on
      else this.active--;
    };
  }
}
