// Specification: RFC 7617, section 2 (the 'Basic' scheme): base64(user-id ":" password),
// UTF-8 encoded (the charset RFC 7617 recommends and cameras accept).

export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}
