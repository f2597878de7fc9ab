// Specification: RFC 2326, section 12.37 (Session):
//
//   Session = "Session" ":" session-id [ ";" "timeout" "=" delta-seconds ]
//
// The timeout defaults to 60 s. Cameras add spaces (`12345; timeout=60`) or send
// other parameters; the id is what the server wants back, verbatim.

export const DEFAULT_SESSION_TIMEOUT_S = 60;
/**
 * Longest session id accepted. RFC 2326 asks for at least 8 octets and sets no
 * upper bound; 256 bytes is far beyond any server and keeps a header we echo in
 * every request small.
 */
export const MAX_SESSION_ID_LENGTH = 256;
/** Keep-alive timers are derived from this; a silly value must not make us spin or sleep for days. */
const MIN_TIMEOUT_S = 1;
const MAX_TIMEOUT_S = 24 * 3600;

export interface SessionHeader {
  readonly id: string;
  /** Seconds; DEFAULT_SESSION_TIMEOUT_S when absent or unusable. */
  readonly timeout: number;
}

/** Returns undefined when the header holds no usable id. */
export function parseSession(value: string): SessionHeader | undefined {
  const [idPart, ...params] = value.split(';');
  const id = idPart!.trim();
  // session-id = 1*( ALPHA | DIGIT | safe ) (RFC 2326 section 3.4); be lenient but no spaces or quotes.
  if (id === '' || id.length > MAX_SESSION_ID_LENGTH || /[\s",]/.test(id)) return undefined;
  let timeout = DEFAULT_SESSION_TIMEOUT_S;
  for (const p of params) {
    const m = /^\s*timeout\s*=\s*(\d{1,6})\s*$/i.exec(p);
    if (m !== null) timeout = Math.min(MAX_TIMEOUT_S, Math.max(MIN_TIMEOUT_S, Number(m[1])));
  }
  return { id, timeout };
}
