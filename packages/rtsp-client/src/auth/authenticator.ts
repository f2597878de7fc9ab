import type { AuthChallenge } from '../headers/www-authenticate.js';
import { basicAuthorization } from './basic.js';
import { DigestAuthenticator, digestAlgorithm } from './digest.js';

// Specification: RFC 2326 section 12.5 / RFC 7235 section 2: after a 401, the
// client repeats the request with an Authorization header for one of the
// challenges in WWW-Authenticate.

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

/** Strongest first; Basic only when nothing else is offered (it sends the password). */
const DIGEST_PREFERENCE = ['SHA-512-256', 'SHA-256', 'MD5'];

/** The challenge we answer: the best Digest we can compute, else Basic; undefined if none. */
export function pickChallenge(challenges: readonly AuthChallenge[]): AuthChallenge | undefined {
  const digests = challenges.filter((c) => c.scheme === 'digest' && digestAlgorithm(c) !== undefined);
  if (digests.length > 0) {
    const rank = (c: AuthChallenge): number => DIGEST_PREFERENCE.indexOf(digestAlgorithm(c)!.replace(/-sess$/, ''));
    return [...digests].sort((a, b) => rank(a) - rank(b))[0];
  }
  return challenges.find((c) => c.scheme === 'basic');
}

/** Produces Authorization values for every request once a challenge has been chosen. */
export class Authenticator {
  readonly scheme: 'basic' | 'digest';
  private readonly digest: DigestAuthenticator | null;

  constructor(
    readonly challenge: AuthChallenge,
    private readonly credentials: Credentials,
    makeCnonce?: () => string,
  ) {
    if (challenge.scheme === 'digest') {
      this.scheme = 'digest';
      this.digest = new DigestAuthenticator(challenge, credentials.user, credentials.password, makeCnonce);
    } else if (challenge.scheme === 'basic') {
      this.scheme = 'basic';
      this.digest = null;
    } else {
      throw new Error(`unsupported authentication scheme ${challenge.scheme}`);
    }
  }

  /** True when the server marked this nonce stale: retry with the new one, credentials are right. */
  static isStale(challenge: AuthChallenge): boolean {
    return (challenge.params['stale'] ?? '').toLowerCase() === 'true';
  }

  authorize(method: string, uri: string, body?: Uint8Array): string {
    if (this.digest !== null) return this.digest.authorize(method, uri, body);
    return basicAuthorization(this.credentials.user, this.credentials.password);
  }
}
