import { describe, expect, it } from 'vitest';
import { ClientHandshake, HANDSHAKE_SIZE, RtmpError } from '../src/index.js';
import { ascii, concat, hex, ramp, randomSplits } from './helpers/bytes.js';

// Specification: RTMP 1.0, section 5.2.

const c1Random = ramp(HANDSHAKE_SIZE - 8, 1);
const s1 = concat(hex('00001234 00000000'), ramp(HANDSHAKE_SIZE - 8, 99));

function newHandshake(): ClientHandshake {
  return new ClientHandshake({ random: c1Random, now: () => 0x42 });
}

describe('ClientHandshake', () => {
  it('opens with C0 = version 3 and C1 = time | zero | random', () => {
    const c0c1 = newHandshake().start();
    expect(c0c1.byteLength).toBe(1 + HANDSHAKE_SIZE);
    expect(c0c1.subarray(0, 9)).toEqual(hex('03 00000042 00000000'));
    expect(c0c1.subarray(9)).toEqual(c1Random);
  });

  it('sends C2 (S1 time, time read, S1 random) once S1 is in, and finishes after S2', () => {
    const hs = newHandshake();
    const c1 = hs.start().subarray(1);
    const after = hex('02 000000 000004 01 00000000 00001000');
    // The server's 3073 bytes in pseudo-random TCP pieces, the chunk stream glued to the last one.
    const pieces = randomSplits(concat(hex('03'), s1, c1), 5, 700);
    pieces.push(concat(pieces.pop()!, after));
    const steps = pieces.map((piece) => hs.push(piece));
    const sent = steps.flatMap((s) => (s.send ? [s.send] : []));
    expect(sent).toEqual([concat(hex('00001234 00000042'), s1.subarray(8))]);
    expect(steps.map((s) => s.done)).toEqual([...pieces.slice(1).map(() => false), true]);
    expect(steps.at(-1)!.rest).toEqual(after);
    expect(hs.s2EchoesC1).toBe(true);
  });

  it('accepts an S2 that does not echo C1 (digest handshake servers) and records it', () => {
    const hs = newHandshake();
    hs.start();
    const step = hs.push(concat(hex('03'), s1, ramp(HANDSHAKE_SIZE, 3)));
    expect(step.done).toBe(true);
    expect(step.rest.byteLength).toBe(0);
    expect(hs.s2EchoesC1).toBe(false);
  });

  const notRtmp: { name: string; bytes: Uint8Array; error: RegExp }[] = [
    { name: 'an HTTP server', bytes: ascii('HTTP/1.1 400 Bad Request\r\n'), error: /version 0x48 in S0/ },
    { name: 'a TLS server (alert record)', bytes: hex('15 0303 0002 0228'), error: /version 0x15 in S0/ },
    { name: 'RTMPE (version 6)', bytes: hex('06'), error: /version 0x06 in S0/ },
  ];

  it.each(notRtmp)('rejects $name on its first byte', ({ bytes, error }) => {
    const hs = newHandshake();
    hs.start();
    expect(() => hs.push(bytes.subarray(0, 1))).toThrow(RtmpError);
    const again = newHandshake();
    again.start();
    expect(() => again.push(bytes)).toThrow(error);
  });
});
