import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';

export const SECRET_FILE = 'secret';

/**
 * The API secret: the configured one, or one generated at first start and kept
 * in the data directory. There is no well-known default: servers shipped with
 * one get found and abused.
 */
export function resolveSecret(configured: string, dataDir: string): { secret: string; file?: string; generated: boolean } {
  if (configured !== '') return { secret: configured, generated: false };
  const file = join(dataDir, SECRET_FILE);
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing !== '') return { secret: existing, file, generated: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(24).toString('base64url');
  // Write-then-rename so a crash never leaves a half-written secret behind.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, secret + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  return { secret, file, generated: true };
}
