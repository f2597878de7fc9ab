import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { splitAggregate } from './aggregate.js';
import { ChunkReader } from './chunk-reader.js';
import { ChunkWriter } from './chunk-writer.js';
import {
  amf0ToRecord,
  connectCommand,
  createStreamCommand,
  parseCommand,
  parseDataMessage,
  playCommand,
  statusInfo,
  type Command,
  type StatusInfo,
} from './commands.js';
import { RtmpError } from './errors.js';
import { parseFlvAudioTag, parseFlvVideoTag, type FlvAudioTag, type FlvVideoTag } from './flv.js';
import { ClientHandshake } from './handshake.js';
import { MessageType, type RtmpMessage } from './message-types.js';
import {
  encodeAcknowledgement,
  encodeSetChunkSize,
  encodeWindowAckSize,
  parseSetPeerBandwidth,
  parseWindowAckSize,
} from './protocol-control.js';
import { TimestampUnwrapper } from './timestamp.js';
import { parseRtmpUrl, type RtmpUrl } from './url.js';
import { encodePingResponse, encodeSetBufferLength, parseUserControl } from './user-control.js';

// Specification: Adobe RTMP 1.0, section 7.2.1.1 (connect message flow) and 7.3.2
// (play message sequence), as a client runs it:
//
//   handshake → connect ──────────────▶ ◀── Window Ack Size, Set Peer Bandwidth, _result
//             Window Ack Size, Set Chunk Size, createStream ──▶ ◀── _result(stream id)
//             play(name, -2), Set Buffer Length ──▶ ◀── StreamBegin, onStatus Play.Start,
//                                                        onMetaData, audio/video …

export interface RtmpPlayOptions {
  /** rtmp:// or rtmps:// URL: the first path segment is the app, the rest (with query) the stream. */
  url: string;
  /** Aborting closes the socket; start() rejects (and 'close' reports) RtmpError('ABORTED'). */
  signal?: AbortSignal;
  /** Bound on connect + handshake + play, in milliseconds. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Extra options for rtmps:// (e.g. `rejectUnauthorized: false`, `ca`). */
  tls?: tls.ConnectionOptions;
}

export interface RtmpPlayerEvents {
  video: [tag: FlvVideoTag];
  audio: [tag: FlvAudioTag];
  /** onMetaData (directly or through @setDataFrame). */
  metadata: [data: Record<string, unknown>];
  /** Every onStatus the server sends (also the ones that end the session). */
  status: [info: StatusInfo];
  /** Exactly once, after the connection ended; no error for a local close(). */
  close: [error?: RtmpError];
}

/** Things that went by without ending the session. */
export interface RtmpPlayerCounters {
  /** Messages of types this client does not handle (shared objects, AMF3 …). */
  unknownMessages: number;
  /** Video tags skipped: unsupported codec, command frames, metadata packets. */
  skippedVideo: number;
  /** Audio tags skipped: enhanced audio, unknown AAC packet types. */
  skippedAudio: number;
  /** Media or data messages that failed to parse. */
  malformedMessages: number;
  acknowledgementsSent: number;
  pingsAnswered: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Our outgoing chunk size: every command fits in one chunk. Only applies to our writes. */
export const OUT_CHUNK_SIZE = 4096;
/**
 * The window we announce: the server acknowledges after this many bytes from us.
 * A player sends a few hundred bytes in total, so the value hardly matters; this is
 * the value FFmpeg and Flash players use.
 */
export const CLIENT_WINDOW_ACK_SIZE = 2_500_000;
/** Set Buffer Length we announce; live servers mostly ignore it, VOD servers pace by it. */
export const CLIENT_BUFFER_MS = 3000;

/** Chunk stream ids for what we send: 2 is reserved for control (5.4), 3 and 8 as FFmpeg uses them. */
const CSID_CONTROL = 2;
const CSID_COMMAND = 3;
const CSID_STREAM = 8;

type PlayerState =
  | 'new'
  | 'connecting'
  | 'handshaking'
  | 'connecting-app'
  | 'creating-stream'
  | 'starting-play'
  | 'playing'
  | 'closed';

const TRANSITIONS: Readonly<Record<PlayerState, readonly PlayerState[]>> = {
  new: ['connecting', 'closed'],
  connecting: ['handshaking', 'closed'],
  handshaking: ['connecting-app', 'closed'],
  'connecting-app': ['creating-stream', 'closed'],
  'creating-stream': ['starting-play', 'closed'],
  'starting-play': ['playing', 'closed'],
  playing: ['closed'],
  closed: [],
};

type PendingCommand = 'connect' | 'createStream';

/**
 * Plays one RTMP stream. Media arrives as 'video' / 'audio' events carrying FLV tag
 * bodies parsed into {@link FlvVideoTag} / {@link FlvAudioTag}, with timestamps
 * unwrapped past 2^32 ms.
 *
 * Listeners attached right after `await start()` see everything from the first
 * media message on: messages that arrive together with NetStream.Play.Start are
 * held back until the promise continuation has run.
 */
export class RtmpPlayer extends EventEmitter<RtmpPlayerEvents> {
  readonly counters: RtmpPlayerCounters = {
    unknownMessages: 0,
    skippedVideo: 0,
    skippedAudio: 0,
    malformedMessages: 0,
    acknowledgementsSent: 0,
    pingsAnswered: 0,
  };

  private state: PlayerState = 'new';
  private readonly timeoutMs: number;
  private url: RtmpUrl | null = null;
  private socket: net.Socket | null = null;
  private socketClosed = false;
  private startPromise: Promise<void> | null = null;
  private settleStart: { resolve: () => void; reject: (err: RtmpError) => void } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closeError: RtmpError | undefined;
  private closeEmitted = false;

  private readonly handshake = new ClientHandshake();
  private readonly reader = new ChunkReader();
  private readonly writer = new ChunkWriter();
  private nextTransactionId = 1;
  private readonly pending = new Map<number, PendingCommand>();
  private streamId = 0;

  private received = 0;
  private peerWindow = 0;
  private lastAckAt = 0;
  private lastWindowSent = 0;
  /** Messages held back while the start() continuation runs (see class comment). */
  private backlog: RtmpMessage[] = [];
  private draining = false;

  private readonly videoClock = new TimestampUnwrapper();
  private readonly audioClock = new TimestampUnwrapper();

  constructor(private readonly options: RtmpPlayOptions) {
    super();
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Bytes read from the socket so far (after TLS), handshake included. */
  get bytesIn(): number {
    return this.received;
  }

  /** Resolves once the server confirms play (NetStream.Play.Start) or media arrives. */
  start(): Promise<void> {
    if (this.startPromise !== null) return this.startPromise;
    this.startPromise = new Promise<void>((resolve, reject) => {
      this.settleStart = { resolve, reject };
    });
    if (this.state === 'closed') {
      this.settleStart?.reject(new RtmpError('CLOSED', 'start() called on a closed RtmpPlayer'));
      this.settleStart = null;
      return this.startPromise;
    }
    try {
      this.url = parseRtmpUrl(this.options.url);
    } catch (err) {
      this.fail(err as RtmpError); // parseRtmpUrl throws RtmpError('BAD_URL') only
      return this.startPromise;
    }
    const signal = this.options.signal;
    if (signal?.aborted) {
      this.fail(new RtmpError('ABORTED', 'aborted before start', { cause: signal.reason }));
      return this.startPromise;
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
    this.timer = setTimeout(() => {
      this.fail(new RtmpError('TIMEOUT', `no NetStream.Play.Start within ${this.timeoutMs} ms (state: ${this.state})`));
    }, this.timeoutMs);
    this.transition('connecting');
    this.openSocket(this.url);
    return this.startPromise;
  }

  /** Closes the connection. Idempotent; 'close' fires once, without an error. */
  close(): void {
    if (this.state === 'closed') return;
    this.end(undefined, new RtmpError('CLOSED', 'closed before play started'));
  }

  private readonly onAbort = (): void => {
    this.fail(new RtmpError('ABORTED', 'aborted by signal', { cause: this.options.signal?.reason }));
  };

  private transition(to: PlayerState): void {
    if (!TRANSITIONS[this.state].includes(to)) {
      throw new Error(`RtmpPlayer: illegal transition from '${this.state}' to '${to}'`);
    }
    this.state = to;
  }

  private fail(err: RtmpError): void {
    if (this.state === 'closed') return;
    this.end(err, err);
  }

  /** The one way into 'closed': `closeError` goes to 'close', `startError` to a pending start(). */
  private end(closeError: RtmpError | undefined, startError: RtmpError): void {
    this.transition('closed');
    this.closeError = closeError;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.options.signal?.removeEventListener('abort', this.onAbort);
    this.backlog = [];
    this.settleStart?.reject(startError);
    this.settleStart = null;
    if (this.socket !== null && !this.socketClosed) {
      // 'close' is emitted from the socket's own 'close' event, after the connection is gone.
      this.socket.destroy();
    } else {
      process.nextTick(() => this.emitClose());
    }
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close', this.closeError);
  }

  private openSocket(url: RtmpUrl): void {
    const socket =
      url.protocol === 'rtmps'
        ? tls.connect({
            host: url.host,
            port: url.port,
            // SNI takes a host name only; Node warns when given an IP address.
            ...(net.isIP(url.host) === 0 ? { servername: url.host } : {}),
            ...this.options.tls,
          })
        : net.connect({ host: url.host, port: url.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.once(url.protocol === 'rtmps' ? 'secureConnect' : 'connect', () => {
      if (this.state !== 'connecting') return;
      this.transition('handshaking');
      this.send(this.handshake.start());
    });
    socket.on('data', (data: Buffer) => this.onData(data));
    socket.on('error', (err) => {
      this.fail(new RtmpError('SOCKET', `${url.protocol}://${url.host}:${url.port}: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      this.socketClosed = true;
      this.fail(new RtmpError('CLOSED_BY_PEER', `server closed the connection (state: ${this.state})`));
      this.emitClose();
    });
  }

  private send(bytes: Uint8Array): void {
    if (this.socket !== null && !this.socket.destroyed) this.socket.write(bytes);
  }

  private sendMessage(csid: number, type: number, streamId: number, payload: Uint8Array): void {
    this.send(this.writer.encode({ csid, type, streamId, timestamp: 0, payload }));
  }

  private onData(data: Uint8Array): void {
    if (this.state === 'closed') return;
    this.received += data.byteLength;
    try {
      let chunkBytes = data;
      if (this.state === 'handshaking') {
        const step = this.handshake.push(data);
        if (step.send !== null) this.send(step.send);
        if (!step.done) return;
        this.transition('connecting-app');
        this.sendCommand('connect', (tx) => connectCommand(this.url!, tx));
        chunkBytes = step.rest;
      }
      if (chunkBytes.byteLength > 0) this.handleMessages(this.reader.push(chunkBytes));
      this.acknowledge();
    } catch (err) {
      this.failOn(err);
    }
  }

  /**
   * Protocol errors end the session. Anything else is a bug, most likely an exception
   * thrown by an event listener: the session is closed too (nothing half-handled
   * stays open) and the exception is rethrown, as EventEmitter would.
   */
  private failOn(err: unknown): void {
    if (err instanceof RtmpError) {
      this.fail(err);
      return;
    }
    this.fail(new RtmpError('PROTOCOL', `unexpected error while handling the stream: ${String(err)}`, { cause: err }));
    throw err;
  }

  /** Sends a NetConnection command whose _result/_error is matched by transaction id. */
  private sendCommand(kind: PendingCommand, build: (transactionId: number) => Uint8Array): void {
    const tx = this.nextTransactionId++;
    this.pending.set(tx, kind);
    this.sendMessage(CSID_COMMAND, MessageType.CommandAmf0, 0, build(tx));
  }

  /** Section 5.4.3: acknowledge once the peer's window of bytes has been received. */
  private acknowledge(): void {
    if (this.state === 'closed' || this.peerWindow === 0) return;
    if (this.received - this.lastAckAt < this.peerWindow) return;
    this.lastAckAt = this.received;
    this.sendMessage(CSID_CONTROL, MessageType.Acknowledgement, 0, encodeAcknowledgement(this.received));
    this.counters.acknowledgementsSent++;
  }

  private handleMessages(messages: RtmpMessage[]): void {
    if (this.draining) {
      this.backlog.push(...messages);
      return;
    }
    for (let i = 0; i < messages.length; i++) {
      if (this.state === 'closed') return;
      const msg = messages[i]!;
      if (this.state === 'starting-play' && carriesMedia(msg)) {
        // Media before (or instead of) NetStream.Play.Start also means playing.
        this.started();
        this.holdBack(messages.slice(i));
        return;
      }
      this.handleMessage(msg);
      if (this.justStarted) {
        this.holdBack(messages.slice(i + 1));
        return;
      }
    }
  }

  /** start() has just resolved: the rest of the batch waits for its continuation. */
  private justStarted = false;

  private started(): void {
    this.transition('playing');
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.settleStart?.resolve();
    this.settleStart = null;
    this.justStarted = true;
  }

  /**
   * Pauses reading and delivers `messages` from a macrotask, after the microtasks
   * that continue `await start()` have run and attached their listeners.
   */
  private holdBack(messages: RtmpMessage[]): void {
    this.justStarted = false;
    if (messages.length === 0) return;
    this.draining = true;
    this.backlog = messages;
    this.socket?.pause();
    setImmediate(() => {
      const held = this.backlog;
      this.backlog = [];
      this.draining = false;
      if (this.state === 'closed') return;
      try {
        this.handleMessages(held);
        this.acknowledge();
      } catch (err) {
        this.failOn(err);
        return;
      }
      this.socket?.resume();
    });
  }

  private handleMessage(msg: RtmpMessage): void {
    switch (msg.type) {
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
        // Chunk size and abort were applied by the chunk reader; acks of our few bytes need nothing.
        return;
      case MessageType.WindowAckSize:
        this.peerWindow = parseWindowAckSize(msg.payload);
        return;
      case MessageType.SetPeerBandwidth: {
        // Section 5.4.5: answer with Window Acknowledgement Size when the window changes.
        const { size } = parseSetPeerBandwidth(msg.payload);
        if (size !== this.lastWindowSent) this.sendWindowAckSize(size);
        return;
      }
      case MessageType.UserControl: {
        const event = parseUserControl(msg.payload);
        if (event.type === 'ping-request') {
          this.sendMessage(CSID_CONTROL, MessageType.UserControl, 0, encodePingResponse(event.timestamp));
          this.counters.pingsAnswered++;
        }
        return;
      }
      case MessageType.Video:
        this.handleVideo(msg);
        return;
      case MessageType.Audio:
        this.handleAudio(msg);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3:
        this.handleData(msg);
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.handleCommand(parseCommand(msg.payload, msg.type === MessageType.CommandAmf3));
        return;
      case MessageType.Aggregate:
        this.handleAggregate(msg);
        return;
      default:
        this.counters.unknownMessages++;
    }
  }

  private sendWindowAckSize(size: number): void {
    this.lastWindowSent = size;
    this.sendMessage(CSID_CONTROL, MessageType.WindowAckSize, 0, encodeWindowAckSize(size));
  }

  private handleAggregate(msg: RtmpMessage): void {
    let parts: RtmpMessage[];
    try {
      parts = splitAggregate(msg);
    } catch {
      this.counters.malformedMessages++;
      return;
    }
    for (const part of parts) {
      if (this.state === 'closed') return;
      if (isMedia(part) || part.type === MessageType.DataAmf0) this.handleMessage(part);
      else this.counters.unknownMessages++;
    }
  }

  private handleVideo(msg: RtmpMessage): void {
    let tag;
    try {
      tag = parseFlvVideoTag(msg.payload, this.videoClock.unwrap(msg.timestamp));
    } catch {
      // A broken tag is a per-packet problem: count it, keep the session.
      this.counters.malformedMessages++;
      return;
    }
    if (tag.kind === 'skipped') this.counters.skippedVideo++;
    else this.emit('video', tag);
  }

  private handleAudio(msg: RtmpMessage): void {
    let tag;
    try {
      tag = parseFlvAudioTag(msg.payload, this.audioClock.unwrap(msg.timestamp));
    } catch {
      this.counters.malformedMessages++;
      return;
    }
    if (tag.kind === 'skipped') this.counters.skippedAudio++;
    else this.emit('audio', tag);
  }

  private handleData(msg: RtmpMessage): void {
    let values;
    try {
      values = parseDataMessage(msg.payload, msg.type === MessageType.DataAmf3);
    } catch {
      this.counters.malformedMessages++;
      return;
    }
    // Publishers send "@setDataFrame", "onMetaData", {...}; servers usually strip the first.
    if (values[0] === '@setDataFrame') values.shift();
    if (values[0] !== 'onMetaData') return;
    const data = amf0ToRecord(values[1] ?? null);
    if (data !== null) this.emit('metadata', { ...data });
  }

  private handleCommand(cmd: Command): void {
    switch (cmd.name) {
      case '_result':
      case '_error': {
        const kind = this.pending.get(cmd.transactionId);
        if (kind === undefined) return; // a reply to nothing we asked (e.g. to onBWDone)
        this.pending.delete(cmd.transactionId);
        if (cmd.name === '_error') {
          const info = statusInfo(cmd.args[0] ?? null);
          const what = kind === 'connect' ? 'connect' : 'createStream';
          this.fail(
            new RtmpError(kind === 'connect' ? 'CONNECT_REJECTED' : 'PLAY_FAILED', `${what} failed: ${describe(info)}`, {
              serverCode: info?.code,
              description: info?.description,
            }),
          );
          return;
        }
        if (kind === 'connect') this.onConnected();
        else this.onStreamCreated(cmd.args[0]);
        return;
      }
      case 'onStatus': {
        const info = statusInfo(cmd.args[0] ?? null);
        if (info === null) return;
        this.emit('status', info);
        if (info.level === 'error') {
          this.fail(statusError(info));
        } else if (info.code === 'NetStream.Play.Start' && this.state === 'starting-play') {
          this.started();
        }
        return;
      }
      case 'close':
        // FMS-style servers ask the client to close with a 'close' command.
        this.fail(new RtmpError('CLOSED_BY_PEER', 'server sent the close command'));
        return;
      default:
      // onBWDone, onFCSubscribe, |RtmpSampleAccess …: nothing a player must answer.
    }
  }

  private onConnected(): void {
    if (this.state !== 'connecting-app') return;
    this.transition('creating-stream');
    // Unless Set Peer Bandwidth already made us announce the server's window.
    if (this.lastWindowSent === 0) this.sendWindowAckSize(CLIENT_WINDOW_ACK_SIZE);
    this.sendMessage(CSID_CONTROL, MessageType.SetChunkSize, 0, encodeSetChunkSize(OUT_CHUNK_SIZE));
    this.writer.setChunkSize(OUT_CHUNK_SIZE);
    this.sendCommand('createStream', createStreamCommand);
  }

  private onStreamCreated(id: unknown): void {
    if (this.state !== 'creating-stream') return;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0xffffffff) {
      throw new RtmpError('PROTOCOL', `createStream result is not a stream id: ${String(id)}`);
    }
    this.streamId = id;
    this.transition('starting-play');
    this.sendMessage(CSID_STREAM, MessageType.CommandAmf0, this.streamId, playCommand(this.url!.streamName));
    this.sendMessage(CSID_CONTROL, MessageType.UserControl, 0, encodeSetBufferLength(this.streamId, CLIENT_BUFFER_MS));
  }
}

function isMedia(msg: RtmpMessage): boolean {
  return msg.type === MessageType.Video || msg.type === MessageType.Audio;
}

function carriesMedia(msg: RtmpMessage): boolean {
  return isMedia(msg) || msg.type === MessageType.Aggregate;
}

function describe(info: StatusInfo | null): string {
  if (info === null) return 'no status information';
  return `${info.code || 'no code'}${info.description ? ` (${info.description})` : ''}`;
}

/** Maps an error-level onStatus to a code. */
function statusError(info: StatusInfo): RtmpError {
  const details = { serverCode: info.code, description: info.description };
  const message = `server error: ${describe(info)}`;
  if (info.code === 'NetStream.Play.StreamNotFound') return new RtmpError('STREAM_NOT_FOUND', message, details);
  if (info.code.startsWith('NetConnection.Connect.')) return new RtmpError('CONNECT_REJECTED', message, details);
  return new RtmpError('PLAY_FAILED', message, details);
}
