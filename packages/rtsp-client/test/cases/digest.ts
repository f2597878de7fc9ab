/**
 * Digest case table: the worked examples of the RFCs. `bytes` is the challenge
 * as a server sends it, `decoded` the request and the expected response value.
 */
import type { DigestAlgorithm } from '../../src/index.js';

export interface DigestCase {
  readonly name: string;
  /** The WWW-Authenticate value. */
  readonly bytes: string;
  readonly decoded: {
    readonly user: string;
    readonly password: string;
    readonly method: string;
    readonly uri: string;
    readonly cnonce?: string;
    readonly algorithm: DigestAlgorithm;
    readonly qop?: 'auth';
    readonly response: string;
  };
}

export const digestCases: DigestCase[] = [
  {
    name: 'RFC 2069 section 2.4 (no qop: what most cameras send)',
    bytes: 'Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    decoded: {
      user: 'Mufasa', password: 'CircleOfLife', method: 'GET', uri: '/dir/index.html', algorithm: 'MD5',
      response: '1949323746fe6a43ef61f9606e7febea',
    },
  },
  {
    name: 'RFC 2617 section 3.5 (MD5, qop=auth)',
    bytes: 'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    decoded: {
      user: 'Mufasa', password: 'Circle Of Life', method: 'GET', uri: '/dir/index.html', cnonce: '0a4f113b', algorithm: 'MD5', qop: 'auth',
      response: '6629fae49393a05397450978507c4ef1',
    },
  },
  {
    name: 'RFC 7616 section 3.9.1 (MD5, qop=auth)',
    bytes:
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    decoded: {
      user: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      algorithm: 'MD5', qop: 'auth', response: '8ca523f5e9506fed4657c9700eebdbec',
    },
  },
  {
    name: 'RFC 7616 section 3.9.1 (SHA-256, qop=auth)',
    bytes:
      'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    decoded: {
      user: 'Mufasa', password: 'Circle of Life', method: 'GET', uri: '/dir/index.html', cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      algorithm: 'SHA-256', qop: 'auth', response: '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    },
  },
];
