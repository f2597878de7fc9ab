import { describe, expect, it } from 'vitest';
import {
  Authenticator,
  DigestAuthenticator,
  basicAuthorization,
  digestResponse,
  parseWwwAuthenticate,
  pickChallenge,
} from '../src/index.js';
import { digestCases } from './cases/digest.js';

/** The fields of an Authorization value, unquoted. */
function fields(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.replace(/^Digest /, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!] = m[2] ?? m[3]!;
  return out;
}

describe('Digest (case table: RFC 2069, 2617, 7616 examples)', () => {
  it.each(digestCases)('$name', ({ bytes, decoded }) => {
    const [challenge] = parseWwwAuthenticate([bytes]);
    expect(challenge!.scheme).toBe('digest');
    const auth = new DigestAuthenticator(challenge!, decoded.user, decoded.password, () => decoded.cnonce ?? 'unused');
    expect(auth.algorithm).toBe(decoded.algorithm);
    expect(auth.qop).toBe(decoded.qop);
    const header = auth.authorize(decoded.method, decoded.uri);
    const f = fields(header);
    expect(f['response']).toBe(decoded.response);
    expect(f).toMatchObject({ username: decoded.user, realm: challenge!.params['realm'], nonce: challenge!.params['nonce'], uri: decoded.uri });
    if (challenge!.params['opaque'] !== undefined) expect(f['opaque']).toBe(challenge!.params['opaque']);
    if (decoded.qop !== undefined) expect(f).toMatchObject({ qop: 'auth', nc: '00000001', cnonce: decoded.cnonce });
    else expect(f['qop']).toBeUndefined();
  });

  it('counts nonce uses: nc goes 00000001, 00000002 … with the same nonce', () => {
    const [challenge] = parseWwwAuthenticate([digestCases[1]!.bytes]);
    const auth = new DigestAuthenticator(challenge!, 'Mufasa', 'Circle Of Life', () => 'c');
    expect(fields(auth.authorize('DESCRIBE', 'rtsp://cam/')).nc).toBe('00000001');
    expect(fields(auth.authorize('SETUP', 'rtsp://cam/track1')).nc).toBe('00000002');
  });

  it('MD5-sess hashes the nonce and cnonce into A1 (RFC 2617 3.2.2.2)', () => {
    const base = { user: 'u', password: 'p', method: 'DESCRIBE', uri: 'rtsp://cam/', realm: 'r', nonce: 'n', qop: 'auth' as const, nc: '00000001', cnonce: 'c' };
    expect(digestResponse({ ...base, algorithm: 'MD5-sess' })).not.toBe(digestResponse({ ...base, algorithm: 'MD5' }));
    expect(digestResponse({ ...base, algorithm: 'MD5-sess' })).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses an algorithm it cannot compute', () => {
    const [challenge] = parseWwwAuthenticate(['Digest realm="r", nonce="n", algorithm=SHA-1']);
    expect(() => new DigestAuthenticator(challenge!, 'u', 'p')).toThrow(/unsupported digest algorithm/);
  });
});

describe('Basic (RFC 7617)', () => {
  it('encodes user:password as UTF-8 base64 (RFC 7617 section 2 example)', () => {
    expect(basicAuthorization('Aladdin', 'open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    expect(basicAuthorization('test', '123£')).toBe('Basic dGVzdDoxMjPCow==');
  });
});

describe('choosing a challenge', () => {
  it('prefers Digest over Basic, and the strongest Digest algorithm', () => {
    const challenges = parseWwwAuthenticate([
      'Basic realm="cam"',
      'Digest realm="cam", nonce="a", algorithm=MD5',
      'Digest realm="cam", nonce="b", algorithm=SHA-256',
    ]);
    expect(pickChallenge(challenges)).toMatchObject({ scheme: 'digest', params: { nonce: 'b' } });
    expect(pickChallenge(parseWwwAuthenticate(['Basic realm="x"']))).toMatchObject({ scheme: 'basic' });
    expect(pickChallenge(parseWwwAuthenticate(['Negotiate abc==']))).toBeUndefined();
  });

  it('Authenticator answers Basic with the credentials and marks stale nonces', () => {
    const [basic] = parseWwwAuthenticate(['Basic realm="x"']);
    expect(new Authenticator(basic!, { user: 'Aladdin', password: 'open sesame' }).authorize('OPTIONS', '*')).toBe(
      'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==',
    );
    const [stale] = parseWwwAuthenticate(['Digest realm="x", nonce="n2", stale=TRUE']);
    expect(Authenticator.isStale(stale!)).toBe(true);
    expect(Authenticator.isStale(parseWwwAuthenticate(['Digest realm="x", nonce="n2"'])[0]!)).toBe(false);
  });
});
