import { RtmpError } from './errors.js';

// Specification: none for RTMP URLs; this follows the common convention (FFmpeg,
// OBS, nginx-rtmp): rtmp[s]://host[:port]/app[/more/path]/stream[?query].
// The app is the first path segment; everything after it, query included, is the
// stream name passed to `play` (servers such as nginx-rtmp read `?token=…` there).

export interface RtmpUrl {
  readonly protocol: 'rtmp' | 'rtmps';
  /** Host name or IP address (IPv6 without brackets), as connect() wants it. */
  readonly host: string;
  readonly port: number;
  readonly app: string;
  /** Stream name with any query string, e.g. `cam1?token=abc` or `instance/cam1`. */
  readonly streamName: string;
  /** `protocol://authority/app`, sent in `connect`. */
  readonly tcUrl: string;
}

export const DEFAULT_RTMP_PORT = 1935;
export const DEFAULT_RTMPS_PORT = 443;

const URL_PATTERN = /^(rtmps?):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?$/i;
const AUTHORITY_PATTERN = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/;

function bad(url: string, why: string): RtmpError {
  return new RtmpError('BAD_URL', `invalid RTMP URL ${JSON.stringify(url)}: ${why}`);
}

export function parseRtmpUrl(url: string): RtmpUrl {
  const m = URL_PATTERN.exec(url);
  if (m === null) throw bad(url, 'expected rtmp://host[:port]/app/stream or rtmps://…');
  const protocol = m[1]!.toLowerCase() as 'rtmp' | 'rtmps';
  const authority = m[2]!;
  if (authority.includes('@')) throw bad(url, 'user info in the URL is not supported');
  const a = AUTHORITY_PATTERN.exec(authority);
  if (a === null) throw bad(url, 'missing or malformed host');
  const hostPart = a[1]!;
  const host = hostPart.startsWith('[') ? hostPart.slice(1, -1) : hostPart;
  const port = a[2] === undefined ? (protocol === 'rtmps' ? DEFAULT_RTMPS_PORT : DEFAULT_RTMP_PORT) : Number(a[2]);
  if (port < 1 || port > 65535) throw bad(url, `port ${port} out of range`);

  const path = m[3]!.replace(/^\//, '');
  const slash = path.indexOf('/');
  const app = slash < 0 ? path : path.slice(0, slash);
  const stream = slash < 0 ? '' : path.slice(slash + 1);
  if (app === '') throw bad(url, 'no application name');
  if (stream === '') throw bad(url, 'no stream name');
  return {
    protocol,
    host,
    port,
    app,
    streamName: stream + (m[4] ?? ''),
    tcUrl: `${protocol}://${authority}/${app}`,
  };
}
