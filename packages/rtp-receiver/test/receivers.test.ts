/**
 * The receivers on real sockets, 127.0.0.1, ports chosen by the OS: PS over RTP from
 * the generator over UDP and over TCP (RFC 4571, passive and active), through
 * RtpPayloadDemuxer to frames.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import {
  RtpError, RtpPayloadDemuxer, RtpTcpReceiver, RtpUdpReceiver, connectRtpTcp, frameRfc4571, type ElementaryFrame, type RtpPacket,
} from '../src/index.js';
import { buildPsRtpPackets, sendTcp, sendUdp } from '../../../test/helpers/ps-rtp.js';
import { freePort } from '../../../test/helpers/free-port.js';
import { nextEvent, waitFor, within } from '../../../test/helpers/wait.js';
import { filler } from './cases/es.js';
import { rtp } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function udpSocket(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  cleanups.push(() => new Promise<void>((r) => s.close(() => r())));
  return s;
}

async function tcpServer(onConnection: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onConnection);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { server, port: (server.address() as AddressInfo).port };
}

/** Collects frames from 'packet' events. */
function collect(receiver: { on(e: 'packet', l: (p: RtpPacket) => void): unknown }): ElementaryFrame[] {
  const demux = new RtpPayloadDemuxer();
  const frames: ElementaryFrame[] = [];
  receiver.on('packet', (p) => frames.push(...demux.push(p)));
  return frames;
}

describe('RtpUdpReceiver', () => {
  test('PS over RTP over UDP: every frame arrives', async () => {
    const s = await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 2, ssrc: 0xabc });
    const socket = await udpSocket();
    const receiver = new RtpUdpReceiver(socket);
    cleanups.push(() => receiver.close());
    const frames = collect(receiver);
    await sendUdp(s.packets, s.sendTimesMs, '127.0.0.1', (socket.address() as AddressInfo).port, { speed: 8 });
    const total = s.frames.video + s.frames.audio;
    // The last video frame ends at its marker bit; everything arrives without waiting for more.
    await waitFor(() => frames.length >= total, 5000, `${total} frames`);
    expect(frames.length).toBe(total);
    expect(receiver.stats).toMatchObject({ packets: s.packets.length, lost: 0, badPackets: 0, ssrcMismatches: 0, delivered: s.packets.length });
    expect(receiver.ssrc).toBe(0xabc);
    expect(receiver.peer?.address).toBe('127.0.0.1');
  });

  test('SSRC filter: another sender is counted and dropped; setSsrc switches', async () => {
    const socket = await udpSocket();
    const port = (socket.address() as AddressInfo).port;
    const receiver = new RtpUdpReceiver(socket, { ssrc: 111 });
    cleanups.push(() => receiver.close());
    const got: number[] = [];
    receiver.on('packet', (p) => got.push(p.ssrc));
    await sendUdp([rtp(1, 10, 222), rtp(2, 10, 111), rtp(3, 10, 222)], [0, 0, 0], '127.0.0.1', port, { speed: Infinity });
    await waitFor(() => receiver.stats.packets === 3, 2000, '3 packets');
    expect(got).toEqual([111]);
    expect(receiver.stats.ssrcMismatches).toBe(2);
    receiver.setSsrc(222);
    await sendUdp([rtp(10, 10, 222), rtp(11, 10, 111)], [0, 0], '127.0.0.1', port, { speed: Infinity });
    await waitFor(() => receiver.stats.packets === 5, 2000, '5 packets');
    expect(got).toEqual([111, 222]);
  });

  test('each packet comes with the address that sent it, also when the reorder buffer held it', async () => {
    const socket = await udpSocket();
    const port = (socket.address() as AddressInfo).port;
    const receiver = new RtpUdpReceiver(socket);
    cleanups.push(() => receiver.close());
    const got: Array<{ seq: number; port: number; remote: object }> = [];
    receiver.on('packet', (p, remote) => got.push({ seq: p.sequenceNumber, port: remote.port, remote }));
    const a = await udpSocket();
    const b = await udpSocket();
    const send = async (from: UdpSocket, seq: number) => {
      const before = receiver.stats.packets;
      await new Promise<void>((resolve, reject) => from.send(rtp(seq), port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      await waitFor(() => receiver.stats.packets > before, 2000, `packet ${seq}`);
    };
    // 3 waits for 2, which comes from the other socket (same SSRC: a sender that changed its port).
    await send(a, 1);
    await send(a, 3);
    expect(got.map((g) => g.seq)).toEqual([1]);
    await send(b, 2);
    await send(a, 4);
    const [portA, portB] = [(a.address() as AddressInfo).port, (b.address() as AddressInfo).port];
    expect(got.map((g) => [g.seq, g.port])).toEqual([[1, portA], [2, portB], [3, portA], [4, portA]]);
    expect(receiver.peer).toEqual({ address: '127.0.0.1', port: portA });
    // One RemoteInfo per sender, not one per packet.
    expect(got[2]!.remote).toBe(got[0]!.remote);
    expect(got[3]!.remote).toEqual(got[0]!.remote);
  });

  test('garbage datagrams and RTCP are counted, never thrown', async () => {
    const socket = await udpSocket();
    const receiver = new RtpUdpReceiver(socket);
    cleanups.push(() => receiver.close());
    const rr = Uint8Array.of(0x80, 0xc9, 0, 1, 0, 0, 0, 9);
    await sendUdp([filler(40), Uint8Array.of(0x80), rr, rtp(1)], [0, 0, 0, 0], '127.0.0.1', (socket.address() as AddressInfo).port, { speed: Infinity });
    await waitFor(() => receiver.stats.bytes >= 40 + 1 + 8 + 32, 2000, 'all datagrams');
    expect(receiver.stats).toMatchObject({ badPackets: 2, rtcpPackets: 1, packets: 1 });
  });

  test('close() stops listening and leaves the injected socket open', async () => {
    const socket = await udpSocket();
    const before = socket.listenerCount('message');
    const receiver = new RtpUdpReceiver(socket);
    expect(socket.listenerCount('message')).toBe(before + 1);
    receiver.close();
    expect(socket.listenerCount('message')).toBe(before);
    expect(() => socket.address()).not.toThrow();
  });
});

describe('RtpTcpReceiver (RFC 4571)', () => {
  test('passive: the camera connects and sends PS over RTP', async () => {
    const s = await buildPsRtpPackets({ video: 'h265', audio: 'pcma', seconds: 2 });
    let receiver: RtpTcpReceiver | undefined;
    const frames: ElementaryFrame[] = [];
    const { port } = await tcpServer((socket) => {
      receiver = new RtpTcpReceiver(socket);
      const demux = new RtpPayloadDemuxer();
      receiver.on('packet', (p) => frames.push(...demux.push(p)));
    });
    cleanups.push(() => receiver?.close());
    const camera = await connectTo(port);
    await sendTcp(camera, s.packets);
    const total = s.frames.video + s.frames.audio;
    await waitFor(() => frames.length >= total, 5000, `${total} frames`);
    expect(frames.length).toBe(total);
    expect(receiver!.stats).toMatchObject({ packets: s.packets.length, resyncs: 0, skippedBytes: 0, lost: 0 });
    // The camera hangs up: 'close' with CONNECTION_LOST.
    const closed = nextEvent<[RtpError | undefined]>(receiver!, 'close', 2000);
    camera.end();
    const [error] = await closed;
    expect(error).toBeInstanceOf(RtpError);
    expect(error!.code).toBe('CONNECTION_LOST');
  });

  test('passive: garbage injected mid-stream is skipped and counted, frames resume', async () => {
    const s = await buildPsRtpPackets({ video: 'h264', seconds: 2 });
    let receiver: RtpTcpReceiver | undefined;
    const frames: ElementaryFrame[] = [];
    const { port } = await tcpServer((socket) => {
      receiver = new RtpTcpReceiver(socket);
      const demux = new RtpPayloadDemuxer();
      receiver.on('packet', (p) => frames.push(...demux.push(p)));
    });
    cleanups.push(() => receiver?.close());
    const camera = await connectTo(port);
    const half = Math.floor(s.packets.length / 2);
    await sendTcp(camera, s.packets.slice(0, half));
    camera.write(filler(999, 5));
    await sendTcp(camera, s.packets.slice(half));
    // Frames come back from the keyframe after the garbage (the second second).
    await waitFor(() => receiver && receiver.stats.packets >= s.packets.length - 2, 5000, 'packets after the garbage');
    expect(receiver!.stats.resyncs).toBe(1);
    expect(receiver!.stats.skippedBytes).toBe(999);
    expect(frames.length).toBeGreaterThan(s.frames.video / 2);
  });

  test('active: Sluice connects to the camera (connectRtpTcp)', async () => {
    const s = await buildPsRtpPackets({ video: 'h264', audio: 'aac', seconds: 1 });
    const { port } = await tcpServer((socket) => {
      void sendTcp(socket, s.packets).then(() => socket.end());
    });
    const receiver = await connectRtpTcp({ host: '127.0.0.1', port, timeoutMs: 2000 });
    cleanups.push(() => receiver.close());
    const frames = collect(receiver);
    const [error] = await nextEvent<[RtpError | undefined]>(receiver, 'close', 5000);
    expect(error?.code).toBe('CONNECTION_LOST');
    expect(frames.length).toBe(s.frames.video + s.frames.audio);
    expect(receiver.peer.port).toBe(port);
  });

  test('active: a refused connection rejects with CONNECT_FAILED', async () => {
    const port = await freePort();
    await expect(connectRtpTcp({ host: '127.0.0.1', port, timeoutMs: 2000 })).rejects.toThrow(/^CONNECT_FAILED/);
  });

  test('active: an aborted connection rejects with CONNECT_FAILED', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(connectRtpTcp({ host: '127.0.0.1', port: 9, signal: ac.signal })).rejects.toBeInstanceOf(RtpError);
  });

  test('close() destroys the connection and emits close without an error', async () => {
    const peerClosed: Promise<unknown>[] = [];
    const { port } = await tcpServer((socket) => {
      socket.on('error', () => {}); // ECONNRESET when the receiver destroys its end
      peerClosed.push(new Promise((r) => socket.on('close', r)));
      socket.write(frameRfc4571(rtp(1)));
    });
    const receiver = await connectRtpTcp({ host: '127.0.0.1', port });
    const closed = nextEvent<[RtpError | undefined]>(receiver, 'close', 2000);
    receiver.close();
    expect((await closed)[0]).toBeUndefined();
    await waitFor(() => peerClosed.length === 1, 2000, 'the server side to see the connection');
    await within(peerClosed[0]!, 2000, 'the server side to see the close');
  });
});

async function connectTo(port: number): Promise<Socket> {
  const { connect } = await import('node:net');
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  cleanups.push(() => s.destroy());
  return s;
}
