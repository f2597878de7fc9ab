import {
  H264NalType,
  H265NalType,
  h264NalType,
  h265NalType,
  isH264Keyframe,
  isH265Keyframe,
  parseAudioSpecificConfig,
  parseH264Sps,
  parseH265Sps,
} from '@sluice/codec';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtspPlayer, type RtspAccessUnit, type RtspError, type RtspPlayOptions } from '../src/index.js';
import { countingAllocator } from './helpers/counting-allocator.js';
import { stopAll } from '../../../test/helpers/child.js';
import { startGstRtspServer, type GstRtspServer } from '../../../test/helpers/gst-rtsp-server.js';
import { nextEvent, waitFor } from '../../../test/helpers/wait.js';

// End to end against GStreamer's gst-rtsp-server 1.22 (test/helpers/gst-rtsp-server.py):
// a real RTSP camera on 127.0.0.1, over TCP and UDP, with Digest and Basic auth.

const players: RtspPlayer[] = [];
let open: GstRtspServer;

beforeAll(async () => {
  open = await startGstRtspServer();
});

afterAll(async () => {
  await Promise.all(players.splice(0).map((p) => p.close()));
  await stopAll();
});

function player(options: RtspPlayOptions): RtspPlayer {
  const p = new RtspPlayer({ timeoutMs: 8000, ...options });
  players.push(p);
  return p;
}

/** Starts a player and collects its access units per track. */
async function play(options: RtspPlayOptions): Promise<{ p: RtspPlayer; units: RtspAccessUnit[][] }> {
  const p = player(options);
  const tracks = await p.start();
  const units: RtspAccessUnit[][] = tracks.map(() => []);
  p.on('accessUnit', (u) => units[u.trackIndex]!.push(u));
  return { p, units };
}

function increasing(values: number[]): boolean {
  return values.every((v, i) => i === 0 || v > values[i - 1]!);
}


describe.each(['tcp', 'udp'] as const)('H.264 + AAC over %s', (transport) => {
  it('sets up both tracks; keyframes carry SPS/PPS; timestamps advance; an RTCP SR gives ntpTime to both tracks', async () => {
    const ports = countingAllocator();
    const { p, units } = await play({ url: open.url('/h264'), transport, udpPorts: ports.udpPorts });
    expect(p.transport).toBe(transport);
    const [video, audio] = p.tracks;
    expect(video).toMatchObject({ kind: 'video', codec: 'h264', clockRate: 90000, payloadType: 96 });
    expect(audio).toMatchObject({ kind: 'audio', codec: 'aac', clockRate: 44100, channels: 1, payloadType: 97 });
    if (video!.kind !== 'video' || audio!.kind !== 'audio') throw new Error('unexpected track kinds');
    expect(parseH264Sps(video.parameterSets.sps[0]!)).toMatchObject({ width: 320, height: 240 });
    expect(parseAudioSpecificConfig(audio.config!)).toMatchObject({ objectType: 2, sampleRate: 44100, channels: 1 });

    // gst's rtpbin sends its first SR within a few seconds.
    await waitFor(() => units[0]!.some((u) => u.ntpTime !== undefined) && units[1]!.some((u) => u.ntpTime !== undefined), 12_000, 'SR-mapped access units on both tracks');
    const keyframe = units[0]!.find((u) => isH264Keyframe(u.nalus!));
    expect(keyframe).toBeDefined();
    const types = keyframe!.nalus!.map(h264NalType);
    expect(types).toContain(H264NalType.Sps);
    expect(types).toContain(H264NalType.Pps);
    expect(types.indexOf(H264NalType.Sps)).toBeLessThan(types.indexOf(H264NalType.Idr));
    expect(increasing(units[0]!.map((u) => u.rtpTimestamp))).toBe(true);
    expect(increasing(units[1]!.map((u) => u.rtpTimestamp))).toBe(true);
    // 25 fps: 3600 ticks per frame; AAC: 1024 samples per access unit.
    expect(units[0]![1]!.rtpTimestamp - units[0]![0]!.rtpTimestamp).toBe(3600);
    expect(units[1]![1]!.rtpTimestamp - units[1]![0]!.rtpTimestamp).toBe(1024);
    expect(units[1]!.every((u) => u.data !== undefined && u.data.byteLength > 0)).toBe(true);

    // Wall clock: the latest video and audio access units were captured at about the same time.
    const lastVideo = units[0]!.at(-1)!.ntpTime!;
    const lastAudio = units[1]!.at(-1)!.ntpTime!;
    expect(Math.abs(lastVideo - lastAudio)).toBeLessThan(500);
    expect(Math.abs(lastVideo - Date.now())).toBeLessThan(10_000);

    expect(p.stats).toMatchObject({ lost: 0, droppedFrames: 0, badPackets: 0, foreignPackets: 0 });
    expect(p.stats.packets).toBeGreaterThan(50);
    await p.close();
    expect(ports.outstanding()).toBe(0);
    if (transport === 'udp') expect(ports.total()).toBe(2);
  });
});

describe('other codecs', () => {
  it('H.265: VPS/SPS/PPS from the SDP and in band; IRAP access units', async () => {
    const { p, units } = await play({ url: open.url('/h265') });
    const [video] = p.tracks;
    expect(video).toMatchObject({ kind: 'video', codec: 'h265', clockRate: 90000 });
    if (video!.kind !== 'video') throw new Error('not video');
    expect(video.parameterSets.vps).toHaveLength(1);
    expect(parseH265Sps(video.parameterSets.sps[0]!)).toMatchObject({ width: 320, height: 240 });
    await waitFor(() => units[0]!.length >= 30, 8000, '30 H.265 access units');
    const key = units[0]!.find((u) => isH265Keyframe(u.nalus!))!;
    expect(key.nalus!.map(h265NalType)).toEqual(expect.arrayContaining([H265NalType.VPS, H265NalType.SPS, H265NalType.PPS]));
    expect(increasing(units[0]!.map((u) => u.rtpTimestamp))).toBe(true);
    expect(p.stats).toMatchObject({ droppedFrames: 0, badPackets: 0 });
  });

  it('G.711 A-law: 8000 Hz chunks with advancing timestamps', async () => {
    const { p, units } = await play({ url: open.url('/g711'), transport: 'udp' });
    expect(p.tracks).toMatchObject([{ kind: 'audio', codec: 'pcma', clockRate: 8000, channels: 1, payloadType: 8 }]);
    await waitFor(() => units[0]!.length >= 10, 8000, '10 G.711 chunks');
    const chunks = units[0]!;
    expect(increasing(chunks.map((u) => u.rtpTimestamp))).toBe(true);
    // Each chunk's duration in samples is its length (one byte per sample).
    expect(chunks[1]!.rtpTimestamp - chunks[0]!.rtpTimestamp).toBe(chunks[0]!.data!.byteLength);
  });

  it("'auto' stays on UDP when RTP arrives", async () => {
    const { p } = await play({ url: open.url('/h264-video'), transport: 'auto' });
    expect(p.transport).toBe('udp');
  });
});

describe.each(['digest', 'basic'] as const)('%s authentication', (auth) => {
  let server: GstRtspServer;
  beforeAll(async () => {
    server = await startGstRtspServer({ auth, user: 'viewer', password: 'pa ss' });
  });
  afterAll(() => server.stop());

  it('plays with the right credentials (from the URL, then from the options)', async () => {
    const a = await play({ url: server.url('/g711', { user: 'viewer', password: 'pa ss' }) });
    await waitFor(() => a.units[0]!.length >= 3, 8000, 'audio');
    const b = await play({ url: server.url('/g711'), user: 'viewer', password: 'pa ss', transport: 'udp' });
    await waitFor(() => b.units[0]!.length >= 3, 8000, 'audio');
  });

  it('a wrong password → AUTH_FAILED with the 401 reason at once, after one authorized retry, no loop', async () => {
    const before = server.responses().length;
    const p = player({ url: server.url('/g711'), user: 'viewer', password: 'wrong' });
    const closed = nextEvent<[RtspError]>(p, 'close', 5000);
    const started = Date.now();
    await expect(p.start()).rejects.toThrow(expect.objectContaining({ code: 'AUTH_FAILED', status: 401, reason: 'Unauthorized' }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await closed)[0]).toMatchObject({ code: 'AUTH_FAILED' });
    // OPTIONS (200), DESCRIBE without credentials (401), DESCRIBE with the wrong ones (401): nothing more.
    await waitFor(() => server.responses().length >= before + 3, 2000, 'the server to log its replies');
    expect(server.responses().slice(before).map((r) => r.status)).toEqual([200, 401, 401]);
  });
});

describe('UDP port pairs are released on every path', () => {
  it('after a refused SETUP (server allows TCP only: 461), and after close during connect / setup', async () => {
    // Not shared: a shared gst mount answers 503 to a DESCRIBE that arrives while the
    // previous client's media is being unprepared (see README, quirks).
    const tcpOnly = await startGstRtspServer({ protocols: 'tcp' });
    try {
      const ports = countingAllocator();
      const p = player({ url: tcpOnly.url('/h264'), transport: 'udp', udpPorts: ports.udpPorts });
      await expect(p.start()).rejects.toThrow(expect.objectContaining({ code: 'UNSUPPORTED_TRANSPORT', status: 461 }));
      expect(ports.total()).toBe(1);
      expect(ports.outstanding()).toBe(0);

      // 'auto' on the same server ends up on TCP, its UDP pair released.
      const auto = await play({ url: tcpOnly.url('/h264'), transport: 'auto', udpPorts: ports.udpPorts });
      expect(auto.p.transport).toBe('tcp');
      await waitFor(() => auto.units[0]!.length >= 2, 8000, 'video over the TCP fallback');
      expect(ports.outstanding()).toBe(0);
      await auto.p.close();
    } finally {
      await tcpOnly.stop();
    }

    const ports = countingAllocator();
    for (let i = 0; i < 20; i++) {
      const p = new RtspPlayer({ url: open.url('/g711'), transport: 'udp', udpPorts: ports.udpPorts, timeoutMs: 8000 });
      const start = p.start().catch((e: RtspError) => e);
      const before = ports.total();
      if (i % 2 === 1) await waitFor(() => ports.total() > before, 5000, 'a pair to be allocated');
      await p.close();
      const result = await start;
      if (!Array.isArray(result)) expect(result.code).toBe('CLOSED');
    }
    expect(ports.outstanding()).toBe(0);
  });
});

describe('the server going away', () => {
  it.each(['tcp', 'udp'] as const)('killed while playing over %s → close with a typed error', async (transport) => {
    const doomed = await startGstRtspServer();
    const ports = countingAllocator();
    const { p, units } = await play({ url: doomed.url('/g711'), transport, udpPorts: ports.udpPorts });
    await waitFor(() => units[0]!.length >= 2, 8000, 'audio');
    const closed = nextEvent<[RtspError]>(p, 'close', 8000);
    await doomed.kill();
    const [err] = await closed;
    expect(err).toMatchObject({ name: 'RtspError', code: expect.stringMatching(/^(CLOSED_BY_PEER|SOCKET)$/) });
    expect(ports.outstanding()).toBe(0);
  });
});
