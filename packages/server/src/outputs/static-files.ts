import type { ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The few files the relay serves itself: the player page and hls.js (from the
 * npm package, so the page works with no internet access). Read once, kept in memory.
 */
const require = createRequire(import.meta.url);
const FILES: Record<string, { path: () => string; type: string }> = {
  '/player.html': { path: () => new URL('../../public/player.html', import.meta.url).pathname, type: 'text/html; charset=utf-8' },
  '/assets/hls.min.js': { path: () => require.resolve('hls.js/dist/hls.min.js'), type: 'text/javascript; charset=utf-8' },
};
const cache = new Map<string, Buffer>();

export function serveStatic(pathname: string, res: ServerResponse): boolean {
  const file = FILES[pathname];
  if (!file) return false;
  let body = cache.get(pathname);
  if (!body) {
    body = readFileSync(file.path());
    cache.set(pathname, body);
  }
  res.writeHead(200, { 'content-type': file.type, 'content-length': body.length, 'cache-control': 'max-age=300' });
  res.end(body);
  return true;
}
