/**
 * Configuration: defaults, an optional INI or JSON file, then environment
 * overrides. Keys are `section.key`; where ZLMediaKit has the setting, Sluice
 * uses ZLMediaKit's name so that existing config files read the same.
 *
 * Environment: `SLUICE_<SECTION>_<KEY>` in upper case with separators removed,
 * e.g. `http.port` ← SLUICE_HTTP_PORT, `general.dataDir` ← SLUICE_GENERAL_DATADIR.
 */
import { readFileSync } from 'node:fs';

export interface ConfigEntry {
  readonly default: string | number | boolean;
  readonly doc: string;
  /** True when the key has ZLMediaKit's name and meaning. */
  readonly zlm?: boolean;
}

export const CONFIG_SCHEMA = {
  'general.mediaServerId': { default: 'sluice', doc: 'Server id sent in every hook (mediaServerId).', zlm: true },
  'general.dataDir': { default: './data', doc: 'Directory for the proxy store and the generated API secret.' },
  'general.maxStreamWaitMS': {
    default: 15000,
    doc: 'How long a player waits for a stream that is not ready yet (on-demand start, not-found hook).',
    zlm: true,
  },
  'general.streamNoneReaderDelayMS': {
    default: 20000,
    doc: 'After the last viewer leaves, wait this long before on_stream_none_reader / closing an on-demand pull.',
    zlm: true,
  },
  'general.mergeWriteMS': {
    // 20 ms (two or three frames per write) halves the fan-out's CPU against per-frame writes and
    // keeps the added delay inside 50 ms at 1000 viewers: benchmarks/RESULTS.md, "Fan-out against peers".
    default: 20,
    doc: 'Coalesce each viewer\'s writes over this many ms (0 = write every frame at once, lowest delay; a keyframe always starts a new batch).',
    zlm: true,
  },
  'http.port': { default: 8080, doc: 'HTTP port for the API and the HTTP/WebSocket outputs.', zlm: true },
  'http.bindIp': { default: '0.0.0.0', doc: 'Address the HTTP server binds to.' },
  'http.allow_cross_domains': { default: true, doc: 'Send CORS headers (Access-Control-Allow-Origin: *).', zlm: true },
  'http.maxReqSize': { default: 4194304, doc: 'Largest accepted API request body in bytes.' },
  'api.secret': {
    default: '',
    doc: 'API secret. Empty: a random one is generated at first start and kept in <dataDir>/secret.',
    zlm: true,
  },
  'protocol.enable_fmp4': { default: true, doc: 'Default for enable_fmp4 on new proxies.', zlm: true },
  'proxy.timeoutSec': { default: 10, doc: 'Default timeout_sec of addStreamProxy (connect + play).' },
  'proxy.onDemand': { default: false, doc: 'Default for on_demand on new proxies (pull only while someone watches).' },
  'proxy.mediaTimeoutMS': { default: 5000, doc: 'Declare an upstream dead after this long without media (per proxy: media_timeout_ms).' },
  'proxy.retryInitialMS': { default: 2000, doc: 'First reconnect delay (per proxy: retry_initial_ms).' },
  'proxy.retryFactor': { default: 2, doc: 'Each further delay is the previous one times this (per proxy: retry_factor).' },
  'proxy.retryMaxMS': { default: 60000, doc: 'Longest reconnect delay (per proxy: retry_max_ms).' },
  'proxy.retryJitter': { default: 0.2, doc: 'Delays are spread by ± this fraction so proxies do not retry in step.' },
  'proxy.startConcurrency': {
    default: 32,
    doc: 'First connects in flight at once when many proxies start together (restore, bulk add).',
  },
  'proxy.maxPendingBytes': {
    default: 4194304,
    doc: 'Per-viewer bound on unsent bytes; above it the viewer skips to the next keyframe.',
  },
  'rtp_proxy.port_range': { default: '30000-35000', doc: 'Ports for RTP servers and RTSP-over-UDP pulls (pairs: even RTP, odd RTCP).', zlm: true },
  'rtp_proxy.timeoutSec': { default: 15, doc: 'Close an RTP server whose data stopped this long ago (on_rtp_server_timeout).', zlm: true },
  'rtp_proxy.openTimeoutSec': { default: 30, doc: 'Close an RTP server that received nothing this long after opening.' },
  'rtp_proxy.app': { default: 'rtp', doc: 'App name of streams received by RTP servers (rtp/<stream_id>).' },
  'rtp_proxy.remux': {
    default: 'inline',
    doc:
      'Where RTP servers demux PS/TS/ES into frames: inline (on the I/O thread: least CPU in total, no added delay) ' +
      '| worker (a Piscina pool, one thread per core beyond the first, up to 4: about 40 % less I/O-thread time from 50 cameras on, ' +
      'for the same or more CPU in total; batches add up to 10 ms). benchmarks/RESULTS.md (RTP ingest): on 2 cores inline takes ' +
      '100 cameras of 2 Mbps for ~65 % of a core; worker is for more cameras per relay (inline\'s I/O thread is ~85-90 % busy at 200) ' +
      'or a relay whose I/O thread also serves many viewers.',
  },
  'hook.on_publish': { default: '', doc: 'The first RTP packet of an RTP server arrived; a reply with code != 0 closes it.', zlm: true },
  'hook.on_rtp_server_timeout': { default: '', doc: 'An RTP server was closed for receiving nothing.', zlm: true },
  'hook.enable': { default: false, doc: 'Send web hooks to the URLs below.', zlm: true },
  'hook.on_stream_changed': { default: '', doc: 'Stream registered / unregistered (regist true/false).', zlm: true },
  'hook.on_stream_none_reader': {
    default: '',
    doc: 'Nobody has watched for general.streamNoneReaderDelayMS; reply {"close":true} to close the stream.',
    zlm: true,
  },
  'hook.on_stream_not_found': {
    default: '',
    doc: 'A player asked for an unknown stream; the player waits up to general.maxStreamWaitMS for it to appear.',
    zlm: true,
  },
  'hook.on_server_started': { default: '', doc: 'The relay started (payload: its config).', zlm: true },
  'hook.on_server_keepalive': { default: '', doc: 'Sent every hook.alive_interval seconds.', zlm: true },
  'hook.on_proxy_state_changed': { default: '', doc: 'Sluice: a stream proxy changed state (from, to, reason).' },
  'hook.on_play': { default: '', doc: 'A viewer started playing (informational; the reply is not waited for).', zlm: true },
  'hook.timeoutSec': { default: 10, doc: 'Timeout of one hook request.', zlm: true },
  'hook.retry': { default: 1, doc: 'Extra attempts after a failed hook request.', zlm: true },
  'hook.retry_delay': { default: 3, doc: 'Seconds between hook attempts.', zlm: true },
  'hook.alive_interval': { default: 10, doc: 'Seconds between on_server_keepalive hooks.', zlm: true },
  'hls.segDur': { default: 2, doc: 'HLS segment duration in seconds (cut at the next keyframe after it).', zlm: true },
  'hls.segNum': { default: 3, doc: 'Segments listed in the live playlist.', zlm: true },
  'hls.partDurationMS': { default: 500, doc: 'LL-HLS part target in ms.' },
  'hls.lowLatency': { default: true, doc: 'Low-Latency HLS: parts, preload hints, blocking playlist reload.' },
  'hls.sessionIdleMS': {
    default: 15000,
    doc: 'An HLS player counts as a viewer until it has made no request for this long.',
  },
  'webtransport.enable': { default: false, doc: 'Serve fMP4 over WebTransport (HTTP/3 when its native module is installed, else HTTP/2 and the WebSocket mapping).' },
  'webtransport.port': { default: 8443, doc: 'WebTransport port (TLS; UDP for HTTP/3 and TCP for HTTP/2 on the same number).' },
  'webtransport.cert': { default: '', doc: 'PEM certificate file; empty: a self-signed one is made with openssl and renewed.' },
  'webtransport.key': { default: '', doc: 'PEM private key file for webtransport.cert.' },
  'metrics.enable': { default: true, doc: 'Serve Prometheus metrics at /metrics.' },
  'metrics.requireSecret': {
    default: true,
    doc: 'Ask /metrics for the API secret (query secret=, header secret:, or Authorization: Bearer).',
  },
  'log.level': { default: 'info', doc: 'debug | info | warn | error' },
  'log.format': { default: 'json', doc: 'json (one object per line) | pretty' },
} as const satisfies Record<string, ConfigEntry>;

export type ConfigKey = keyof typeof CONFIG_SCHEMA;
type Widen<T> = T extends number ? number : T extends boolean ? boolean : string;
export type Config = { -readonly [K in ConfigKey]: Widen<(typeof CONFIG_SCHEMA)[K]['default']> };

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `general.dataDir` → `SLUICE_GENERAL_DATADIR`. */
export function envVarName(key: string): string {
  const [section, name] = key.split('.') as [string, string];
  return `SLUICE_${section.replace(/[^a-z0-9]/gi, '').toUpperCase()}_${name.replace(/[^a-z0-9]/gi, '').toUpperCase()}`;
}

/** Parse ZLMediaKit-style INI: `[section]` lines and `key=value`; `#` and `;` start comments. */
export function parseIni(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let section = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = header[1]!.trim();
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new ConfigError(`config: cannot read line "${line}" (expected key=value)`);
    const key = line.slice(0, eq).trim();
    out[section ? `${section}.${key}` : key] = line.slice(eq + 1).trim();
  }
  return out;
}

function flattenJson(obj: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === 'object' && !Array.isArray(v)) flattenJson(v, key, out);
      else out[key] = v;
    }
  }
  return out;
}

function coerce(key: ConfigKey, value: unknown, from: string): string | number | boolean {
  const def = CONFIG_SCHEMA[key].default;
  if (typeof def === 'number') {
    const n = typeof value === 'number' ? value : Number(String(value).trim());
    if (!Number.isFinite(n) || String(value).trim() === '') {
      throw new ConfigError(`config ${key} (from ${from}): "${String(value)}" is not a number`);
    }
    return n;
  }
  if (typeof def === 'boolean') {
    if (typeof value === 'boolean') return value;
    const s = String(value).trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw new ConfigError(`config ${key} (from ${from}): "${String(value)}" is not a boolean`);
  }
  return String(value);
}

export interface LoadConfigOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  overrides?: Partial<Record<ConfigKey, unknown>>;
}

/** Defaults ← file ← environment ← overrides. Unknown keys in a file are an error (typos should not pass silently). */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const config = Object.fromEntries(Object.entries(CONFIG_SCHEMA).map(([k, e]) => [k, e.default])) as Config;
  const set = (key: string, value: unknown, from: string): void => {
    if (!(key in CONFIG_SCHEMA)) throw new ConfigError(`config: unknown key "${key}" in ${from}`);
    (config as Record<string, unknown>)[key] = coerce(key as ConfigKey, value, from);
  };
  if (options.file) {
    const text = readFileSync(options.file, 'utf8');
    const entries = options.file.endsWith('.json') ? flattenJson(JSON.parse(text)) : parseIni(text);
    for (const [k, v] of Object.entries(entries)) set(k, v, options.file);
  }
  const env = options.env ?? process.env;
  for (const key of Object.keys(CONFIG_SCHEMA)) {
    const name = envVarName(key);
    const value = env[name];
    if (value !== undefined) set(key, value, name);
  }
  for (const [k, v] of Object.entries(options.overrides ?? {})) set(k, v, 'overrides');
  return config;
}
