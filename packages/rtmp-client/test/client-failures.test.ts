import { afterEach, describe, expect, it } from 'vitest';
import { RtmpPlayer, type RtmpError, type RtmpPlayOptions } from '../src/index.js';
import { freePort } from '../../../test/helpers/free-port.js';
import { startTcpServer, type TestTcpServer } from './helpers/scripted-rtmp-server.js';
import { nextEvent, waitFor } from '../../../test/helpers/wait.js';

// Peers that are not RTMP servers, or not answering: every case must end in a typed
// error, within the timeout, with 'close' reporting the same error once.

const servers: TestTcpServer[] = [];
const players: RtmpPlayer[] = [];

afterEach(async () => {
  for (const p of players.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function tcpServer(onConnection: Parameters<typeof startTcpServer>[0]): Promise<TestTcpServer> {
  const s = await startTcpServer(onConnection);
  servers.push(s);
  return s;
}

function player(options: RtmpPlayOptions): RtmpPlayer {
  const p = new RtmpPlayer(options);
  players.push(p);
  return p;
}

/** start() must reject with `code` within `withinMs`, and 'close' must carry the same error. */
async function expectFailure(p: RtmpPlayer, code: RtmpError['code'], withinMs: number): Promise<RtmpError> {
  const closed = nextEvent<[RtmpError | undefined]>(p, 'close', withinMs + 1000);
  const startedAt = Date.now();
  await expect(p.start()).rejects.toThrow(expect.objectContaining({ name: 'RtmpError', code }));
  expect(Date.now() - startedAt).toBeLessThan(withinMs);
  const [err] = await closed;
  expect(err).toMatchObject({ code });
  return err!;
}

describe('RtmpPlayer against broken or silent peers', () => {
  it('fails fast with HANDSHAKE on a server that answers with garbage (HTTP)', async () => {
    const s = await tcpServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    const err = await expectFailure(player({ url: `rtmp://127.0.0.1:${s.port}/live/x`, timeoutMs: 5000 }), 'HANDSHAKE', 1000);
    expect(err.message).toMatch(/version 0x48/);
  });

  it('fails with TIMEOUT on a server that accepts and says nothing', async () => {
    const s = await tcpServer(() => {});
    const err = await expectFailure(player({ url: `rtmp://127.0.0.1:${s.port}/live/x`, timeoutMs: 300 }), 'TIMEOUT', 2000);
    expect(err.message).toMatch(/within 300 ms \(state: handshaking\)/);
  });

  it('fails with ABORTED when the signal fires mid-handshake, and closes the socket', async () => {
    let serverSocketClosed = false;
    let connected!: () => void;
    const connection = new Promise<void>((r) => (connected = r));
    const s = await tcpServer((socket) => {
      socket.on('close', () => (serverSocketClosed = true));
      connected();
    });
    const ac = new AbortController();
    const p = player({ url: `rtmp://127.0.0.1:${s.port}/live/x`, signal: ac.signal });
    const closed = nextEvent<[RtmpError | undefined]>(p, 'close', 2000);
    const started = p.start();
    await connection;
    ac.abort(new Error('shutting down'));
    await expect(started).rejects.toThrow(expect.objectContaining({ code: 'ABORTED' }));
    expect((await closed)[0]).toMatchObject({ code: 'ABORTED' });
    await waitFor(() => serverSocketClosed, 2000, 'server to see the socket close');
  });

  it('fails with ABORTED at once for an already aborted signal', async () => {
    const port = await freePort();
    await expectFailure(player({ url: `rtmp://127.0.0.1:${port}/live/x`, signal: AbortSignal.abort() }), 'ABORTED', 500);
  });

  it('fails with SOCKET when nothing listens', async () => {
    const port = await freePort();
    const err = await expectFailure(player({ url: `rtmp://127.0.0.1:${port}/live/x` }), 'SOCKET', 2000);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('fails with SOCKET when rtmps:// meets a plain TCP server', async () => {
    const s = await tcpServer((socket) => socket.end('not tls at all\r\n'));
    await expectFailure(player({ url: `rtmps://127.0.0.1:${s.port}/live/x`, timeoutMs: 3000 }), 'SOCKET', 2000);
  });

  it('fails with CLOSED_BY_PEER when the server hangs up during the handshake', async () => {
    const s = await tcpServer((socket) => socket.destroy());
    await expectFailure(player({ url: `rtmp://127.0.0.1:${s.port}/live/x` }), 'CLOSED_BY_PEER', 2000);
  });

  it('fails with BAD_URL without connecting', async () => {
    const err = await expectFailure(player({ url: 'rtmp://127.0.0.1/live' }), 'BAD_URL', 500);
    expect(err.message).toMatch(/no stream name/);
  });
});
