/**
 * node-media-server (npm, 4.x) as a peer in the fan-out benchmark, in a process of its own:
 * RTMP and HTTP (HTTP-FLV at /<app>/<name>.flv) on the given loopback ports, webadmin and
 * API off, logging errors only, its store in a temp dir, and one RTMP pull relay task
 * (its own "RTSP/RTMP relay tasks") that pulls `--pull` into /live/src.
 *
 *   node --import tsx benchmarks/lib/nms-server.ts --rtmp-port R --http-port H --pull rtmp://127.0.0.1:O/live/src
 *
 * Prints "listening" once both ports accept connections, then "publishing" once the relay
 * has the stream's video sequence header; exits on SIGTERM, when stdin closes, or after
 * --max-seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);

/** The parts of node-media-server's (untyped, CommonJS) API this script uses. */
interface Nms {
  run(): Promise<void>;
  stop(): Promise<void>;
  relayServer: { addTask(config: Record<string, unknown>): unknown };
}
type NmsConstructor = new (config: Record<string, unknown>, configPath: string) => Nms;
interface NmsContext {
  broadcasts: Map<string, { publisher: unknown; flvVideoHeader: Buffer | null }>;
}

const NodeMediaServer = require('node-media-server') as NmsConstructor;
const logger = require('node-media-server/src/core/logger.js') as { level: string };
const context = require('node-media-server/src/core/context.js') as NmsContext;
const NMS_VERSION: string = (require('node-media-server/package.json') as { version: string }).version;

const { values } = parseArgs({
  options: {
    'rtmp-port': { type: 'string' },
    'http-port': { type: 'string' },
    pull: { type: 'string' },
    path: { type: 'string', default: '/live/src' },
    'max-seconds': { type: 'string', default: '1800' },
  },
});
if (!values['rtmp-port'] || !values['http-port'] || !values.pull) {
  process.stderr.write('usage: nms-server.ts --rtmp-port R --http-port H --pull rtmp://… [--path /live/src]\n');
  process.exit(2);
}
const rtmpPort = Number(values['rtmp-port']);
const httpPort = Number(values['http-port']);
const dataDir = mkdtempSync(join(tmpdir(), 'sluice-bench-nms-'));

const nms = new NodeMediaServer(
  {
    bind: '127.0.0.1',
    rtmp: { port: rtmpPort },
    http: { port: httpPort },
    store: { path: dataDir },
    webadmin: { enable: false },
    auth: { play: false, publish: false },
    record: { auto: false, path: join(dataDir, 'record') },
  },
  '',
);
// The constructor sets the level to debug (a line per session); errors only while measuring.
logger.level = 'error';

let quitting = false;
async function quit(code: number): Promise<never> {
  if (!quitting) {
    quitting = true;
    const t = setTimeout(() => process.exit(code), 3000);
    t.unref();
    try {
      await nms.stop();
    } catch {
      // exiting anyway
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(code);
}
process.on('SIGTERM', () => void quit(0));
process.on('SIGINT', () => void quit(0));
process.stdin.on('end', () => void quit(0)).resume();
setTimeout(() => void quit(3), Number(values['max-seconds']) * 1000).unref();

const accepts = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

await nms.run();
for (let i = 0; !((await accepts(rtmpPort)) && (await accepts(httpPort))); i++) {
  if (i > 100) {
    process.stderr.write('nms-server: ports never accepted connections\n');
    await quit(1);
  }
  await sleep(100);
}
process.stdout.write(`listening node-media-server ${NMS_VERSION}\n`);
nms.relayServer.addTask({ url: values.pull, mode: 'pull', streamPath: values.path, reconnect: true });
for (;;) {
  const b = context.broadcasts.get(values.path!);
  if (b?.publisher && b.flvVideoHeader) break;
  await sleep(100);
}
process.stdout.write('publishing\n');
