import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { streamKeyString } from '@sluice/core';
import type { ProxySpec } from '../proxy/stream-proxy.js';
import type { ProxyStore } from './proxy-store.js';

export const STORE_FILE = 'proxies.json';
export const STORE_SCHEMA_VERSION = 1;

interface StoreFile {
  schemaVersion: number;
  savedAt: string;
  proxies: ProxySpec[];
}

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/**
 * The embedded store: one JSON document in the data directory.
 *
 * Durability: every change writes the whole document to a temporary file,
 * fsyncs it, renames it over the old one and fsyncs the directory. A rename is
 * atomic, so a crash or `kill -9` at any instant leaves either the old or the
 * new document, never a torn one. Changes that arrive while a write is in
 * flight are folded into the next write (one write per burst, not per call),
 * which keeps bulk changes fast.
 */
export class FileProxyStore implements ProxyStore {
  readonly file: string;
  private readonly specs = new Map<string, ProxySpec>();
  private loaded = false;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];

  constructor(dataDir: string) {
    this.file = join(dataDir, STORE_FILE);
  }

  async load(): Promise<ProxySpec[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.loaded = true;
      return [];
    }
    let doc: StoreFile;
    try {
      doc = JSON.parse(text) as StoreFile;
    } catch (err) {
      throw new StoreError(`${this.file} is not valid JSON (${(err as Error).message}); refusing to start over it`);
    }
    if (doc.schemaVersion !== STORE_SCHEMA_VERSION || !Array.isArray(doc.proxies)) {
      throw new StoreError(`${this.file}: unsupported schemaVersion ${String(doc.schemaVersion)}`);
    }
    this.specs.clear();
    for (const spec of doc.proxies) this.specs.set(streamKeyString(spec), spec);
    this.loaded = true;
    return [...this.specs.values()];
  }

  put(spec: ProxySpec): Promise<void> {
    this.assertLoaded();
    this.specs.set(streamKeyString(spec), spec);
    return this.scheduleWrite();
  }

  delete(key: string): Promise<void> {
    this.assertLoaded();
    if (!this.specs.delete(key)) return Promise.resolve();
    return this.scheduleWrite();
  }

  private assertLoaded(): void {
    // Writing before loading would replace the file with a partial view.
    if (!this.loaded) throw new StoreError('store used before load()');
  }

  private scheduleWrite(): Promise<void> {
    this.dirty = true;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.writing) this.writing = this.flushLoop();
    return done;
  }

  private async flushLoop(): Promise<void> {
    while (this.dirty) {
      this.dirty = false;
      const waiters = this.waiters;
      this.waiters = [];
      try {
        await this.writeAtomically();
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err as Error);
      }
    }
    this.writing = undefined;
  }

  private async writeAtomically(): Promise<void> {
    const doc: StoreFile = {
      schemaVersion: STORE_SCHEMA_VERSION,
      savedAt: new Date().toISOString(),
      proxies: [...this.specs.values()],
    };
    const dir = dirname(this.file);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(doc, null, 1));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.file);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
