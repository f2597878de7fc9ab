import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtmpPlayer, type RtmpError } from '../src/index.js';
import { startNginxRtmp, type NginxRtmp } from '../../../test/helpers/nginx-rtmp.js';
import { nextEvent } from '../../../test/helpers/wait.js';

// nginx-rtmp with its default idle_streams on, and the harness's restart on the same
// port (what the relay's reconnect tests build on).

let nginx: NginxRtmp;
const players: RtmpPlayer[] = [];

beforeAll(async () => {
  nginx = await startNginxRtmp();
});

afterAll(async () => {
  for (const p of players) p.close();
  await nginx?.stop();
});

function player(url: string): RtmpPlayer {
  const p = new RtmpPlayer({ url, timeoutMs: 3000 });
  players.push(p);
  return p;
}

describe('nginx-rtmp idle streams and restart', () => {
  it('answers NetStream.Play.Start for a stream nobody publishes (idle_streams on), so start() resolves', async () => {
    const p = player(nginx.rtmpUrl('live', 'nobody'));
    await p.start();
    expect(await nginx.subscribers('live', 'nobody')).toBe(1);
  });

  it('restarts on the same port: the old session is closed by the peer, a new one plays', async () => {
    const before = player(nginx.rtmpUrl('live', 'again'));
    await before.start();
    const port = nginx.rtmpPort;
    const closed = nextEvent<[RtmpError | undefined]>(before, 'close', 5000);
    await nginx.restart();
    expect((await closed)[0]).toMatchObject({ code: 'CLOSED_BY_PEER' });
    expect(nginx.rtmpPort).toBe(port);
    const after = player(nginx.rtmpUrl('live', 'again'));
    await after.start();
    expect(await nginx.subscribers('live', 'again')).toBe(1);
  });
});
