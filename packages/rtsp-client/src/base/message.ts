import { RtspError } from '../errors.js';
import { RtspHeaders } from './headers.js';

// Specification: RFC 2326, sections 6 (request), 7 (response) and 4.3 (message
// length: Content-Length, absent means no body).
//
//   Request  = Method SP Request-URI SP RTSP-Version CRLF *(header CRLF) CRLF [body]
//   Response = RTSP-Version SP Status-Code SP Reason-Phrase CRLF *(header CRLF) CRLF [body]

export const RTSP_VERSION = 'RTSP/1.0';

export interface RtspRequest {
  readonly method: string;
  /** Request-URI: an absolute rtsp:// URL, or `*` for OPTIONS. */
  readonly uri: string;
  readonly headers: RtspHeaders;
  readonly body?: Uint8Array;
}

export interface RtspResponse {
  readonly status: number;
  readonly reason: string;
  readonly headers: RtspHeaders;
  /** Empty when there is no Content-Length. */
  readonly body: Uint8Array;
}

/** The start line and header fields of a message, before its body is read. */
export type RtspMessageHead =
  | { readonly kind: 'response'; readonly version: string; readonly status: number; readonly reason: string; readonly headers: RtspHeaders }
  | { readonly kind: 'request'; readonly version: string; readonly method: string; readonly uri: string; readonly headers: RtspHeaders };

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

/** Field values never hold line breaks: a CR or LF would let a value inject headers. */
function checkFieldText(text: string, what: string): void {
  if (/[\r\n]/.test(text)) throw new RtspError('BAD_URL', `${what} contains a line break`);
}

function serialize(startLine: string, headers: RtspHeaders, body: Uint8Array | undefined): Uint8Array {
  let head = `${startLine}\r\n`;
  for (const [name, value] of headers) {
    checkFieldText(name, 'header name');
    checkFieldText(value, `header ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  if (body !== undefined && body.byteLength > 0 && !headers.has('Content-Length')) {
    head += `Content-Length: ${body.byteLength}\r\n`;
  }
  head += '\r\n';
  const headBytes = encoder.encode(head);
  if (body === undefined || body.byteLength === 0) return headBytes;
  const out = new Uint8Array(headBytes.byteLength + body.byteLength);
  out.set(headBytes, 0);
  out.set(body, headBytes.byteLength);
  return out;
}

export function serializeRequest(request: RtspRequest): Uint8Array {
  checkFieldText(request.method, 'method');
  checkFieldText(request.uri, 'request URI');
  return serialize(`${request.method} ${request.uri} ${RTSP_VERSION}`, request.headers, request.body);
}

export function serializeResponse(response: Omit<RtspResponse, 'body'> & { body?: Uint8Array }): Uint8Array {
  return serialize(`${RTSP_VERSION} ${response.status} ${response.reason}`, response.headers, response.body);
}

const VERSION_PATTERN = /^RTSP\/\d\.\d$/;
/** Request methods are tokens (RFC 2326 section 15: extension-method = token). */
const METHOD_PATTERN = /^[A-Z_][A-Z0-9_-]*$/i;

/**
 * Parses a message head: the bytes up to (not including) the empty line. Folded
 * continuation lines (leading space or tab) are joined to the field before them;
 * lines without a colon are skipped (cameras send odd ones; nothing depends on them).
 */
export function parseMessageHead(bytes: Uint8Array): RtspMessageHead {
  const lines = decoder.decode(bytes).split(/\r?\n/);
  const startLine = lines[0] ?? '';
  const headers = new RtspHeaders();
  let last: [string, string] | null = null;
  const fields: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && last !== null) {
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    fields.push(last);
  }
  for (const [n, v] of fields) headers.append(n, v);

  if (startLine.startsWith('RTSP/')) {
    // Status-Line; the reason phrase may be empty or hold spaces.
    const m = /^(RTSP\/\d\.\d) +(\d{3})(?: +(.*))?$/.exec(startLine.trim());
    if (m === null) throw new RtspError('BAD_RESPONSE', `bad status line: ${JSON.stringify(startLine.slice(0, 80))}`);
    return { kind: 'response', version: m[1]!, status: Number(m[2]), reason: (m[3] ?? '').trim(), headers };
  }
  const parts = startLine.trim().split(/ +/);
  if (parts.length !== 3 || !METHOD_PATTERN.test(parts[0]!) || !VERSION_PATTERN.test(parts[2]!)) {
    throw new RtspError('BAD_RESPONSE', `bad start line: ${JSON.stringify(startLine.slice(0, 80))}`);
  }
  return { kind: 'request', version: parts[2]!, method: parts[0]!.toUpperCase(), uri: parts[1]!, headers };
}

/** Content-Length as a number; absent means 0 (RFC 2326 section 4.3). */
export function contentLength(headers: RtspHeaders): number {
  const raw = headers.get('Content-Length');
  if (raw === undefined) return 0;
  if (!/^\d{1,10}$/.test(raw)) throw new RtspError('BAD_RESPONSE', `bad Content-Length: ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** The body as text (SDP and parameter bodies are UTF-8). */
export function bodyText(body: Uint8Array): string {
  return decoder.decode(body);
}
