/**
 * An ordered, case-insensitive multimap of RTSP header fields. Order is kept
 * because some fields repeat with meaning (several WWW-Authenticate challenges,
 * one per scheme) and because cameras are happier with requests that look like
 * the ones their vendor's client sends.
 *
 * Specification: RFC 2326, section 4.2 (field names are case-insensitive) and 12.
 */
export class RtspHeaders implements Iterable<[string, string]> {
  private readonly entries: [string, string][] = [];

  constructor(init?: Iterable<readonly [string, string]> | Record<string, string | number | undefined>) {
    if (init === undefined) return;
    if (Symbol.iterator in init) {
      for (const [name, value] of init as Iterable<readonly [string, string]>) this.append(name, value);
    } else {
      for (const [name, value] of Object.entries(init)) if (value !== undefined) this.append(name, String(value));
    }
  }

  /** The first value of `name`, or undefined. */
  get(name: string): string | undefined {
    const key = name.toLowerCase();
    return this.entries.find(([n]) => n.toLowerCase() === key)?.[1];
  }

  getAll(name: string): string[] {
    const key = name.toLowerCase();
    return this.entries.filter(([n]) => n.toLowerCase() === key).map(([, v]) => v);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  append(name: string, value: string): this {
    this.entries.push([name, value]);
    return this;
  }

  /** Replaces every value of `name` with one. */
  set(name: string, value: string): this {
    this.delete(name);
    return this.append(name, value);
  }

  delete(name: string): void {
    const key = name.toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i]![0].toLowerCase() === key) this.entries.splice(i, 1);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.entries[Symbol.iterator]();
  }

  /** A plain object (first value wins), handy in tests and logs. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [n, v] of this.entries) if (!(n in out)) out[n] = v;
    return out;
  }
}
