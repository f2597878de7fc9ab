import type { ProxySpec } from '../proxy/stream-proxy.js';

/**
 * Where proxies are kept across restarts. The relay talks only to this
 * interface so a shared store (several relay nodes behind one platform) can
 * replace the embedded file store.
 */
export interface ProxyStore {
  /** All stored proxies, in insertion order. */
  load(): Promise<ProxySpec[]>;
  /** Inserts or replaces the proxy with the same stream key; resolves once durable. */
  put(spec: ProxySpec): Promise<void>;
  /** Removes it; resolves once durable. No-op for an unknown key. */
  delete(key: string): Promise<void>;
}
