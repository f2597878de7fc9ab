import type { Logger } from '../log.js';
import { RateLimitedLog } from '../log.js';

export type HookName =
  | 'on_stream_changed'
  | 'on_stream_none_reader'
  | 'on_stream_not_found'
  | 'on_server_started'
  | 'on_server_keepalive'
  | 'on_proxy_state_changed'
  | 'on_publish'
  | 'on_play'
  | 'on_rtp_server_timeout';

export interface HookDispatcherOptions {
  enabled: boolean;
  mediaServerId: string;
  /** Hook URLs from the config only: a request can never choose where Sluice posts. */
  urls: Partial<Record<HookName, string>>;
  timeoutMs: number;
  /** Extra attempts after a failed one. */
  retries: number;
  retryDelayMs: number;
  /** Hooks in flight at once; more are dropped and counted, so a dead hook server cannot grow memory. */
  maxInFlight: number;
  log: Logger;
}

/**
 * Posts hook events as JSON (with `mediaServerId`) to the configured URLs.
 * Nothing on the media path awaits a hook: `fire` returns at once, and `call`
 * (for hooks whose reply matters) is bounded by the timeout and retries.
 */
export class HookDispatcher {
  private inFlight = 0;
  readonly stats = { sent: 0, failed: 0, dropped: 0 };
  private readonly failureLog: RateLimitedLog;

  constructor(private readonly options: HookDispatcherOptions) {
    this.failureLog = new RateLimitedLog(options.log, 30_000);
  }

  has(name: HookName): boolean {
    return this.options.enabled && !!this.options.urls[name];
  }

  /** Fire and forget. */
  fire(name: HookName, payload: Record<string, unknown>): void {
    void this.call(name, payload);
  }

  /**
   * Posts and returns the parsed JSON reply, or undefined when the hook is not
   * configured, failed after its retries, or was dropped.
   */
  async call(name: HookName, payload: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    const url = this.options.enabled ? this.options.urls[name] : undefined;
    if (!url) return undefined;
    if (this.inFlight >= this.options.maxInFlight) {
      this.stats.dropped++;
      this.failureLog.log('warn', 'hook dropped: too many in flight', { hook: name, inFlight: this.inFlight });
      return undefined;
    }
    this.inFlight++;
    try {
      const body = JSON.stringify({ mediaServerId: this.options.mediaServerId, hook: name, ...payload });
      for (let attempt = 0; ; attempt++) {
        try {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            signal: AbortSignal.timeout(this.options.timeoutMs),
          });
          const text = await res.text();
          if (!res.ok) throw new Error(`HTTP ${res.status}`);
          this.stats.sent++;
          if (text.trim() === '') return {};
          const parsed = JSON.parse(text) as unknown;
          return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
        } catch (err) {
          if (attempt >= this.options.retries) throw err;
          await new Promise((r) => setTimeout(r, this.options.retryDelayMs));
        }
      }
    } catch (err) {
      this.stats.failed++;
      this.failureLog.log('warn', 'hook failed', { hook: name, url, err: (err as Error).message });
      return undefined;
    } finally {
      this.inFlight--;
    }
  }
}
