/** A web-hook receiver for tests: records every hook and answers as told. */
import { createServer, type Server } from 'node:http';

export interface ReceivedHook {
  readonly name: string;
  readonly body: Record<string, any>;
  readonly at: number;
}

export type HookReply = (hook: ReceivedHook) => Promise<Record<string, unknown> | 'never'> | Record<string, unknown> | 'never';

export interface HookServer {
  readonly url: string;
  readonly received: ReceivedHook[];
  /** Reply for a hook name; 'never' leaves the request hanging (a dead hook server). */
  reply(name: string, reply: HookReply): void;
  waitFor(name: string, predicate: (h: ReceivedHook) => boolean, timeoutMs: number): Promise<ReceivedHook>;
  close(): Promise<void>;
}

export async function startHookServer(): Promise<HookServer> {
  const received: ReceivedHook[] = [];
  const replies = new Map<string, HookReply>();
  const waiters = new Set<{ name: string; predicate: (h: ReceivedHook) => boolean; resolve: (h: ReceivedHook) => void }>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const name = (req.url ?? '/').replace(/^\/+/, '').split('?')[0]!;
      const hook: ReceivedHook = { name, body: JSON.parse(Buffer.concat(chunks).toString() || '{}'), at: Date.now() };
      received.push(hook);
      for (const w of waiters) if (w.name === name && w.predicate(hook)) w.resolve(hook);
      const answer = await (replies.get(name)?.(hook) ?? { code: 0 });
      if (answer === 'never') return; // hold the request open
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 0, ...answer }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    reply: (name, reply) => replies.set(name, reply),
    waitFor(name, predicate, timeoutMs) {
      const seen = received.find((h) => h.name === name && predicate(h));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = {
          name,
          predicate,
          resolve: (h: ReceivedHook) => {
            clearTimeout(t);
            waiters.delete(w);
            resolve(h);
          },
        };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`no ${name} hook within ${timeoutMs} ms (got: ${received.map((h) => h.name).join(', ')})`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** The relay's env to send every hook to this server, at `<url>/<hook name>`. */
export function hookEnv(server: HookServer, names: readonly string[]): Record<string, string> {
  const env: Record<string, string> = { SLUICE_HOOK_ENABLE: '1', SLUICE_HOOK_TIMEOUTSEC: '2', SLUICE_HOOK_RETRY: '0' };
  for (const n of names) env[`SLUICE_HOOK_${n.replace(/_/g, '').toUpperCase()}`] = `${server.url}/${n}`;
  return env;
}
