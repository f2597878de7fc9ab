import type { IncomingMessage, ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { ApiArgs } from './args.js';
import { ApiCode, ApiError } from './codes.js';
import type { Logger } from '../log.js';

/** What a handler returns: merged into the reply envelope `{ code: 0, ... }`. */
export type ApiReply = Record<string, unknown>;
export interface ApiContext {
  readonly req: IncomingMessage;
  readonly remoteAddress: string;
}
export type ApiHandler = (args: ApiArgs, ctx: ApiContext) => ApiReply | SerializedReply | Promise<ApiReply | SerializedReply>;

/** A whole reply, `{ "code": 0, ... }`, serialized ahead (a cached list): written as it is. */
export class SerializedReply {
  constructor(readonly body: Buffer) {}
}

export const API_PREFIX = '/index/api/';

export interface ApiRouterOptions {
  secret: string;
  maxBodyBytes: number;
  allowCrossDomains: boolean;
  log: Logger;
}

/**
 * The ZLMediaKit-compatible API: `/index/api/<name>`, name case-insensitive,
 * GET (query) or POST (form or flat JSON body). Every reply is HTTP 200 with
 * `{ code, msg?, data? }`; only transport problems (body too large, bad JSON)
 * use other HTTP statuses.
 */
export class ApiRouter {
  private readonly handlers = new Map<string, ApiHandler>();
  private readonly public = new Set<string>();
  /** The secret's bytes, for the constant-time comparison of every request's secret. */
  private readonly secretBytes: Buffer;
  private readonly replyHeaders: Record<string, string>;

  constructor(private readonly options: ApiRouterOptions) {
    this.secretBytes = Buffer.from(options.secret);
    this.replyHeaders = {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      ...this.corsHeaders(),
    };
  }

  /** Register a handler. `open` endpoints do not need the secret. */
  add(name: string, handler: ApiHandler, opts: { open?: boolean } = {}): this {
    this.handlers.set(name.toLowerCase(), handler);
    if (opts.open) this.public.add(name.toLowerCase());
    return this;
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }

  matches(pathname: string): boolean {
    return pathname.startsWith(API_PREFIX);
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const name = url.pathname.slice(API_PREFIX.length).replace(/\/+$/, '').toLowerCase();
    let body: string | Buffer;
    try {
      const args = ApiArgs.fromSources(url.searchParams, await readBody(req, this.options.maxBodyBytes));
      const handler = this.handlers.get(name);
      if (!handler) throw new ApiError(ApiCode.NotFound, `unknown api: ${name}`);
      if (!this.public.has(name)) this.checkSecret(args, req);
      const result = await handler(args, { req, remoteAddress: req.socket.remoteAddress ?? '' });
      body = result instanceof SerializedReply ? result.body : JSON.stringify({ code: ApiCode.Success, ...result });
    } catch (err) {
      if (err instanceof HttpStatusError) {
        res.writeHead(err.status, { 'content-type': 'application/json', ...this.corsHeaders() });
        res.end(JSON.stringify({ code: ApiCode.InvalidArgs, msg: err.message }));
        return;
      }
      let reply: Record<string, unknown>;
      if (err instanceof ApiError) {
        reply = { code: err.code, msg: err.message, ...err.extra };
      } else {
        this.options.log.error('api handler failed', { api: name, err: err as Error });
        reply = { code: ApiCode.Exception, msg: `internal error: ${(err as Error).message}` };
      }
      body = JSON.stringify(reply);
    }
    res.writeHead(200, {
      ...this.replyHeaders,
      'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.length,
    });
    res.end(body);
  }

  private corsHeaders(): Record<string, string> {
    return this.options.allowCrossDomains ? { 'access-control-allow-origin': '*' } : {};
  }

  private checkSecret(args: ApiArgs, req: IncomingMessage): void {
    const header = req.headers['secret'];
    const given = args.optionalString('secret') ?? (typeof header === 'string' ? header : undefined);
    if (given === undefined) throw new ApiError(ApiCode.AuthFailed, 'missing secret');
    if (!bytesMatch(Buffer.from(given), this.secretBytes)) throw new ApiError(ApiCode.AuthFailed, 'incorrect secret');
  }
}

/** Constant-time comparison, so the secret cannot be guessed byte by byte from response times. */
export function secretMatches(given: string | undefined, secret: string): boolean {
  return given !== undefined && bytesMatch(Buffer.from(given), Buffer.from(secret));
}

function bytesMatch(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads a form or JSON body, at most `limit` bytes. GET and bodiless requests give `{}`. */
async function readBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  if (req.method === 'GET' || req.method === 'HEAD') return {};
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpStatusError(413, `request body larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.destroy();
      throw new HttpStatusError(413, `request body larger than ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  if (size === 0) return {};
  const text = Buffer.concat(chunks).toString('utf8');
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.includes('json') || (!type.includes('form') && /^\s*[{[]/.test(text))) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new HttpStatusError(400, 'request body is not valid JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new HttpStatusError(400, 'request body must be a JSON object');
    }
    return parsed as Record<string, unknown>;
  }
  return Object.fromEntries(new URLSearchParams(text));
}
