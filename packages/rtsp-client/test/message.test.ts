import { describe, expect, it } from 'vitest';
import {
  MAX_BODY,
  MAX_HEADER_BLOCK,
  RtspHeaders,
  RtspStreamReader,
  bodyText,
  parseMessageHead,
  serializeRequest,
  serializeResponse,
  type RtspStreamItem,
} from '../src/index.js';
import { messageCases, type MessageCase } from './cases/messages.js';
import { ascii, concat, rng, toHex } from './helpers/bytes.js';

function decodeItems(items: RtspStreamItem[]): MessageCase['decoded'] {
  return items.map((item) => {
    if (item.kind === 'interleaved') return { kind: 'interleaved', channel: item.channel, payload: toHex(item.payload) };
    const h = item.head;
    if (h.kind === 'request') return { kind: 'request', method: h.method, uri: h.uri, headers: h.headers.toObject() };
    return { kind: 'response', status: h.status, reason: h.reason, headers: h.headers.toObject(), body: bodyText(item.body) };
  });
}

function expected(c: MessageCase): MessageCase['decoded'] {
  return c.decoded.map((d) => (d.kind === 'interleaved' ? { ...d, payload: d.payload.replace(/\s+/g, '') } : d));
}

/** Feeds `bytes` in the given chunk sizes. */
function feed(bytes: Uint8Array, sizes: (i: number) => number): RtspStreamItem[] {
  const reader = new RtspStreamReader();
  const items: RtspStreamItem[] = [];
  for (let offset = 0, i = 0; offset < bytes.byteLength; i++) {
    const n = Math.max(1, sizes(i));
    items.push(...reader.push(bytes.subarray(offset, offset + n)));
    offset += n;
  }
  expect(reader.buffered).toBe(0);
  return items;
}

describe('RtspStreamReader: messages and interleaved frames (case table)', () => {
  it.each(messageCases)('$name: in one read', (c) => {
    expect(decodeItems(feed(c.bytes, () => c.bytes.byteLength))).toEqual(expected(c));
  });

  it.each(messageCases)('$name: split at every byte boundary', (c) => {
    for (let split = 1; split < c.bytes.byteLength; split++) {
      const items = feed(c.bytes, (i) => (i === 0 ? split : c.bytes.byteLength));
      expect(decodeItems(items)).toEqual(expected(c));
    }
  });

  it('all cases back to back, in random chunk sizes (seeded), byte by byte', () => {
    const all = concat(...messageCases.map((c) => c.bytes));
    const want = messageCases.flatMap(expected);
    const next = rng(7);
    for (let round = 0; round < 20; round++) expect(decodeItems(feed(all, () => 1 + Math.floor(next() * 64)))).toEqual(want);
    expect(decodeItems(feed(all, () => 1))).toEqual(want);
  });
});

describe('RtspStreamReader caps', () => {
  it(`rejects a header block longer than MAX_HEADER_BLOCK (${MAX_HEADER_BLOCK}) before its end arrives`, () => {
    const reader = new RtspStreamReader();
    reader.push(ascii('RTSP/1.0 200 OK\r\nCSeq: 1\r\n'));
    const filler = ascii(`X-Filler: ${'a'.repeat(1000)}\r\n`);
    expect(() => {
      for (let i = 0; i < 20; i++) reader.push(filler);
    }).toThrow(expect.objectContaining({ name: 'RtspError', code: 'BAD_RESPONSE', message: expect.stringMatching(/header block/) }));
  });

  it(`rejects a Content-Length above MAX_BODY (${MAX_BODY}) without buffering the body`, () => {
    const reader = new RtspStreamReader();
    expect(() => reader.push(ascii(`RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Length: ${MAX_BODY + 1}\r\n\r\n`))).toThrow(
      expect.objectContaining({ code: 'BAD_RESPONSE', message: expect.stringMatching(/body of/) }),
    );
    expect(() => new RtspStreamReader().push(ascii('RTSP/1.0 200 OK\r\nContent-Length: -1\r\n\r\n'))).toThrow(/Content-Length/);
  });

  it('rejects garbage start lines (an HTTP server, binary noise)', () => {
    expect(() => new RtspStreamReader().push(ascii('HTTP/1.1 400 Bad Request\r\n\r\n'))).toThrow(/bad start line/);
    expect(() => new RtspStreamReader().push(ascii('RTSP/1.0 OK\r\n\r\n'))).toThrow(/bad status line/);
  });

  it('keeps an incomplete interleaved frame until its last byte', () => {
    const reader = new RtspStreamReader();
    expect(reader.push(Uint8Array.of(0x24, 0, 0xff, 0xff))).toEqual([]);
    const payload = new Uint8Array(0xffff).fill(9);
    expect(reader.push(payload.subarray(0, 0xfffe))).toEqual([]);
    const [frame] = reader.push(payload.subarray(0xfffe));
    expect(frame).toMatchObject({ kind: 'interleaved', channel: 0 });
    expect((frame as { payload: Uint8Array }).payload.byteLength).toBe(0xffff);
  });
});

describe('serializing', () => {
  it('writes a request the way servers expect (CRLF, Content-Length for bodies)', () => {
    const bytes = serializeRequest({
      method: 'SETUP',
      uri: 'rtsp://127.0.0.1:8554/h264/stream=0',
      headers: new RtspHeaders({ CSeq: '3', Transport: 'RTP/AVP/TCP;unicast;interleaved=0-1' }),
    });
    expect(new TextDecoder().decode(bytes)).toBe(
      'SETUP rtsp://127.0.0.1:8554/h264/stream=0 RTSP/1.0\r\nCSeq: 3\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n',
    );
    const withBody = serializeResponse({ status: 200, reason: 'OK', headers: new RtspHeaders({ CSeq: '1' }), body: ascii('abc') });
    expect(new TextDecoder().decode(withBody)).toBe('RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: 3\r\n\r\nabc');
  });

  it('refuses line breaks in header values and URIs (no header injection)', () => {
    expect(() => serializeRequest({ method: 'OPTIONS', uri: 'rtsp://x/\r\nEvil: 1', headers: new RtspHeaders() })).toThrow(/line break/);
    expect(() => serializeRequest({ method: 'OPTIONS', uri: '*', headers: new RtspHeaders({ 'User-Agent': 'a\nb' }) })).toThrow(/line break/);
  });

  it('headers are case-insensitive, ordered, and repeatable', () => {
    const h = new RtspHeaders([['WWW-Authenticate', 'Digest a'], ['www-authenticate', 'Basic b'], ['CSeq', '1']]);
    expect(h.get('www-AUTHENTICATE')).toBe('Digest a');
    expect(h.getAll('WWW-Authenticate')).toEqual(['Digest a', 'Basic b']);
    h.set('cseq', '2');
    expect([...h]).toEqual([['WWW-Authenticate', 'Digest a'], ['www-authenticate', 'Basic b'], ['cseq', '2']]);
    expect(parseMessageHead(ascii('RTSP/1.0 200 OK\r\nNo colon line\r\nA: 1'))).toMatchObject({ kind: 'response', status: 200 });
  });
});
