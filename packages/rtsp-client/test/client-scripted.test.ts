import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRtcp, RtspPlayer, type RtspAccessUnit, type RtspError, type RtspPlayOptions } from '../src/index.js';
import { nextEvent, waitFor } from '../../../test/helpers/wait.js';
import { h264Nal } from './helpers/bytes.js';
import { countingAllocator } from './helpers/counting-allocator.js';
import { FakeCamera, h264Packets, startScriptedServer, type FakeCameraOptions, type ScriptedServer } from './helpers/scripted-rtsp-server.js';

// The client against a scripted camera (helpers/scripted-rtsp-server.ts): the
// protocol paths a real server will not produce on demand. Every test ends its
// servers, players and sockets (afterEach).

const servers: ScriptedServer[] = [];
const cameras: FakeCamera[] = [];
const players: RtspPlayer[] = [];

afterEach(async () => {
  await Promise.all(players.splice(0).map((p) => p.close()));
  for (const c of cameras.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function camera(options: FakeCameraOptions = {}, tlsOptions?: { key: Buffer; cert: Buffer }): Promise<{ server: ScriptedServer; cam: FakeCamera }> {
  const cam = new FakeCamera(options);
  cameras.push(cam);
  const server = await startScriptedServer(cam.handler, tlsOptions === undefined ? {} : { tls: tlsOptions });
  servers.push(server);
  return { server, cam };
}

function player(options: RtspPlayOptions): RtspPlayer {
  const p = new RtspPlayer({ timeoutMs: 3000, ...options });
  players.push(p);
  return p;
}

/** start() rejects with `code`, and 'close' reports the same error, once. */
async function expectFailure(p: RtspPlayer, code: RtspError['code']): Promise<RtspError> {
  const closed = nextEvent<[RtspError | undefined]>(p, 'close', 10_000);
  await expect(p.start()).rejects.toThrow(expect.objectContaining({ name: 'RtspError', code }));
  const [err] = await closed;
  expect(err).toMatchObject({ code });
  return err!;
}

const SPS = h264Nal(7, 12);
const PPS = h264Nal(8, 4);
const IDR = h264Nal(5, 300);

/** Sends a keyframe (SPS, PPS, IDR) and `n` more P-frames on track 0, 3600 ticks apart. */
function sendVideo(cam: FakeCamera, session: Parameters<FakeCamera['sendRtp']>[0], n: number): void {
  let seq = 1000;
  for (const p of h264Packets(seq, 90000, [SPS, PPS, IDR])) cam.sendRtp(session, 0, p);
  seq += 3;
  for (let i = 1; i <= n; i++) {
    for (const p of h264Packets(seq, 90000 + i * 3600, [h264Nal(1, 50 + i)])) cam.sendRtp(session, 0, p);
    seq += 1;
  }
}

describe('RtspPlayer over TCP (scripted camera)', () => {
  it('runs OPTIONS, DESCRIBE, SETUP per track, PLAY; resolves with the tracks; delivers access units from the first on', async () => {
    const { server, cam } = await camera({
      // The first media goes out in the same write burst as the PLAY reply: listeners added after `await start()` still see it.
      onPlay: (session) => sendVideo(cam, session, 5),
    });
    const p = player({ url: server.url('/live') });
    const tracks = await p.start();
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    expect(tracks.map((t) => [t.kind, t.codec, t.control])).toEqual([
      ['video', 'h264', `rtsp://127.0.0.1:${server.port}/live/trackID=1`],
      ['audio', 'aac', `rtsp://127.0.0.1:${server.port}/live/trackID=2`],
    ]);
    expect(server.requests.map((r) => r.method)).toEqual(['OPTIONS', 'DESCRIBE', 'SETUP', 'SETUP', 'PLAY']);
    expect(server.of('SETUP').map((r) => r.headers.get('Transport'))).toEqual([
      'RTP/AVP/TCP;unicast;interleaved=0-1',
      'RTP/AVP/TCP;unicast;interleaved=2-3',
    ]);
    expect(server.of('SETUP')[1]!.headers.get('Session')).toBe('sess1');
    expect(server.of('PLAY')[0]!.headers.get('Range')).toBe('npt=0.000-');
    await waitFor(() => units.length >= 5, 3000, 'five access units');
    expect(units[0]).toMatchObject({ trackIndex: 0, rtpTimestamp: 90000, nalus: [SPS, PPS, IDR] });
    expect(units.slice(1, 5).map((u) => u.rtpTimestamp)).toEqual([93600, 97200, 100800, 104400]);
    expect(p.transport).toBe('tcp');
    expect(p.stats).toMatchObject({ packets: 8, lost: 0, droppedFrames: 0, badPackets: 0 });
    expect(p.bytesIn).toBeGreaterThan(1000);
  });

  it('maps RTP to wall-clock time from an RTCP sender report, and sends receiver reports on channel + 1', async () => {
    const ntpBase = Date.UTC(2026, 0, 1, 12, 0, 0);
    const { server, cam } = await camera({
      onPlay: (session) => {
        cam.senderReport(session, 0, ntpBase, 90000);
        sendVideo(cam, session, 2);
      },
    });
    const p = player({ url: server.url(), receiverReportIntervalMs: 100 });
    await p.start();
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    await waitFor(() => units.length >= 3, 3000, 'three access units');
    expect(units.map((u) => u.ntpTime)).toEqual([ntpBase, ntpBase + 40, ntpBase + 80]);
    const conn = server.connections[0]!;
    await waitFor(() => conn.frames.some((f) => f.channel === 1), 3000, 'a receiver report on channel 1');
    const [rr, sdes] = parseRtcp(conn.frames.find((f) => f.channel === 1)!.payload);
    expect(rr).toMatchObject({ type: 'rr', reports: [{ ssrc: 0x11223344, cumulativeLost: 0, highestSequence: 1004 }] });
    expect((rr as { reports: { lastSr: number }[] }).reports[0]!.lastSr).not.toBe(0);
    expect(sdes).toMatchObject({ type: 'sdes', chunks: [{ cname: expect.stringMatching(/^sluice-/) }] });
  });

  it('resolves relative controls against a Content-Base with a query (Dahua) and PLAYs the aggregate URL', async () => {
    const base = 'rtsp://127.0.0.1:PORT/cam/realmonitor?channel=1&subtype=0/';
    let port = 0;
    const { server } = await camera({
      override: (req) => {
        if (req.method !== 'DESCRIBE') return false;
        const sdp = 'v=0\r\ns=x\r\nt=0 0\r\na=control:*\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:trackID=0\r\n';
        req.connection.respond(req, 200, 'OK', { 'Content-Type': 'application/sdp', 'Content-Base': base.replace('PORT', String(port)) }, sdp);
        return true;
      },
    });
    port = server.port;
    const p = player({ url: server.url('/cam/realmonitor?channel=1&subtype=0') });
    await p.start();
    expect(server.of('SETUP')[0]!.uri).toBe(`rtsp://127.0.0.1:${port}/cam/realmonitor?channel=1&subtype=0/trackID=0`);
    expect(server.of('PLAY')[0]!.uri).toBe(`rtsp://127.0.0.1:${port}/cam/realmonitor?channel=1&subtype=0/`);
  });

  it('close() sends TEARDOWN with the session, is idempotent, and emits close once without an error', async () => {
    const { server } = await camera();
    const p = player({ url: server.url() });
    await p.start();
    const closes: unknown[] = [];
    p.on('close', (e) => closes.push(e));
    await Promise.all([p.close(), p.close()]);
    await p.close();
    expect(server.of('TEARDOWN').map((r) => r.headers.get('Session'))).toEqual(['sess1']);
    expect(closes).toEqual([undefined]);
    await waitFor(() => server.connections[0]!.closed, 2000, 'the connection to close');
  });

  it('answers requests from the server (OPTIONS as keep-alive) with 200 and its CSeq', async () => {
    const { server } = await camera();
    const p = player({ url: server.url() });
    await p.start();
    const conn = server.connections[0]!;
    const replies: string[] = [];
    conn.socket.on('data', (d: Buffer) => replies.push(d.toString()));
    conn.write('OPTIONS * RTSP/1.0\r\nCSeq: 77\r\n\r\n');
    await waitFor(() => replies.join('').includes('CSeq: 77'), 2000, 'the reply to the server request');
    expect(replies.join('')).toMatch(/^RTSP\/1\.0 200 OK\r\nCSeq: 77\r\n/);
  });
});

describe('rtsps:// (TLS)', () => {
  it('plays over TLS with the caller\'s tls options (a self-signed CA), and refuses an unknown certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-rtsps-'));
    try {
      // An EC key: generated in milliseconds, unlike RSA.
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'),
        '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      ], { stdio: 'ignore', timeout: 10_000 });
      const cert = readFileSync(join(dir, 'cert.pem'));
      const { server, cam } = await camera({ onPlay: (session) => sendVideo(cam, session, 1) }, { key: readFileSync(join(dir, 'key.pem')), cert });
      expect(server.url()).toMatch(/^rtsps:/);
      const p = player({ url: server.url(), tls: { ca: cert } });
      await p.start();
      const units: RtspAccessUnit[] = [];
      p.on('accessUnit', (u) => units.push(u));
      await waitFor(() => units.length >= 2, 3000, 'access units over TLS');
      expect(server.of('SETUP')[0]!.uri).toMatch(/^rtsps:\/\/127\.0\.0\.1:\d+\/live\/trackID=1$/);
      expect((await expectFailure(player({ url: server.url() }), 'SOCKET')).message).toMatch(/self.signed|certificate/i);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('authentication', () => {
  it('Digest with qop=auth: retries DESCRIBE once with Authorization, then authorizes every request', async () => {
    const { server } = await camera({ auth: { scheme: 'digest', user: 'admin', password: 's3cr3t', qop: true } });
    const p = player({ url: server.url('/live', 'admin:s3cr3t') });
    await p.start();
    expect(server.requests.map((r) => [r.method, r.headers.has('Authorization')])).toEqual([
      ['OPTIONS', false],
      ['DESCRIBE', false],
      ['DESCRIBE', true],
      ['SETUP', true],
      ['SETUP', true],
      ['PLAY', true],
    ]);
    const ncs = server.requests.slice(2).map((r) => /nc=(\w+)/.exec(r.headers.get('Authorization')!)![1]);
    expect(ncs).toEqual(['00000001', '00000002', '00000003', '00000004']);
    expect(server.requests[2]!.uri).not.toContain('admin');
  });

  it('Basic, with credentials from the options (percent-encoding not needed)', async () => {
    const { server } = await camera({ auth: { scheme: 'basic', user: 'user@example', password: 'p:ss w@rd' } });
    const p = player({ url: server.url(), user: 'user@example', password: 'p:ss w@rd' });
    await p.start();
    expect(server.of('PLAY')[0]!.headers.get('Authorization')).toBe(`Basic ${Buffer.from('user@example:p:ss w@rd').toString('base64')}`);
  });

  it('a wrong password fails with AUTH_FAILED carrying the 401 reason, after exactly one authorized retry', async () => {
    const { server } = await camera({ auth: { scheme: 'digest', user: 'admin', password: 'right' } });
    const err = await expectFailure(player({ url: server.url('/live', 'admin:wrong') }), 'AUTH_FAILED');
    expect(err).toMatchObject({ status: 401, reason: 'Unauthorized' });
    expect(server.requests.map((r) => r.method)).toEqual(['OPTIONS', 'DESCRIBE', 'DESCRIBE']);
  });

  it('no credentials: AUTH_FAILED at the first 401, no retry', async () => {
    const { server } = await camera({ auth: { scheme: 'basic', user: 'a', password: 'b' } });
    const err = await expectFailure(player({ url: server.url() }), 'AUTH_FAILED');
    expect(err.message).toMatch(/none were given/);
    expect(server.of('DESCRIBE')).toHaveLength(1);
  });

  it('a stale nonce (stale=TRUE) is retried with the new nonce', async () => {
    const { server } = await camera({ auth: { scheme: 'digest', user: 'u', password: 'p', staleOnce: true } });
    await player({ url: server.url('/live', 'u:p') }).start();
    expect(server.of('DESCRIBE').map((r) => /nonce="(\w+)"/.exec(r.headers.get('Authorization') ?? '')?.[1])).toEqual([
      undefined,
      'n0nce0001',
      'n0nce0002',
    ]);
  });
});

describe('failures', () => {
  it('404 on DESCRIBE → NOT_FOUND with the status', async () => {
    const { server } = await camera({
      override: (req) => req.method === 'DESCRIBE' && (req.connection.respond(req, 404, 'Stream Not Found'), true),
    });
    expect(await expectFailure(player({ url: server.url() }), 'NOT_FOUND')).toMatchObject({ status: 404, reason: 'Stream Not Found' });
  });

  it('follows a 302 redirect to another path, and stops a redirect loop at MAX_REDIRECTS', async () => {
    const { server } = await camera({
      override: (req) => {
        if (req.method === 'DESCRIBE' && req.uri.endsWith('/old')) {
          req.connection.respond(req, 302, 'Found', { Location: req.uri.replace('/old', '/new') });
          return true;
        }
        if (req.method === 'DESCRIBE' && req.uri.endsWith('/loop')) {
          req.connection.respond(req, 301, 'Moved', { Location: req.uri });
          return true;
        }
        return false;
      },
    });
    const p = player({ url: server.url('/old') });
    await p.start();
    expect(server.of('SETUP')[0]!.uri).toContain('/new/');
    expect(server.connections).toHaveLength(2);
    const before = server.of('DESCRIBE').length;
    await expectFailure(player({ url: server.url('/loop') }), 'TOO_MANY_REDIRECTS');
    expect(server.of('DESCRIBE').length - before).toBe(6);
  });

  it('a header block over MAX_HEADER_BLOCK → BAD_RESPONSE (nothing buffered without bound)', async () => {
    const { server } = await camera({
      override: (req) => {
        if (req.method !== 'OPTIONS') return false;
        req.connection.write(`RTSP/1.0 200 OK\r\nCSeq: 1\r\nX-Junk: ${'a'.repeat(20_000)}`);
        return true;
      },
    });
    expect((await expectFailure(player({ url: server.url() }), 'BAD_RESPONSE')).message).toMatch(/header block/);
  });

  it('a server that never answers → TIMEOUT after timeoutMs', async () => {
    const { server } = await camera({ override: () => true });
    const started = Date.now();
    await expectFailure(player({ url: server.url(), timeoutMs: 300 }), 'TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('nothing listening → SOCKET; not an rtsp URL → BAD_URL', async () => {
    const { server } = await camera();
    const port = server.port;
    await server.close();
    servers.length = 0;
    await expectFailure(player({ url: `rtsp://127.0.0.1:${port}/x` }), 'SOCKET');
    await expectFailure(player({ url: 'http://127.0.0.1/x' }), 'BAD_URL');
  });

  it('an SDP with nothing playable → NO_TRACKS naming what was skipped', async () => {
    const { server } = await camera({ sdp: 'v=0\r\ns=x\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n' });
    expect((await expectFailure(player({ url: server.url() }), 'NO_TRACKS')).message).toMatch(/VP8/);
  });

  it('the signal aborts a pending start → ABORTED; close() during start → CLOSED, close event without error', async () => {
    const { server } = await camera({ override: (req) => req.method === 'DESCRIBE' });
    const controller = new AbortController();
    const p1 = player({ url: server.url(), signal: controller.signal });
    const failed = expectFailure(p1, 'ABORTED');
    await waitFor(() => server.of('DESCRIBE').length === 1, 2000, 'DESCRIBE');
    controller.abort();
    await failed;

    const p2 = player({ url: server.url() });
    const closed = nextEvent<[RtspError | undefined]>(p2, 'close', 3000);
    const start = p2.start();
    const rejected = expect(start).rejects.toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await waitFor(() => server.of('DESCRIBE').length === 2, 2000, 'the second DESCRIBE');
    await p2.close();
    await rejected;
    expect(await closed).toEqual([undefined]);
  });
});

describe('session life: keep-alive, BYE, server teardown, server gone', () => {
  it('sends GET_PARAMETER at timeout/2 when the server lists it, OPTIONS otherwise', async () => {
    const a = await camera({ sessionTimeout: 1 });
    await player({ url: a.server.url() }).start();
    await waitFor(() => a.server.of('GET_PARAMETER').length >= 2, 3000, 'two GET_PARAMETER keep-alives');
    expect(a.server.of('GET_PARAMETER')[0]!.headers.get('Session')).toBe('sess1');

    const b = await camera({ sessionTimeout: 1, public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
    await player({ url: b.server.url() }).start();
    await waitFor(() => b.server.of('OPTIONS').length >= 3, 3000, 'OPTIONS keep-alives');
    expect(b.server.of('GET_PARAMETER')).toHaveLength(0);
  });

  it('a keep-alive answered with 454 Session Not Found ends the session with SESSION_TIMEOUT', async () => {
    const { server } = await camera({
      sessionTimeout: 1,
      override: (req) => req.method === 'GET_PARAMETER' && (req.connection.respond(req, 454, 'Session Not Found'), true),
    });
    const p = player({ url: server.url() });
    await p.start();
    const [err] = await nextEvent<[RtspError]>(p, 'close', 3000);
    expect(err).toMatchObject({ code: 'SESSION_TIMEOUT', status: 454 });
  });

  it('RTCP BYE from the server ends the session with TEARDOWN_BY_SERVER', async () => {
    const { server, cam } = await camera();
    const p = player({ url: server.url() });
    await p.start();
    const closed = nextEvent<[RtspError]>(p, 'close', 3000);
    cam.bye(cam.sessions[0]!, 1);
    expect((await closed)[0]).toMatchObject({ code: 'TEARDOWN_BY_SERVER' });
  });

  it('a TEARDOWN request from the server (RFC 7826) ends the session with TEARDOWN_BY_SERVER', async () => {
    const { server } = await camera();
    const p = player({ url: server.url() });
    await p.start();
    const closed = nextEvent<[RtspError]>(p, 'close', 3000);
    server.connections[0]!.write(`TEARDOWN ${server.url()} RTSP/2.0\r\nCSeq: 1\r\nSession: sess1\r\n\r\n`);
    expect((await closed)[0]).toMatchObject({ code: 'TEARDOWN_BY_SERVER' });
  });

  it('the server closing the connection → close with CLOSED_BY_PEER', async () => {
    const { server } = await camera();
    const p = player({ url: server.url() });
    await p.start();
    const closed = nextEvent<[RtspError]>(p, 'close', 3000);
    server.connections[0]!.socket.destroy();
    expect((await closed)[0]).toMatchObject({ code: 'CLOSED_BY_PEER' });
  });
});

describe('loss and bad packets are counted, not fatal', () => {
  it('a lost packet drops its frame (counted) and the stream goes on; garbage on an unknown channel is counted', async () => {
    const { server, cam } = await camera({
      onPlay: (session) => {
        // Frame 1: FU-A in three packets, the middle one never sent. Frame 2 arrives whole.
        cam.sendRtp(session, 0, { seq: 10, ts: 1000, marker: false, payload: Uint8Array.of(0x7c, 0x85, 1) });
        cam.sendRtp(session, 0, { seq: 12, ts: 1000, marker: true, payload: Uint8Array.of(0x7c, 0x45, 3) });
        cam.sendRtp(session, 0, { seq: 13, ts: 4600, marker: true, payload: Uint8Array.of(0x41, 9) });
        cam.sendRtp(session, 0, { seq: 14, ts: 8200, marker: true, payload: Uint8Array.of(0x41, 10) });
        session.connection.interleaved(9, Uint8Array.of(1, 2, 3));
        cam.sendRtp(session, 0, { seq: 15, ts: 9000, marker: true, payload: Uint8Array.of(0x41), pt: 13 });
      },
    });
    const p = player({ url: server.url() });
    await p.start();
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    await waitFor(() => units.length >= 2 && p.stats.badPackets >= 2, 3000, 'the frames and the bad packets');
    // Frame 1 lost its middle packet and is dropped; the frames after it come through.
    expect(units.map((u) => u.rtpTimestamp)).toEqual([4600, 8200]);
    expect(units[0]!.nalus).toEqual([Uint8Array.of(0x41, 9)]);
    expect(p.stats).toMatchObject({ lost: 1, droppedFrames: 1, badPackets: 2 });
  });
});


describe('RtspPlayer over UDP (scripted camera)', () => {
  it('asks for even/odd client ports, receives RTP from the server, sends RR to server_port + 1, counts foreign datagrams', async () => {
    const { server, cam } = await camera({ onPlay: (session) => sendVideo(cam, session, 3) });
    const ports = countingAllocator();
    const p = player({ url: server.url(), transport: 'udp', udpPorts: ports.udpPorts, receiverReportIntervalMs: 100 });
    await p.start();
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    expect(p.transport).toBe('udp');
    const transports = server.of('SETUP').map((r) => r.headers.get('Transport')!);
    for (const t of transports) {
      const [, rtp, rtcp] = /client_port=(\d+)-(\d+)/.exec(t)!.map(Number);
      expect(rtp! % 2).toBe(0);
      expect(rtcp).toBe(rtp! + 1);
    }
    await waitFor(() => units.length >= 4, 3000, 'four access units over UDP');
    expect(units[0]!.nalus).toEqual([SPS, PPS, IDR]);

    // A datagram from another host (127.0.0.2) to our RTP port is ignored and counted.
    const clientRtpPort = Number(/client_port=(\d+)/.exec(transports[0]!)![1]);
    const stranger = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.2', resolve));
    stranger.send(Uint8Array.of(0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0x41), clientRtpPort, '127.0.0.1');
    await waitFor(() => p.stats.foreignPackets === 1, 2000, 'the foreign datagram to be counted');
    stranger.close();

    const session = cam.sessions[0]!;
    await waitFor(() => session.udpRtcp.length > 0, 3000, 'a receiver report on the server RTCP port');
    expect(parseRtcp(session.udpRtcp[0]!)[0]).toMatchObject({ type: 'rr' });
    expect(ports.outstanding()).toBe(2);
    await p.close();
    expect(ports.outstanding()).toBe(0);
  });

  it('puts reordered datagrams back in order (ReorderBuffer), drops duplicates, counts both', async () => {
    const { server, cam } = await camera({
      onPlay: (session) => {
        const fu = (seq: number, ts: number, header: number, byte: number, marker = false) =>
          cam.sendRtp(session, 0, { seq, ts, marker, payload: Uint8Array.of(0x7c, header, byte) });
        // An IDR in three fragments sent start, end, middle; then a P-frame twice; across the sequence wrap.
        // (The first packet fixes where the sequence starts: one older than it would be late.)
        fu(65533, 3000, 0x85, 1);
        fu(65535, 3000, 0x45, 3, true);
        fu(65534, 3000, 0x05, 2);
        cam.sendRtp(session, 0, { seq: 0, ts: 6600, marker: true, payload: Uint8Array.of(0x41, 7) });
        cam.sendRtp(session, 0, { seq: 0, ts: 6600, marker: true, payload: Uint8Array.of(0x41, 7) });
        cam.sendRtp(session, 0, { seq: 1, ts: 10200, marker: true, payload: Uint8Array.of(0x41, 8) });
      },
    });
    const p = player({ url: server.url(), transport: 'udp' });
    await p.start();
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    await waitFor(() => units.length >= 3, 3000, 'three access units');
    expect(units.map((u) => [u.rtpTimestamp, u.nalus])).toEqual([
      [3000, [Uint8Array.of(0x65, 1, 2, 3)]],
      [6600, [Uint8Array.of(0x41, 7)]],
      [10200, [Uint8Array.of(0x41, 8)]],
    ]);
    expect(p.stats).toMatchObject({ lost: 0, droppedFrames: 0, duplicates: 1 });
    expect(p.stats.reordered).toBeGreaterThan(0);
  });

  it('gives up a gap that never fills once the stream goes quiet (drain timer), counting the loss', async () => {
    const { server, cam } = await camera({
      onPlay: (session) => {
        cam.sendRtp(session, 0, { seq: 1, ts: 1000, marker: true, payload: Uint8Array.of(0x65, 1) });
        // seq 2 never comes; 3 may have lost its start with it (dropped); 4 is whole. Then silence.
        cam.sendRtp(session, 0, { seq: 3, ts: 4600, marker: true, payload: Uint8Array.of(0x41, 3) });
        cam.sendRtp(session, 0, { seq: 4, ts: 8200, marker: true, payload: Uint8Array.of(0x41, 4) });
      },
    });
    const p = player({ url: server.url(), transport: 'udp' });
    await p.start();
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    await waitFor(() => units.length >= 2, 3000, 'the access units after the gap');
    expect(units.map((u) => u.rtpTimestamp)).toEqual([1000, 8200]);
    expect(p.stats).toMatchObject({ lost: 1, droppedFrames: 1 });
  });

  it('releases every pair after a failed SETUP, after close during SETUP, and over 200 open/close cycles', async () => {
    const ports = countingAllocator();
    // SETUP of the second track fails with 500.
    const failing = await camera({
      override: (req) => req.method === 'SETUP' && req.uri.endsWith('trackID=2') && (req.connection.respond(req, 500, 'Internal Server Error'), true),
    });
    await expectFailure(player({ url: failing.server.url(), transport: 'udp', udpPorts: ports.udpPorts }), 'REQUEST_FAILED');
    expect(ports.total()).toBe(2);
    expect(ports.outstanding()).toBe(0);

    // 200 cycles, closing at every stage of the start: before the connection, after it,
    // with a SETUP pending (a pair allocated), with PLAY pending, and after start() resolved.
    const { server } = await camera();
    for (let i = 0; i < 200; i++) {
      const seen = { connections: server.connections.length, setups: server.of('SETUP').length, plays: server.of('PLAY').length };
      const p = new RtspPlayer({ url: server.url(), transport: 'udp', udpPorts: ports.udpPorts, timeoutMs: 3000 });
      const start = p.start().catch((e: RtspError) => e);
      const stage = i % 5;
      if (stage === 1) await waitFor(() => server.connections.length > seen.connections, 2000, 'the connection');
      if (stage === 2) await waitFor(() => server.of('SETUP').length > seen.setups, 2000, 'a SETUP');
      if (stage === 3) await waitFor(() => server.of('PLAY').length > seen.plays, 2000, 'PLAY');
      if (stage === 4) expect(Array.isArray(await start)).toBe(true);
      await p.close();
      const result = await start;
      if (!Array.isArray(result)) expect(result.code).toBe('CLOSED');
    }
    expect(ports.outstanding()).toBe(0);
    expect(ports.total()).toBeGreaterThan(100);

    // An allocator that answers only after the player was closed: start() does not wait
    // for it, and the pair it hands out late is released at once.
    let handOut!: () => void;
    const gate = new Promise<void>((resolve) => (handOut = resolve));
    const slow = player({ url: server.url(), transport: 'udp', udpPorts: async () => (await gate, ports.udpPorts()) });
    const rejected = expect(slow.start()).rejects.toThrow(expect.objectContaining({ code: 'CLOSED' }));
    await waitFor(() => server.requests.at(-1)?.method === 'DESCRIBE', 2000, 'DESCRIBE of the slow player');
    await slow.close();
    await rejected;
    const total = ports.total();
    handOut();
    await waitFor(() => ports.total() === total + 1, 2000, 'the late pair');
    await waitFor(() => ports.outstanding() === 0, 2000, 'the late pair to be released');
  });

  it("'auto' falls back to TCP when the server refuses UDP (461)", async () => {
    const { server, cam } = await camera({ transports: ['TCP'], onPlay: (session) => sendVideo(cam, session, 1) });
    const ports = countingAllocator();
    const p = player({ url: server.url(), transport: 'auto', udpPorts: ports.udpPorts });
    const tracks = await p.start();
    expect(tracks).toHaveLength(2);
    expect(p.transport).toBe('tcp');
    expect(ports.outstanding()).toBe(0);
    const units: RtspAccessUnit[] = [];
    p.on('accessUnit', (u) => units.push(u));
    await waitFor(() => units.length >= 2, 3000, 'access units over TCP');
  });

  it("'auto' falls back to TCP when no RTP arrives over UDP within udpFallbackMs", async () => {
    const { server, cam } = await camera({
      onPlay: (session) => {
        if (session.routes[0]!.transport.lowerTransport === 'TCP') sendVideo(cam, session, 1);
      },
    });
    const ports = countingAllocator();
    const p = player({ url: server.url(), transport: 'auto', udpPorts: ports.udpPorts, udpFallbackMs: 300 });
    await p.start();
    expect(p.transport).toBe('tcp');
    expect(server.of('PLAY')).toHaveLength(2);
    expect(server.of('TEARDOWN')).toHaveLength(1);
    expect(ports.total()).toBe(2);
    expect(ports.outstanding()).toBe(0);
  });
});
