#!/usr/bin/env node
/**
 * `sluice [--config FILE]`: runs the relay in the foreground until SIGTERM/SIGINT.
 * Every config key can also come from SLUICE_<SECTION>_<KEY>.
 */
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { loadConfig, ConfigError, CONFIG_SCHEMA, envVarName } from './config.js';
import { SluiceServer } from './server.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write('usage: sluice [--config FILE.ini|FILE.json]\n\nconfig keys (env var, default):\n');
  for (const [key, entry] of Object.entries(CONFIG_SCHEMA)) {
    process.stdout.write(`  ${key.padEnd(32)} ${envVarName(key).padEnd(34)} ${JSON.stringify(entry.default)}\n    ${entry.doc}\n`);
  }
  process.exit(0);
}

const file = values.config ?? (existsSync('sluice.ini') ? 'sluice.ini' : undefined);
let server: SluiceServer;
try {
  server = new SluiceServer({ config: loadConfig({ file }) });
  await server.start();
} catch (err) {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`sluice failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}

let stopping = false;
const shutdown = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  server.log.info('shutting down', { signal });
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
