import { createHash, randomBytes } from 'node:crypto';
import type { AuthChallenge } from '../headers/www-authenticate.js';

// Specification: RFC 7616, section 3.4 (the response), which keeps RFC 2617's MD5
// values and the RFC 2069 form without qop that most cameras still send:
//
//   A1       = username ":" realm ":" password          (-sess: H(A1) ":" nonce ":" cnonce)
//   A2       = method ":" request-uri                    (qop=auth-int: ... ":" H(entity-body))
//   response = H(H(A1) ":" nonce ":" nc ":" cnonce ":" qop ":" H(A2))   with qop
//   response = H(H(A1) ":" nonce ":" H(A2))                             without qop (RFC 2069)

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

const HASHES: Readonly<Record<string, string>> = {
  'MD5': 'md5',
  'SHA-256': 'sha256',
  'SHA-512-256': 'sha512-256',
};

/** The digest algorithm a challenge names (MD5 when absent), or undefined when we cannot compute it. */
export function digestAlgorithm(challenge: AuthChallenge): DigestAlgorithm | undefined {
  const raw = (challenge.params['algorithm'] ?? 'MD5').trim();
  const sess = /-sess$/i.test(raw);
  const base = raw.replace(/-sess$/i, '').toUpperCase();
  if (HASHES[base] === undefined) return undefined;
  return `${base}${sess ? '-sess' : ''}` as DigestAlgorithm;
}

export interface DigestInput {
  readonly user: string;
  readonly password: string;
  readonly method: string;
  readonly uri: string;
  readonly realm: string;
  readonly nonce: string;
  readonly algorithm: DigestAlgorithm;
  /** 'auth' or 'auth-int'; undefined for the RFC 2069 form. */
  readonly qop?: 'auth' | 'auth-int';
  /** nonce-count as 8 hex digits, e.g. '00000001'. Required with qop. */
  readonly nc?: string;
  readonly cnonce?: string;
  /** The entity body, for auth-int. */
  readonly body?: Uint8Array;
}

function hash(algorithm: string, data: string | Uint8Array): string {
  return createHash(HASHES[algorithm.replace(/-sess$/, '')]!).update(data).digest('hex');
}

/** The `response` value of a Digest Authorization. */
export function digestResponse(input: DigestInput): string {
  const { algorithm, nonce } = input;
  const qop = input.qop;
  const cnonce = input.cnonce ?? '';
  let ha1 = hash(algorithm, `${input.user}:${input.realm}:${input.password}`);
  if (algorithm.endsWith('-sess')) ha1 = hash(algorithm, `${ha1}:${nonce}:${cnonce}`);
  const a2 =
    qop === 'auth-int'
      ? `${input.method}:${input.uri}:${hash(algorithm, input.body ?? new Uint8Array(0))}`
      : `${input.method}:${input.uri}`;
  const ha2 = hash(algorithm, a2);
  if (qop === undefined) return hash(algorithm, `${ha1}:${nonce}:${ha2}`);
  return hash(algorithm, `${ha1}:${nonce}:${input.nc ?? '00000001'}:${cnonce}:${qop}:${ha2}`);
}

/** quoted-string: backslash-escape '"' and '\' (RFC 7230 section 3.2.6). */
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * Builds Digest Authorization values for one challenge, counting nonce uses
 * (nc) as RFC 7616 section 3.4 asks when the same nonce is reused.
 */
export class DigestAuthenticator {
  private nonceCount = 0;
  readonly algorithm: DigestAlgorithm;
  readonly qop: 'auth' | 'auth-int' | undefined;

  constructor(
    private readonly challenge: AuthChallenge,
    private readonly user: string,
    private readonly password: string,
    private readonly makeCnonce: () => string = () => randomBytes(16).toString('hex'),
  ) {
    const algorithm = digestAlgorithm(challenge);
    if (algorithm === undefined) throw new Error(`unsupported digest algorithm ${challenge.params['algorithm']}`);
    this.algorithm = algorithm;
    // qop is a list: prefer auth (our requests have no body worth protecting).
    const offered = (challenge.params['qop'] ?? '').split(',').map((q) => q.trim().toLowerCase());
    this.qop = offered.includes('auth') ? 'auth' : offered.includes('auth-int') ? 'auth-int' : undefined;
  }

  authorize(method: string, uri: string, body?: Uint8Array): string {
    const realm = this.challenge.params['realm'] ?? '';
    const nonce = this.challenge.params['nonce'] ?? '';
    const opaque = this.challenge.params['opaque'];
    const fields = [
      `username=${quote(this.user)}`,
      `realm=${quote(realm)}`,
      `nonce=${quote(nonce)}`,
      `uri=${quote(uri)}`,
    ];
    let response: string;
    if (this.qop === undefined) {
      response = digestResponse({ user: this.user, password: this.password, method, uri, realm, nonce, algorithm: this.algorithm });
    } else {
      this.nonceCount++;
      const nc = this.nonceCount.toString(16).padStart(8, '0');
      const cnonce = this.makeCnonce();
      response = digestResponse({
        user: this.user, password: this.password, method, uri, realm, nonce,
        algorithm: this.algorithm, qop: this.qop, nc, cnonce, body,
      });
      fields.push(`qop=${this.qop}`, `nc=${nc}`, `cnonce=${quote(cnonce)}`);
    }
    fields.push(`response=${quote(response)}`);
    // Echo algorithm only when the server named it: some cameras reject an unexpected field.
    if (this.challenge.params['algorithm'] !== undefined) fields.push(`algorithm=${this.challenge.params['algorithm']}`);
    if (opaque !== undefined) fields.push(`opaque=${quote(opaque)}`);
    return `Digest ${fields.join(', ')}`;
  }
}
