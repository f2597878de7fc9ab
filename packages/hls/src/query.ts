import { HlsError } from './errors.js';

/** A decimal-integer as RFC 8216bis section 4.2 spells it: digits only, no sign, no exponent. */
const DECIMAL_INTEGER = /^\d{1,15}$/;

/**
 * Reads the blocking-reload delivery directives of a media playlist request.
 * `_HLS_skip` is ignored: the playlist does not advertise CAN-SKIP-UNTIL, and the
 * spec says a server without it ignores the directive.
 *
 * Specification: RFC 8216bis section 6.2.5.2 (Blocking Playlist Reload)
 */
export function parseHlsQuery(params: URLSearchParams): { msn?: number; part?: number } {
  const msn = readInteger(params, '_HLS_msn');
  const part = readInteger(params, '_HLS_part');
  // "If the Playlist URI contains an _HLS_part directive but no _HLS_msn directive,
  // the Server MUST return Bad Request."
  if (part !== undefined && msn === undefined) {
    throw new HlsError('BAD_REQUEST', '_HLS_part requires _HLS_msn');
  }
  const out: { msn?: number; part?: number } = {};
  if (msn !== undefined) out.msn = msn;
  if (part !== undefined) out.part = part;
  return out;
}

function readInteger(params: URLSearchParams, name: string): number | undefined {
  const values = params.getAll(name);
  if (values.length === 0) return undefined;
  if (values.length > 1) throw new HlsError('BAD_REQUEST', `${name} given ${values.length} times`);
  const value = values[0];
  if (!DECIMAL_INTEGER.test(value)) {
    throw new HlsError('BAD_REQUEST', `${name} must be a non-negative decimal integer, got ${JSON.stringify(value.slice(0, 32))}`);
  }
  return Number(value);
}
