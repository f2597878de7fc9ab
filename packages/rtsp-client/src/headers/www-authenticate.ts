// Specification: RFC 7235, section 4.1 (WWW-Authenticate) and 2.1 (challenge
// syntax), which RFC 2326 section 12.44 takes from HTTP:
//
//   WWW-Authenticate: Digest realm="IP Camera", nonce="a1b2c3", algorithm=MD5, qop="auth"
//   WWW-Authenticate: Basic realm="IP Camera"
//
// A server may send several header fields or several challenges in one field.
// Cameras drop the commas between parameters now and then; whitespace separates too.

export interface AuthChallenge {
  /** Lower-case scheme: `basic`, `digest`, ... */
  readonly scheme: string;
  /** Lower-case parameter names; quoted values unquoted and unescaped. */
  readonly params: Readonly<Record<string, string>>;
}

const SEPARATOR = /[\s,]/;

function isTokenChar(c: string): boolean {
  return !SEPARATOR.test(c) && c !== '=' && c !== '"';
}

/** Parses every challenge in the given WWW-Authenticate field values. */
export function parseWwwAuthenticate(values: readonly string[]): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  for (const value of values) {
    let current: { scheme: string; params: Record<string, string> } | null = null;
    let i = 0;
    const n = value.length;
    while (i < n) {
      while (i < n && SEPARATOR.test(value[i]!)) i++;
      const start = i;
      while (i < n && isTokenChar(value[i]!)) i++;
      if (i === start) {
        i++; // a stray '=' or '"': skip it
        continue;
      }
      const token = value.slice(start, i);
      let j = i;
      while (j < n && value[j] === ' ') j++;
      if (value[j] === '=' && current !== null && value[j + 1] !== '=') {
        // auth-param: token BWS "=" BWS ( token / quoted-string )
        j++;
        while (j < n && value[j] === ' ') j++;
        let paramValue = '';
        if (value[j] === '"') {
          j++;
          while (j < n && value[j] !== '"') {
            if (value[j] === '\\' && j + 1 < n) j++;
            paramValue += value[j];
            j++;
          }
          j++; // closing quote (or the end)
        } else {
          const vs = j;
          while (j < n && !SEPARATOR.test(value[j]!)) j++;
          paramValue = value.slice(vs, j);
        }
        current.params[token.toLowerCase()] = paramValue;
        i = j;
        continue;
      }
      if (value[j] === '=') {
        // token68 (e.g. `Negotiate abc==`) or a parameter before any scheme: skip it.
        while (i < n && value[i] !== ',') i++;
        continue;
      }
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}
