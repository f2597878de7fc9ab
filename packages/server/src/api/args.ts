import { ApiCode, ApiError, invalidArg } from './codes.js';

/**
 * A request's arguments, merged from the JSON or form body and the query
 * string (the query wins, as product.md section 3 says). Every accessor names
 * the parameter in its error, so a caller knows what to fix.
 */
export class ApiArgs {
  constructor(
    private readonly values: ReadonlyMap<string, string>,
    private readonly structured: ReadonlyMap<string, unknown> = new Map(),
  ) {}

  static fromSources(query: URLSearchParams, body: Record<string, unknown>): ApiArgs {
    const values = new Map<string, string>();
    const structured = new Map<string, unknown>();
    for (const [k, v] of Object.entries(body)) {
      if (v === null || v === undefined) continue;
      // Scalars are read as strings like query values; arrays and objects are
      // kept as they are for the calls that take them (bulk, url lists).
      if (typeof v === 'object') structured.set(k, v);
      else values.set(k, String(v));
    }
    for (const [k, v] of query) values.set(k, v);
    return new ApiArgs(values, structured);
  }

  /** An argument given as a JSON array or object in the body (or as JSON text in the query). */
  json(name: string): unknown {
    if (this.structured.has(name)) return this.structured.get(name);
    const text = this.values.get(name);
    if (text === undefined || text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw invalidArg(name, 'is not valid JSON');
    }
  }

  /** A list of strings: a JSON array, or one comma-free string. */
  stringList(name: string): string[] | undefined {
    const v = this.structured.get(name) ?? this.values.get(name);
    if (v === undefined || v === '') return undefined;
    if (typeof v === 'string') return v.trim().startsWith('[') ? asStringList(name, this.json(name)) : [v];
    return asStringList(name, v);
  }

  has(name: string): boolean {
    const v = this.values.get(name);
    return v !== undefined && v !== '';
  }

  raw(name: string): string | undefined {
    return this.values.get(name);
  }

  string(name: string): string {
    const v = this.values.get(name);
    if (v === undefined || v === '') throw new ApiError(ApiCode.InvalidArgs, `missing required argument: ${name}`);
    return v;
  }

  optionalString(name: string): string | undefined {
    const v = this.values.get(name);
    return v === undefined || v === '' ? undefined : v;
  }

  int(name: string, options: { default?: number; min?: number; max?: number } = {}): number {
    const v = this.values.get(name);
    if (v === undefined || v === '') {
      if (options.default === undefined) throw new ApiError(ApiCode.InvalidArgs, `missing required argument: ${name}`);
      return options.default;
    }
    if (!/^-?\d+$/.test(v.trim())) throw invalidArg(name, `"${v}" is not an integer`);
    const n = Number(v);
    if (options.min !== undefined && n < options.min) throw invalidArg(name, `${n} is below ${options.min}`);
    if (options.max !== undefined && n > options.max) throw invalidArg(name, `${n} is above ${options.max}`);
    return n;
  }

  number(name: string, options: { default: number; min?: number; max?: number }): number {
    const v = this.values.get(name);
    if (v === undefined || v === '') return options.default;
    const n = Number(v);
    if (!Number.isFinite(n)) throw invalidArg(name, `"${v}" is not a number`);
    if (options.min !== undefined && n < options.min) throw invalidArg(name, `${n} is below ${options.min}`);
    if (options.max !== undefined && n > options.max) throw invalidArg(name, `${n} is above ${options.max}`);
    return n;
  }

  bool(name: string, defaultValue: boolean): boolean {
    const v = this.values.get(name);
    if (v === undefined || v === '') return defaultValue;
    const s = v.trim().toLowerCase();
    if (s === '1' || s === 'true' || s === 'yes' || s === 'on') return true;
    if (s === '0' || s === 'false' || s === 'no' || s === 'off') return false;
    throw invalidArg(name, `"${v}" is not a boolean (use 0 or 1)`);
  }
}

function asStringList(name: string, v: unknown): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalidArg(name, 'must be a list of strings');
  return v;
}
