import type { MediaSource, StreamRegistry } from '@sluice/core';
import type { HookDispatcher } from '../hooks/dispatcher.js';
import type { Logger } from '../log.js';
import type { ProxyManager } from './manager.js';

/**
 * The close-after-idle half of on-demand pulling. When a stream has had no
 * viewer for `delayMs`, `on_stream_none_reader` is sent; the stream closes when
 * the hook answers `{close: true}`, or, with no hook configured, when it is an
 * on-demand proxy (which returns to idle, ready for the next viewer). A viewer
 * arriving during the delay cancels it.
 */
export class NoneReaderWatch {
  private readonly timers = new Map<MediaSource, NodeJS.Timeout>();

  constructor(
    private readonly registry: StreamRegistry,
    private readonly proxies: ProxyManager,
    private readonly hooks: HookDispatcher,
    private readonly delayMs: number,
    private readonly log: Logger,
  ) {
    registry.on('registered', (source) => {
      const onViewers = (count: number): void => {
        if (count > 0) this.cancel(source);
        else this.arm(source);
      };
      source.on('viewers', onViewers);
      source.once('close', () => {
        source.off('viewers', onViewers);
        this.cancel(source);
      });
      if (source.viewerCount === 0) this.arm(source);
    });
  }

  private arm(source: MediaSource): void {
    this.cancel(source);
    const timer = setTimeout(() => {
      this.timers.delete(source);
      void this.expire(source);
    }, this.delayMs);
    timer.unref();
    this.timers.set(source, timer);
  }

  private cancel(source: MediaSource): void {
    const timer = this.timers.get(source);
    if (timer) clearTimeout(timer);
    this.timers.delete(source);
  }

  private async expire(source: MediaSource): Promise<void> {
    if (source.closed || source.viewerCount > 0) return;
    const proxy = this.proxies.get(source.keyString);
    let close = proxy?.spec.onDemand ?? false;
    if (this.hooks.has('on_stream_none_reader')) {
      const reply = await this.hooks.call('on_stream_none_reader', {
        vhost: source.key.vhost,
        app: source.key.app,
        stream: source.key.stream,
        schema: 'fmp4',
      });
      // No usable answer (hook down): fall back to the on-demand rule.
      if (reply && typeof reply.close === 'boolean') close = reply.close;
    }
    // Someone may have started watching while the hook was being asked.
    if (source.closed || source.viewerCount > 0) return;
    if (!close) {
      this.arm(source);
      return;
    }
    this.log.info('closing a stream nobody watches', { stream: source.keyString, proxy: !!proxy });
    if (proxy) await proxy.goIdle('no viewers');
    else this.registry.remove(source.key, 'no viewers');
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
