import { afterEach, describe, expect, it } from 'vitest';
import {
  Amf0EcmaArray,
  MessageType,
  RtmpPlayer,
  encodeAmf0,
  encodePingRequest,
  encodeWindowAckSize,
  parseAcknowledgement,
  parseCommand,
  parseSetChunkSize,
  parseUserControl,
  parseWindowAckSize,
  type FlvAudioTag,
  type FlvVideoTag,
  type RtmpError,
  type RtmpPlayOptions,
} from '../src/index.js';
import { concat, hex, ramp } from './helpers/bytes.js';
import { startScriptedRtmpServer, type ScriptedRtmpServer, type ScriptedSession } from './helpers/scripted-rtmp-server.js';
import { nextEvent, waitFor, within } from '../../../test/helpers/wait.js';

// The RtmpPlayer against a scripted in-test RTMP server. Real-peer tests (nginx-rtmp +
// ffmpeg) are in e2e-nginx.test.ts; ffmpeg 5.1 cannot publish Enhanced RTMP, so HEVC
// (hvc1 ExVideoTagHeader and legacy CodecID 12) is exercised here.

const servers: ScriptedRtmpServer[] = [];
const players: RtmpPlayer[] = [];

afterEach(async () => {
  for (const p of players.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: (s: ScriptedSession) => Promise<void>): Promise<ScriptedRtmpServer> {
  const server = await startScriptedRtmpServer(script);
  servers.push(server);
  return server;
}

function player(options: RtmpPlayOptions): RtmpPlayer {
  const p = new RtmpPlayer({ timeoutMs: 3000, ...options });
  players.push(p);
  return p;
}

function record(p: RtmpPlayer): { video: FlvVideoTag[]; audio: FlvAudioTag[]; metadata: Record<string, unknown>[] } {
  const r = { video: [] as FlvVideoTag[], audio: [] as FlvAudioTag[], metadata: [] as Record<string, unknown>[] };
  p.on('video', (t) => r.video.push(t));
  p.on('audio', (t) => r.audio.push(t));
  p.on('metadata', (m) => r.metadata.push(m));
  return r;
}

/** Resolves with the session once the script has run `until` (a one-shot latch). */
function latch<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const hvcC = hex('01 01 60000000 b0000000 0000 5a f000 fc fd f8 f8 0000 0f 00');

describe('RtmpPlayer against a scripted server', () => {
  it('connects, creates a stream and plays as RTMP 1.0 describes', async () => {
    const seen = latch<ScriptedSession>();
    const server = await serve(async (s) => {
      await s.acceptPlay();
      await s.waitForMessage((m) => m.type === MessageType.UserControl);
      seen.resolve(s);
      await s.waitForClose();
    });
    const p = player({ url: `${server.url('live', 'cam1')}?token=abc` });
    await p.start();
    const s = await within(seen.promise, 2000, 'server to see the play');

    const connect = parseCommand(s.received.find((m) => m.type === MessageType.CommandAmf0)!.payload);
    expect(connect).toMatchObject({ name: 'connect', transactionId: 1 });
    expect(connect.commandObject).toMatchObject({
      app: 'live',
      tcUrl: `rtmp://127.0.0.1:${server.port}/live`,
      flashVer: 'LNX 9,0,124,2',
      objectEncoding: 0,
      fourCcList: ['hvc1', 'avc1'],
    });
    const play = await s.waitForCommand('play');
    expect(play.streamId).toBe(1);
    expect(play.args).toEqual(['cam1?token=abc', -2]);

    // After connect's _result: Window Ack Size and Set Chunk Size, then Set Buffer Length after play.
    const control = s.received.filter((m) => m.csid === 2);
    expect(control.map((m) => m.type)).toEqual([MessageType.WindowAckSize, MessageType.SetChunkSize, MessageType.UserControl]);
    expect(parseWindowAckSize(control[0]!.payload)).toBe(2_500_000);
    expect(parseSetChunkSize(control[1]!.payload)).toBe(4096);
    expect(parseUserControl(control[2]!.payload)).toEqual({ type: 'set-buffer-length', streamId: 1, bufferMs: 3000 });
  });

  it('plays HEVC over Enhanced RTMP (hvc1) with AAC; listeners added after start() see everything', async () => {
    const server = await serve(async (s) => {
      await s.acceptPlay({ playStart: false });
      // All in one TCP write together with NetStream.Play.Start.
      s.socket.cork();
      s.sendStatus(1, 'status', 'NetStream.Play.Start', 'Start live');
      s.sendVideo(0, concat(hex('90 68766331'), hvcC)); // SequenceStart
      s.sendAudio(0, hex('af 00 1210'));
      s.sendVideo(0, hex('91 68766331 000050 00000003 260101')); // CodedFrames, keyframe, cts 80
      s.sendAudio(23, hex('af 01 211b8c'));
      s.sendVideo(40, hex('a3 68766331 00000003 020101')); // CodedFramesX, inter
      s.sendVideo(80, hex('92 68766331')); // SequenceEnd
      s.socket.uncork();
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'hevc') });
    await p.start();
    const r = record(p);
    await waitFor(() => r.video.length === 4 && r.audio.length === 2, 2000, 'all tags');
    expect(r.video).toEqual([
      { kind: 'sequence-header', codec: 'h265', timestamp: 0, config: hvcC },
      { kind: 'frame', codec: 'h265', timestamp: 0, compositionTime: 80, keyframe: true, data: hex('00000003 260101') },
      { kind: 'frame', codec: 'h265', timestamp: 40, compositionTime: 0, keyframe: false, data: hex('00000003 020101') },
      { kind: 'end-of-sequence', codec: 'h265', timestamp: 80 },
    ]);
    expect(r.audio).toEqual([
      { kind: 'sequence-header', codec: 'aac', timestamp: 0, config: hex('1210') },
      { kind: 'frame', codec: 'aac', timestamp: 23, data: hex('211b8c'), soundRate: 44100, channels: 2 },
    ]);
  });

  it('plays legacy HEVC (FLV CodecID 12) and starts on the first media without Play.Start', async () => {
    const server = await serve(async (s) => {
      await s.acceptPlay({ playStart: false });
      s.sendVideo(1000, concat(hex('1c 00 000000'), hvcC));
      s.sendVideo(1000, hex('1c 01 000028 00000003 260101'));
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'legacy') });
    const r = record(p);
    await p.start();
    await waitFor(() => r.video.length === 2, 2000, 'two video tags');
    expect(r.video[0]).toEqual({ kind: 'sequence-header', codec: 'h265', timestamp: 1000, config: hvcC });
    expect(r.video[1]).toMatchObject({ kind: 'frame', codec: 'h265', compositionTime: 40, keyframe: true });
  });

  it('unwraps timestamps past 2^32 ms', async () => {
    const server = await serve(async (s) => {
      await s.acceptPlay();
      for (const ts of [0xffffffb0, 0xffffffd8, 0x00000000, 0x00000028]) s.sendVideo(ts, hex('27 01 000000 00000001 01'));
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'wrap') });
    const r = record(p);
    await p.start();
    await waitFor(() => r.video.length === 4, 2000, 'four frames');
    expect(r.video.map((t) => t.timestamp)).toEqual([0xffffffb0, 0xffffffd8, 0x1_0000_0000, 0x1_0000_0028]);
  });

  it('emits onMetaData, also through @setDataFrame, and media inside aggregate messages', async () => {
    const server = await serve(async (s) => {
      await s.acceptPlay();
      s.send(MessageType.DataAmf0, encodeAmf0(['@setDataFrame', 'onMetaData', new Amf0EcmaArray({ width: 640, height: 360 })]), {
        csid: 5,
        streamId: 1,
      });
      s.send(MessageType.DataAmf0, encodeAmf0(['onMetaData', { videocodecid: 7 }]), { csid: 5, streamId: 1 });
      s.send(MessageType.Aggregate, hex('09 000005 000064 00 000001 2701000000 00000010  08 000003 000078 00 000001 af0121 0000000e'), {
        csid: 6,
        streamId: 1,
        timestamp: 2000,
      });
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'meta') });
    const r = record(p);
    await p.start();
    await waitFor(() => r.metadata.length === 2 && r.audio.length === 1, 2000, 'metadata and aggregate');
    expect(r.metadata).toEqual([{ width: 640, height: 360 }, { videocodecid: 7 }]);
    expect(r.video).toEqual([
      { kind: 'frame', codec: 'h264', timestamp: 2000, compositionTime: 0, keyframe: false, data: new Uint8Array(0) },
    ]);
    expect(r.audio).toEqual([{ kind: 'frame', codec: 'aac', timestamp: 2020, data: hex('21'), soundRate: 44100, channels: 2 }]);
  });

  it('answers a PingRequest with a PingResponse carrying the same timestamp', async () => {
    const answered = latch<unknown>();
    const server = await serve(async (s) => {
      await s.acceptPlay();
      s.send(MessageType.UserControl, encodePingRequest(0xabcdef), { csid: 2 });
      const m = await s.waitForMessage((x) => x.type === MessageType.UserControl && parseUserControl(x.payload).type === 'ping-response');
      answered.resolve(parseUserControl(m.payload));
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'ping') });
    await p.start();
    expect(await within(answered.promise, 2000, 'PingResponse')).toEqual({ type: 'ping-response', timestamp: 0xabcdef });
    expect(p.counters.pingsAnswered).toBe(1);
  });

  it('acknowledges every window of received bytes', async () => {
    const acks = latch<number[]>();
    const server = await serve(async (s) => {
      await s.acceptPlay();
      s.send(MessageType.WindowAckSize, encodeWindowAckSize(5000), { csid: 2 });
      const ackCount = (): number => s.received.filter((m) => m.type === MessageType.Acknowledgement).length;
      // Three rounds of more than a window each; every round must draw a new acknowledgement.
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 6; i++) s.sendVideo((round * 6 + i) * 40, concat(hex('27 01 000000'), ramp(1000)));
        await waitFor(() => ackCount() > round, 2000, `acknowledgement ${round + 1}`);
      }
      acks.resolve(s.received.filter((m) => m.type === MessageType.Acknowledgement).map((m) => parseAcknowledgement(m.payload)));
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'ack') });
    const r = record(p);
    await p.start();
    const seqs = await within(acks.promise, 3000, 'acknowledgements');
    await waitFor(() => r.video.length === 18, 2000, 'all frames');
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]! - seqs[i - 1]!).toBeGreaterThanOrEqual(5000);
    expect(seqs.at(-1)!).toBeLessThanOrEqual(p.bytesIn);
    expect(seqs).toHaveLength(3);
    expect(p.bytesIn).toBeGreaterThan(18 * 1000);
  });

  it('counts unknown message types and unsupported codecs without failing', async () => {
    const server = await serve(async (s) => {
      await s.acceptPlay();
      s.send(MessageType.SharedObjectAmf0, hex('00 01 02'), { csid: 5, streamId: 1 });
      s.send(99, hex('00'), { csid: 5, streamId: 1 });
      s.sendVideo(0, hex('14 00 1122')); // VP6
      s.sendVideo(0, hex('17 01')); // truncated AVC
      s.sendVideo(40, hex('17 01 000000 00000001 65'));
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'odd') });
    const r = record(p);
    await p.start();
    await waitFor(() => r.video.length === 1, 2000, 'the one valid frame');
    expect(p.counters).toMatchObject({ unknownMessages: 2, skippedVideo: 1, malformedMessages: 1 });
  });

  const failures: {
    name: string;
    script: (s: ScriptedSession) => Promise<void>;
    code: RtmpError['code'];
    serverCode?: string;
  }[] = [
    {
      name: 'connect answered with _error',
      script: async (s) => {
        await s.handshake();
        const c = await s.waitForCommand('connect');
        s.sendCommand('_error', c.transactionId, null, [
          { level: 'error', code: 'NetConnection.Connect.Rejected', description: 'bad token' },
        ]);
        await s.waitForClose();
      },
      code: 'CONNECT_REJECTED',
      serverCode: 'NetConnection.Connect.Rejected',
    },
    {
      name: 'createStream answered with _error',
      script: async (s) => {
        await s.handshake();
        const c = await s.waitForCommand('connect');
        s.sendCommand('_result', c.transactionId, null, [{ level: 'status', code: 'NetConnection.Connect.Success' }]);
        const cs = await s.waitForCommand('createStream');
        s.sendCommand('_error', cs.transactionId, null, [{ level: 'error', code: 'NetConnection.Call.Failed' }]);
        await s.waitForClose();
      },
      code: 'PLAY_FAILED',
      serverCode: 'NetConnection.Call.Failed',
    },
    {
      name: 'play answered with NetStream.Play.StreamNotFound',
      script: async (s) => {
        await s.acceptPlay({ playStart: false });
        s.sendStatus(1, 'error', 'NetStream.Play.StreamNotFound', 'No such stream');
        await s.waitForClose();
      },
      code: 'STREAM_NOT_FOUND',
      serverCode: 'NetStream.Play.StreamNotFound',
    },
    {
      name: 'play answered with NetStream.Play.Failed',
      script: async (s) => {
        await s.acceptPlay({ playStart: false });
        s.sendStatus(1, 'error', 'NetStream.Play.Failed', 'nope');
        await s.waitForClose();
      },
      code: 'PLAY_FAILED',
      serverCode: 'NetStream.Play.Failed',
    },
    {
      name: 'a chunk stream that makes no sense after the handshake',
      script: async (s) => {
        await s.handshake();
        s.sendRaw(hex('c7 0102030405060708')); // type 3 chunk on a chunk stream never opened
        await s.waitForClose();
      },
      code: 'PROTOCOL',
    },
    {
      name: 'a 16 MiB message header',
      script: async (s) => {
        await s.handshake();
        s.sendRaw(hex('06 000000 ffffff 09 01000000'));
        await s.waitForClose();
      },
      code: 'MESSAGE_TOO_LARGE',
    },
    {
      name: 'the server closing after connect',
      script: async (s) => {
        await s.handshake();
        await s.waitForCommand('connect');
        s.close();
      },
      code: 'CLOSED_BY_PEER',
    },
  ];

  it.each(failures)('rejects start() on $name, and reports it once on close', async ({ script, code, serverCode }) => {
    const server = await serve(script);
    const p = player({ url: server.url('live', 'x') });
    const closes: (RtmpError | undefined)[] = [];
    p.on('close', (e) => closes.push(e));
    const closed = nextEvent(p, 'close', 3000);
    await expect(p.start()).rejects.toThrow(expect.objectContaining({ name: 'RtmpError', code }));
    await closed;
    if (serverCode !== undefined) await expect(p.start()).rejects.toMatchObject({ serverCode });
    expect(closes).toHaveLength(1);
    expect(closes[0]).toMatchObject({ code });
  });

  it('ends a playing session on an error status, with the error on close', async () => {
    const server = await serve(async (s) => {
      await s.acceptPlay();
      s.sendVideo(0, hex('17 01 000000 00000001 65'));
      await waitFor(() => s.received.some((m) => m.type === MessageType.UserControl), 2000, 'set buffer length');
      s.sendStatus(1, 'error', 'NetStream.Play.Failed', 'publisher gone wrong');
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'x') });
    const closed = nextEvent<[RtmpError | undefined]>(p, 'close', 3000);
    await p.start();
    const [err] = await closed;
    expect(err).toMatchObject({ code: 'PLAY_FAILED', serverCode: 'NetStream.Play.Failed', description: 'publisher gone wrong' });
  });

  it('close() ends the connection, fires close once without an error, and is idempotent', async () => {
    const serverSawClose = latch();
    const server = await serve(async (s) => {
      await s.acceptPlay();
      await s.waitForClose(3000);
      serverSawClose.resolve();
    });
    const p = player({ url: server.url('live', 'x') });
    await p.start();
    const closes: unknown[] = [];
    p.on('close', (e) => closes.push(e));
    const closed = nextEvent(p, 'close', 2000);
    p.close();
    p.close();
    await closed;
    await within(serverSawClose.promise, 2000, 'server to see the close');
    p.close();
    expect(closes).toEqual([undefined]);
  });

  it('rejects a start() pending when close() is called with CLOSED', async () => {
    const server = await serve(async (s) => {
      await s.handshake();
      await s.waitForClose();
    });
    const p = player({ url: server.url('live', 'x') });
    const started = p.start();
    const closed = nextEvent(p, 'close', 2000);
    p.close();
    await expect(started).rejects.toThrow(expect.objectContaining({ code: 'CLOSED' }));
    expect(await closed).toEqual([undefined]);
  });
});
