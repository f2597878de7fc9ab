import { CoreError } from './errors.js';

/** The vhost of streams published without one (ZLMediaKit's spelling, kept for API compatibility). */
export const DEFAULT_VHOST = '__defaultVhost__';

/** Where a stream lives: `vhost/app/stream`. Each part passes `validateStreamKeyPart`. */
export interface StreamKey {
  readonly vhost: string;
  readonly app: string;
  readonly stream: string;
}

export type StreamKeyPart = 'vhost' | 'app' | 'stream';

/** Long enough for any real name, short enough that a key can't be used to bloat logs and maps. */
export const MAX_STREAM_KEY_PART_LENGTH = 128;

// C0 controls and DEL: they would corrupt log lines, HTTP headers and file names.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/**
 * Why `value` can't be used as this part of a stream key, or `undefined` when it can.
 * Parts end up in URLs and recording paths, so '/' and '..' are refused outright.
 */
export function validateStreamKeyPart(name: StreamKeyPart, value: string): string | undefined {
  if (value.length === 0) return `${name} is empty`;
  if (value.length > MAX_STREAM_KEY_PART_LENGTH) {
    return `${name} is longer than ${MAX_STREAM_KEY_PART_LENGTH} characters`;
  }
  if (value.includes('/')) return `${name} contains '/'`;
  if (value.includes('..')) return `${name} contains '..'`;
  if (CONTROL_CHARACTER.test(value)) return `${name} contains a control character`;
  return undefined;
}

/** Throws CoreError `INVALID_STREAM_KEY` unless every part of `key` is valid; returns `key`. */
export function assertValidStreamKey(key: StreamKey): StreamKey {
  const problem =
    validateStreamKeyPart('vhost', key.vhost) ??
    validateStreamKeyPart('app', key.app) ??
    validateStreamKeyPart('stream', key.stream);
  if (problem !== undefined) throw new CoreError('INVALID_STREAM_KEY', `invalid stream key: ${problem}`);
  return key;
}

/** `vhost/app/stream`: the map key and log spelling of a stream. */
export function streamKeyString(key: StreamKey): string {
  return `${key.vhost}/${key.app}/${key.stream}`;
}

/** Inverse of `streamKeyString`; throws CoreError `INVALID_STREAM_KEY` on anything else. */
export function parseStreamKey(text: string): StreamKey {
  const parts = text.split('/');
  if (parts.length !== 3) {
    // The text itself stays out of the message: it is untrusted and may be huge or contain control characters.
    throw new CoreError('INVALID_STREAM_KEY', `invalid stream key: expected vhost/app/stream, got ${parts.length} part(s)`);
  }
  const [vhost, app, stream] = parts as [string, string, string];
  return assertValidStreamKey({ vhost, app, stream });
}
