import { RtspError } from './errors.js';

// Specification: RFC 2326, section 3.2 (rtsp URL, default port 554) and RFC 7826
// section 20.2.1 (rtsps, default port 322); credentials in the authority as
// cameras print them (rtsp://admin:secret@192.168.1.64/Streaming/Channels/101).

export const DEFAULT_RTSP_PORT = 554;
export const DEFAULT_RTSPS_PORT = 322;

export interface RtspUrl {
  readonly protocol: 'rtsp' | 'rtsps';
  /** Host name or IP address, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
  /** Percent-decoded credentials from the authority, if any. */
  readonly user?: string;
  readonly password?: string;
  /** The URL without credentials: what goes into Request-URIs. */
  readonly href: string;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part; // a stray '%' in a camera password: take it literally
  }
}

export function parseRtspUrl(text: string): RtspUrl {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new RtspError('BAD_URL', `not a URL: ${JSON.stringify(text.slice(0, 200))}`);
  }
  const protocol = url.protocol.slice(0, -1).toLowerCase();
  if (protocol !== 'rtsp' && protocol !== 'rtsps') throw new RtspError('BAD_URL', `not an rtsp:// or rtsps:// URL: ${url.protocol}`);
  if (url.hostname === '') throw new RtspError('BAD_URL', 'URL without a host');
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (protocol === 'rtsps' ? DEFAULT_RTSPS_PORT : DEFAULT_RTSP_PORT) : Number(url.port);
  const user = url.username === '' ? undefined : decode(url.username);
  const password = url.password === '' ? (user === undefined ? undefined : '') : decode(url.password);
  url.username = '';
  url.password = '';
  return { protocol, host, port, user, password, href: url.href };
}

/** Removes credentials from a URL string for logs and Request-URIs (no-op on non-URLs). */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    url.username = '';
    url.password = '';
    return url.href;
  } catch {
    return text;
  }
}

/**
 * Resolves an SDP `a=control:` value against the session's base URL.
 *
 * Specification: RFC 2326, appendix C.1.1. An absolute control is used as is; `*`
 * (or no control) means the base itself. A relative one is appended to the base
 * with one '/' between, the way cameras and every widespread client do it, not by
 * RFC 3986 resolution: `rtsp://cam/live` + `trackID=1` must give
 * `rtsp://cam/live/trackID=1` (RFC 3986 would drop `live`), and Dahua's
 * `rtsp://cam/cam/realmonitor?channel=1&subtype=0/` + `trackID=0` must keep the query.
 */
export function resolveControl(base: string, control: string | undefined): string {
  const c = control?.trim();
  if (c === undefined || c === '' || c === '*') return base;
  if (/^rtsps?:\/\//i.test(c)) return c;
  if (base.endsWith('/')) return base + (c.startsWith('/') ? c.slice(1) : c);
  return `${base}${c.startsWith('/') ? '' : '/'}${c}`;
}
