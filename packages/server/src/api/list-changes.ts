import type { MediaSource, StreamRegistry } from '@sluice/core';
import type { ProxyManager } from '../proxy/manager.js';

/**
 * Calls `onChange` whenever something getMediaList or listStreamProxy shows changes other than
 * a running counter: a stream registered or gone, a stream's tracks or viewers, a proxy added,
 * removed or changing state. The list caches (ReplyCache) drop their replies on it.
 */
export function onListChange(registry: StreamRegistry, proxies: Pick<ProxyManager, 'on'>, onChange: () => void): void {
  const changed = (): void => onChange();
  const watch = (source: MediaSource): void => {
    source.on('tracks', changed);
    source.on('viewers', changed);
    onChange();
  };
  const unwatch = (source: MediaSource): void => {
    source.off('tracks', changed);
    source.off('viewers', changed);
    onChange();
  };
  registry.on('registered', watch);
  registry.on('unregistered', unwatch);
  for (const source of registry.list()) if (source.ready) watch(source);
  proxies.on('added', changed);
  proxies.on('removed', changed);
  proxies.on('state', changed);
}
