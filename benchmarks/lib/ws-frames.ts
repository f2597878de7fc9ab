/**
 * The WebSocket side of the fan-out benchmark's WS viewers: the opening handshake a raw
 * `net` viewer sends and checks, and the unwrapping of the server's frames in front of a
 * probe's fMP4 parser.
 *
 * Specification: RFC 6455, section 4 (opening handshake) and section 5.2 (base framing).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 *   |                          Payload Data ...                     |
 */
import { createHash, randomBytes } from 'node:crypto';
import type { BodyParser } from './frames.js';

/** RFC 6455 section 1.3: appended to the client's key before hashing. */
const ACCEPT_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept a server must answer to `key`. */
export function wsAccept(key: string): string {
  return createHash('sha1').update(key + ACCEPT_GUID).digest('base64');
}

/** A client's Upgrade request for `path` with a fresh key; `accept` is what the 101 must carry. */
export function wsUpgradeRequest(host: string, port: number, path: string): { request: Buffer; accept: string } {
  const key = randomBytes(16).toString('base64');
  const request = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nUser-Agent: sluice-bench\r\n\r\n`,
    'latin1',
  );
  return { request, accept: wsAccept(key) };
}

/**
 * Checks a server's handshake response head (status line and headers, without the blank
 * line); returns why it is not a valid 101 for `accept`, or undefined when it is.
 */
export function checkUpgradeResponse(head: string, accept: string): string | undefined {
  const status = head.slice(0, head.indexOf('\r\n') >>> 0);
  if (!/^HTTP\/1\.1 101\b/.test(status)) return `expected 101 Switching Protocols, got "${status}"`;
  const got = /^sec-websocket-accept:\s*(\S+)\s*$/im.exec(head)?.[1];
  if (got !== accept) return `Sec-WebSocket-Accept ${got ?? '(missing)'} does not match the key`;
  if (/^sec-websocket-extensions:/im.test(head)) return 'the server chose an extension the client did not offer';
  return undefined;
}

export const WsOpcode = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const;

/**
 * A message's payload is handed on as it arrives, so this only bounds the length field
 * against nonsense (a desynchronised parser reads payload bytes as a header): no fMP4
 * batch the relay sends comes near 1 GiB.
 */
const MAX_FRAME_PAYLOAD = 1 << 30;
/** Control frames carry at most 125 bytes (RFC 6455 section 5.5). */
const MAX_CONTROL_PAYLOAD = 125;

/**
 * Server-to-client frames in, the payload of data frames (binary, text, continuation) out
 * to `next`, in order, in as many pieces as they arrived; control frames (ping, pong,
 * close) are skipped. Server frames are never masked (section 5.1): a masked one throws.
 */
export class WsUnwrapper implements BodyParser {
  /** Header bytes gathered so far (a header can be split across reads: 2 to 10 bytes here). */
  private readonly header = Buffer.alloc(10);
  private headerLen = 0;
  /** Payload bytes of the current frame still to come; -1 while reading a header. */
  private left = -1;
  private forward = false;
  /** Frames seen, by kind (for the self-check and for a probe's diagnostics). */
  dataFrames = 0;
  controlFrames = 0;

  constructor(private readonly next: BodyParser) {}

  push(data: Uint8Array): void {
    let p = 0;
    const end = data.byteLength;
    while (p < end) {
      if (this.left < 0) {
        // Take header bytes one read at a time until the header's length is known and complete.
        while (p < end) {
          this.header[this.headerLen++] = data[p++]!;
          const need = this.headerLength();
          if (need !== undefined && this.headerLen === need) {
            this.startFrame();
            break;
          }
        }
        if (this.left === 0) this.left = -1;
        continue;
      }
      const n = Math.min(this.left, end - p);
      if (this.forward) this.next.push(data.subarray(p, p + n));
      p += n;
      this.left -= n;
      if (this.left === 0) this.left = -1;
    }
  }

  /** Bytes in the current header once its second byte is known, else undefined. */
  private headerLength(): number | undefined {
    if (this.headerLen < 2) return undefined;
    if (this.header[1]! & 0x80) throw new Error('WebSocket: masked frame from the server');
    const len7 = this.header[1]! & 0x7f;
    return len7 === 126 ? 4 : len7 === 127 ? 10 : 2;
  }

  private startFrame(): void {
    const h = this.header;
    if (h[0]! & 0x70) throw new Error('WebSocket: RSV bits set without a negotiated extension');
    const opcode = h[0]! & 0x0f;
    const len7 = h[1]! & 0x7f;
    let len: number;
    if (len7 === 126) len = h.readUInt16BE(2);
    else if (len7 === 127) {
      const big = h.readBigUInt64BE(2);
      if (big > BigInt(MAX_FRAME_PAYLOAD)) throw new Error(`WebSocket: frame of ${big} bytes`);
      len = Number(big);
    } else len = len7;
    const control = opcode >= 0x8;
    if (control) {
      if (len > MAX_CONTROL_PAYLOAD || !(h[0]! & 0x80)) throw new Error('WebSocket: bad control frame');
      this.controlFrames++;
    } else {
      if (opcode !== WsOpcode.Continuation && opcode !== WsOpcode.Text && opcode !== WsOpcode.Binary) {
        throw new Error(`WebSocket: reserved opcode ${opcode}`);
      }
      this.dataFrames++;
    }
    this.forward = !control;
    this.headerLen = 0;
    this.left = len;
  }
}
