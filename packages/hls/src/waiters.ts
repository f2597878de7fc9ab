import { HlsError } from './errors.js';

/**
 * Asks whether a blocked request can be answered: a value answers it, undefined keeps
 * it waiting, a thrown HlsError fails it.
 */
export type Readiness<T> = () => T | undefined;

interface Waiter {
  /** Answers or fails the request when it can; returns whether it settled. */
  poll(): boolean;
}

/**
 * Blocked requests (blocking playlist reload, preload-hinted parts). Each one is
 * polled after every change to what the packager publishes, and ends by its answer,
 * its timeout or its AbortSignal, whichever comes first; each path removes it.
 */
export class Waiters {
  readonly #waiting = new Set<Waiter>();

  get size(): number {
    return this.#waiting.size;
  }

  wait<T>(ready: Readiness<T>, timeoutMs: number, signal: AbortSignal | undefined, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new HlsError('ABORTED', `${what}: aborted`));
        return;
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const settle = (f: () => void) => {
        this.#waiting.delete(waiter);
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        f();
      };
      const onAbort = () => settle(() => reject(new HlsError('ABORTED', `${what}: aborted`)));
      const waiter: Waiter = {
        poll: () => {
          let value: T | undefined;
          try {
            value = ready();
          } catch (err) {
            settle(() => reject(err));
            return true;
          }
          if (value === undefined) return false;
          settle(() => resolve(value));
          return true;
        },
      };
      if (waiter.poll()) return;
      timer = setTimeout(() => settle(() => reject(new HlsError('TIMEOUT', `${what}: not ready after ${timeoutMs} ms`))), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.add(waiter);
    });
  }

  /** Re-checks every blocked request. */
  wake(): void {
    for (const w of [...this.#waiting]) w.poll();
  }
}
