import { ApiCode, ApiError, invalidArg } from './codes.js';

/**
 * A request's arguments, merged from the JSON or form body and the query
 * string (the query wins, as product.md section 3 says). Every accessor names
 * the parameter in its error, so a caller knows what to fix.
 */
export class ApiArgs {
  constructor(private readonly values: ReadonlyMap<string, string>) {}

  static fromSources(query: URLSearchParams, body: Record<string, unknown>): ApiArgs {
    const values = new Map<string, string>();
    for (const [k, v] of Object.entries(body)) {
      if (v === null || v === undefined) continue;
      // Flat JSON only: a nested object is not an argument we know how to read.
      values.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
    for (const [k, v] of query) values.set(k, v);
    return new ApiArgs(values);
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
