import { describe, expect, it } from 'vitest';
import {
  ReceptionStats,
  buildBye,
  buildReceiverReport,
  buildSdesCname,
  buildSenderReport,
  ntpMiddle32,
  ntpToUnixMs,
  parseRtcp,
  unixMsToNtp,
} from '../src/index.js';
import { concat, hex } from './helpers/bytes.js';

// RFC 3550 section 6.4 - 6.6, appendix A.3 and A.8.

describe('RTCP packets', () => {
  it('parses a compound SR + SDES laid out as gst-rtsp-server sends it', () => {
    const bytes = hex(
      // SR: V=2 RC=0 PT=200 length=6, SSRC, NTP msw/lsw, RTP ts, packets, octets
      '80 c8 00 06 d3 d8 0e a6 ed 8b 3a 19 9a 5c 28 f5 19 1f 3a 40 00 00 00 64 00 00 27 10' +
        // SDES: V=2 SC=1 PT=202 length=7, SSRC, CNAME(1) len 18 "user@host-db0bce6a", END, pad to 32 bits
        '81 ca 00 07 d3 d8 0e a6 01 12 75 73 65 72 40 68 6f 73 74 2d 64 62 30 62 63 65 36 61 00 00 00 00',
    );
    const [sr, sdes] = parseRtcp(bytes);
    expect(sr).toEqual({
      type: 'sr', ssrc: 0xd3d80ea6, ntpMsw: 0xed8b3a19, ntpLsw: 0x9a5c28f5, rtpTimestamp: 0x191f3a40, packetCount: 100, octetCount: 10000, reports: [],
    });
    expect(sdes).toEqual({ type: 'sdes', chunks: [{ ssrc: 0xd3d80ea6, cname: 'user@host-db0bce6a' }] });
  });

  it('parses BYE with and without a reason, and skips unknown types', () => {
    expect(parseRtcp(buildBye([1, 2]))).toEqual([{ type: 'bye', ssrcs: [1, 2] }]);
    expect(parseRtcp(hex('81 cb 00 02 00 00 00 07 03 65 6f 73'))).toEqual([{ type: 'bye', ssrcs: [7], reason: 'eos' }]);
    expect(parseRtcp(hex('80 cc 00 00'))).toEqual([{ type: 'other', packetType: 204 }]);
  });

  it('refuses what is not RTCP (version, packet type range, lengths past the end, padding)', () => {
    expect(() => parseRtcp(hex('40 c8 00 00'))).toThrow(/version/);
    expect(() => parseRtcp(hex('80 60 00 00'))).toThrow(/packet type/);
    expect(() => parseRtcp(hex('80 c8 00 06 00 00'))).toThrow();
    expect(() => parseRtcp(hex('a0 cb 00 01 00 00 00 09'))).toThrow(/padding/);
  });

  it('builds RR + SDES that parse back (cumulative lost as signed 24 bits, clamped)', () => {
    const block = { ssrc: 0xdeadbeef, fractionLost: 64, cumulativeLost: -3, highestSequence: 0x1_0005, jitter: 12, lastSr: 0x3a199a5c, delaySinceLastSr: 65536 };
    const compound = concat(buildReceiverReport(0x01020304, [block]), buildSdesCname(0x01020304, 'sluice-abc'));
    expect(compound.byteLength % 4).toBe(0);
    expect(parseRtcp(compound)).toEqual([
      { type: 'rr', ssrc: 0x01020304, reports: [block] },
      { type: 'sdes', chunks: [{ ssrc: 0x01020304, cname: 'sluice-abc' }] },
    ]);
    const [rr] = parseRtcp(buildReceiverReport(1, [{ ...block, cumulativeLost: 1e9 }]));
    expect((rr as { reports: { cumulativeLost: number }[] }).reports[0]!.cumulativeLost).toBe(0x7fffff);
  });

  it('converts NTP ↔ Unix time and takes LSR from the middle 32 bits', () => {
    const { msw, lsw } = unixMsToNtp(Date.UTC(2026, 10, 22, 0, 0, 0, 500));
    expect(ntpToUnixMs(msw, lsw)).toBeCloseTo(Date.UTC(2026, 10, 22, 0, 0, 0, 500), 3);
    expect(ntpMiddle32(0xed8b3a19, 0x9a5c28f5)).toBe(0x3a199a5c);
    expect(parseRtcp(buildSenderReport({ ssrc: 9, ntpMsw: msw, ntpLsw: lsw, rtpTimestamp: 5, packetCount: 1, octetCount: 2 }))[0]).toMatchObject({
      type: 'sr', ntpMsw: msw, ntpLsw: lsw,
    });
  });
});

describe('ReceptionStats (RFC 3550 A.3, A.8)', () => {
  it('counts loss per interval and cumulatively, across a sequence wrap', () => {
    const stats = new ReceptionStats(90000);
    let now = 0;
    // 65530 .. 65535, 0 .. 13 with 4 lost (65533, 2, 3, 10): 20 expected, 16 received
    const lost = new Set([65533, 2, 3, 10]);
    for (let i = 0; i < 20; i++) {
      const seq = (65530 + i) % 65536;
      if (!lost.has(seq)) stats.onPacket(0xabc, seq, i * 3000, (now += 33));
    }
    const first = stats.reportBlock(now)!;
    expect(first).toMatchObject({ ssrc: 0xabc, cumulativeLost: 4, highestSequence: 65536 + 13, fractionLost: Math.floor((4 * 256) / 20) });
    // Next interval: 10 more, none lost.
    for (let i = 20; i < 30; i++) stats.onPacket(0xabc, (65530 + i) % 65536, i * 3000, (now += 33));
    expect(stats.reportBlock(now)).toMatchObject({ cumulativeLost: 4, fractionLost: 0, highestSequence: 65536 + 23 });
  });

  it('jitter stays ~0 for a steady stream and grows with arrival variance', () => {
    const steady = new ReceptionStats(90000);
    for (let i = 0; i < 100; i++) steady.onPacket(1, i, i * 3600, i * 40);
    expect(steady.reportBlock(4000)!.jitter).toBe(0);
    const jittery = new ReceptionStats(90000);
    for (let i = 0; i < 100; i++) jittery.onPacket(1, i, i * 3600, i * 40 + (i % 2 === 0 ? 0 : 10));
    // |D| = 10 ms = 900 timestamp units each packet: J converges to 900.
    expect(jittery.reportBlock(4000)!.jitter).toBeGreaterThan(800);
  });

  it('fills LSR / DLSR from the last sender report', () => {
    const stats = new ReceptionStats(8000);
    stats.onPacket(5, 1, 0, 0);
    stats.onSenderReport(0xed8b3a19, 0x9a5c28f5, 1000);
    expect(stats.reportBlock(1500)).toMatchObject({ lastSr: 0x3a199a5c, delaySinceLastSr: 32768 });
  });
});
