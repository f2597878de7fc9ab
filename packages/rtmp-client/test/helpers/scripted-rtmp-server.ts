import { randomFillSync } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  ChunkReader,
  ChunkWriter,
  MessageType,
  encodeCommand,
  encodeSetChunkSize,
  parseCommand,
  type Amf0Value,
  type Command,
  type RtmpMessage,
} from '../../src/index.js';

/**
 * A TCP server on 127.0.0.1 whose per-connection behaviour is a test's function.
 * `close()` also destroys the open connections, so a test never leaves one behind.
 */
export interface TestTcpServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTcpServer(onConnection: (socket: Socket) => void): Promise<TestTcpServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {}); // the client under test may reset; that is not this server's failure
    onConnection(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const HANDSHAKE_SIZE = 1536;

/** A command as the server received it, with the message stream it came on. */
export interface ReceivedCommand extends Command {
  readonly streamId: number;
}

/**
 * The server side of one RTMP connection, driven step by step by a test: plain
 * handshake, then chunked messages both ways. Uses this package's own ChunkReader /
 * ChunkWriter / AMF0 (each tested against hand-written bytes in the unit tests).
 * Needed because the real peers available here cannot produce some cases
 * (ffmpeg 5.1 cannot publish Enhanced RTMP, servers do not misbehave on demand).
 */
export class ScriptedSession {
  readonly received: RtmpMessage[] = [];
  readonly writer = new ChunkWriter();
  private readonly reader = new ChunkReader();
  private pre: Uint8Array = new Uint8Array(0);
  private handshakeDone = false;
  private readonly listeners = new Set<() => void>();
  private ended = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('close', () => {
      this.ended = true;
      this.notify();
    });
  }

  /** True once the client's socket has closed. */
  get closed(): boolean {
    return this.ended;
  }

  private onData(data: Uint8Array): void {
    if (!this.handshakeDone) {
      const joined = new Uint8Array(this.pre.byteLength + data.byteLength);
      joined.set(this.pre);
      joined.set(data, this.pre.byteLength);
      this.pre = joined;
    } else {
      this.received.push(...this.reader.push(data));
    }
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves when `check` returns a value (re-checked on every arrival), rejects after `timeoutMs`. */
  private until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const listener = (): void => {
        const v = check();
        if (v !== undefined) {
          finish();
          resolve(v);
        } else if (this.ended) {
          finish();
          reject(new Error(`client closed the connection while the server waited for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`scripted server: no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
      listener();
    });
  }

  /** Reads C0+C1, answers S0+S1+S2 (S2 echoes C1), reads C2. */
  async handshake(timeoutMs = 2000): Promise<void> {
    await this.until(() => (this.pre.byteLength >= 1 + HANDSHAKE_SIZE ? true : undefined), timeoutMs, 'C0+C1');
    const c1 = this.pre.slice(1, 1 + HANDSHAKE_SIZE);
    const reply = new Uint8Array(1 + 2 * HANDSHAKE_SIZE);
    reply[0] = 3;
    randomFillSync(reply.subarray(1 + 8, 1 + HANDSHAKE_SIZE)); // S1: time 0, zero 0, random
    reply.set(c1, 1 + HANDSHAKE_SIZE); // S2 = echo of C1
    this.socket.write(reply);
    await this.until(() => (this.pre.byteLength >= 1 + 2 * HANDSHAKE_SIZE ? true : undefined), timeoutMs, 'C2');
    this.handshakeDone = true;
    const rest = this.pre.subarray(1 + 2 * HANDSHAKE_SIZE);
    this.pre = new Uint8Array(0);
    if (rest.byteLength > 0) this.received.push(...this.reader.push(rest));
  }

  /** The first received message (from the start of the session) matching `predicate`. */
  waitForMessage(predicate: (m: RtmpMessage) => boolean, timeoutMs = 2000, what = 'matching message'): Promise<RtmpMessage> {
    return this.until(() => this.received.find(predicate), timeoutMs, what);
  }

  /** The first command named `name` received in this session. */
  async waitForCommand(name: string, timeoutMs = 2000): Promise<ReceivedCommand> {
    const msg = await this.waitForMessage(
      (m) => m.type === MessageType.CommandAmf0 && parseCommand(m.payload).name === name,
      timeoutMs,
      `'${name}' command`,
    );
    return { ...parseCommand(msg.payload), streamId: msg.streamId };
  }

  async waitForClose(timeoutMs = 30_000): Promise<void> {
    await this.until(() => (this.ended ? true : undefined), timeoutMs, 'client close');
  }

  /** Chunks and writes one message; several calls before an await go out in one TCP write. */
  send(type: number, payload: Uint8Array, options: { csid?: number; streamId?: number; timestamp?: number } = {}): void {
    const bytes = this.writer.encode({
      csid: options.csid ?? 3,
      type,
      streamId: options.streamId ?? 0,
      timestamp: options.timestamp ?? 0,
      payload,
    });
    this.socket.write(bytes);
  }

  /** Writes raw bytes (for malformed chunk streams). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  sendCommand(name: string, transactionId: number, commandObject: Amf0Value, args: Amf0Value[] = [], streamId = 0): void {
    this.send(MessageType.CommandAmf0, encodeCommand(name, transactionId, commandObject, ...args), {
      csid: streamId === 0 ? 3 : 5,
      streamId,
    });
  }

  sendStatus(streamId: number, level: string, code: string, description: string): void {
    this.sendCommand('onStatus', 0, null, [{ level, code, description }], streamId);
  }

  /** Announces and switches to a new outgoing chunk size. */
  setChunkSize(size: number): void {
    this.send(MessageType.SetChunkSize, encodeSetChunkSize(size), { csid: 2 });
    this.writer.setChunkSize(size);
  }

  sendVideo(timestamp: number, body: Uint8Array, streamId = 1): void {
    this.send(MessageType.Video, body, { csid: 6, streamId, timestamp });
  }

  sendAudio(timestamp: number, body: Uint8Array, streamId = 1): void {
    this.send(MessageType.Audio, body, { csid: 4, streamId, timestamp });
  }

  /**
   * The usual server side of a play: connect → _result, createStream → _result(streamId),
   * play → onStatus NetStream.Play.Start (unless `playStart` is false). Returns the
   * commands the client sent.
   */
  async acceptPlay(options: { streamId?: number; playStart?: boolean } = {}): Promise<{
    connect: ReceivedCommand;
    play: ReceivedCommand;
  }> {
    const streamId = options.streamId ?? 1;
    await this.handshake();
    const connect = await this.waitForCommand('connect');
    this.sendCommand('_result', connect.transactionId, { fmsVer: 'FMS/3,0,1,123', capabilities: 31 }, [
      { level: 'status', code: 'NetConnection.Connect.Success', description: 'Connection succeeded.', objectEncoding: 0 },
    ]);
    const createStream = await this.waitForCommand('createStream');
    this.sendCommand('_result', createStream.transactionId, null, [streamId]);
    const play = await this.waitForCommand('play');
    if (options.playStart !== false) this.sendStatus(streamId, 'status', 'NetStream.Play.Start', 'Start live');
    return { connect, play };
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface ScriptedRtmpServer {
  readonly port: number;
  url(app: string, stream: string): string;
  close(): Promise<void>;
}

/**
 * Starts a scripted RTMP server: `script` runs for each connection. A script that
 * throws closes its connection (the error is kept and rethrown by `close()` so that a
 * broken script fails the test instead of passing silently).
 */
export async function startScriptedRtmpServer(script: (session: ScriptedSession) => Promise<void>): Promise<ScriptedRtmpServer> {
  const errors: unknown[] = [];
  const server = await startTcpServer((socket) => {
    const session = new ScriptedSession(socket);
    script(session).catch((err: unknown) => {
      if (!session.closed) errors.push(err); // a client that went away on purpose is not a script failure
      session.close();
    });
  });
  return {
    port: server.port,
    url: (app, stream) => `rtmp://127.0.0.1:${server.port}/${app}/${stream}`,
    async close() {
      await server.close();
      if (errors.length > 0) throw errors[0];
    },
  };
}
