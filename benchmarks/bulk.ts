/**
 * Bulk proxy API: 1000 on-demand proxies added in one request (nothing connects),
 * then deleted in one request; and a restart that restores them. Times each, on
 * the relay as a child process (built dist), loopback only.
 *
 *   pnpm run build && pnpm exec tsx benchmarks/bulk.ts [--count 1000] [--rounds 5] [--no-results]
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { freePort } from '../test/helpers/free-port.js';
import { startRelay, type Relay } from '../test/helpers/relay.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '5' },
    'no-results': { type: 'boolean', default: false },
  },
});
const count = Number(values.count);
const rounds = Number(values.rounds);

async function post(relay: Relay, name: string, body: unknown): Promise<any> {
  const res = await fetch(`${relay.base}/index/api/${name}?secret=${relay.secret}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

function items(round: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    app: 'bulk',
    stream: `r${round}-cam${i}`,
    url: `rtmp://127.0.0.1:9/live/cam${i}`,
    on_demand: 1,
  }));
}

const ms = (t0: number): number => performance.now() - t0;
const addMs: number[] = [];
const deleteMs: number[] = [];
const restoreMs: number[] = [];
let relay = await startRelay({ port: await freePort() });
try {
  for (let round = 0; round < rounds; round++) {
    let t0 = performance.now();
    const added = await post(relay, 'bulkStreamProxy', { add: items(round) });
    addMs.push(ms(t0));
    if (added.code !== 0 || added.data.add.some((r: any) => r.code !== 0)) throw new Error('bulk add failed');
    // Restart and time until the relay answers with every proxy listed.
    const { port, dataDir } = relay;
    await relay.stop();
    t0 = performance.now();
    relay = await startRelay({ port, dataDir });
    const list = await relay.api('listStreamProxy');
    restoreMs.push(ms(t0));
    if (list.data.length !== count) throw new Error(`restored ${list.data.length} of ${count}`);
    t0 = performance.now();
    const deleted = await post(relay, 'bulkStreamProxy', { delete: items(round).map((i) => `__defaultVhost__/bulk/${i.stream}`) });
    deleteMs.push(ms(t0));
    if (deleted.data.delete.some((r: any) => r.flag !== true)) throw new Error('bulk delete failed');
  }
} finally {
  await relay.stop();
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(0)} ms, max ${s[s.length - 1]!.toFixed(0)} ms`;
};
const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
const report = `
## Bulk proxy API: ${count} proxies in one request

- Command: \`pnpm run build && pnpm exec tsx benchmarks/bulk.ts --count ${count} --rounds ${rounds}\`
- Date: ${execFileSync('date', ['-u']).toString().trim()}; Node ${process.version}; CPU: ${cpu}, ${cpus().length} cores
- Method: the relay runs as a child process (built dist, file store in a temp dir). Each round POSTs
  \`bulkStreamProxy\` with ${count} on-demand proxies (validated, added, persisted with fsync before the
  reply), restarts the relay and times until \`listStreamProxy\` lists all ${count} (process start, store
  load, restore, port bind), then deletes them in one request. ${rounds} rounds.

| step | ${rounds} rounds |
|---|---|
| add ${count} in one request (reply after all are persisted) | ${stats(addMs)} |
| restart until all ${count} are listed | ${stats(restoreMs)} |
| delete ${count} in one request | ${stats(deleteMs)} |

Target (issue 8): ${count === 1000 ? `1000 proxies added in one request in under a second — ${Math.max(...addMs) < 1000 ? 'met' : 'missed'} (worst round ${Math.max(...addMs).toFixed(0)} ms).` : 'measured with a non-default count.'}
`;
process.stdout.write(report);
if (!values['no-results']) appendFileSync(new URL('./RESULTS.md', import.meta.url), report);
