import { ByteReader } from '@sluice/codec';
import { Amf0EcmaArray, decodeAmf0, encodeAmf0, type Amf0Object, type Amf0Value } from './amf0.js';
import { RtmpError } from './errors.js';
import type { RtmpUrl } from './url.js';

// Specification: Adobe RTMP 1.0, section 7.2 "Command Messages" (7.2.1.1 connect,
// 7.2.1.3 createStream, 7.2.2.1 play, onStatus) and 7.1.1/7.1.2 (command and data
// message bodies: AMF0 values, or a one-byte AMF3 format selector then AMF0 values).
// Enhanced RTMP v1, "Enhancing NetConnection connect Command" (fourCcList).

/** A command message: name, transaction id, command object, then optional arguments. */
export interface Command {
  readonly name: string;
  readonly transactionId: number;
  readonly commandObject: Amf0Value;
  readonly args: readonly Amf0Value[];
}

/** The info object of onStatus, _result and _error (level, code, description). */
export interface StatusInfo {
  readonly level: string;
  readonly code: string;
  readonly description: string;
}

/**
 * Message types 15 and 17 (AMF3 data and command) start with one format byte; the
 * values after it are AMF0 unless switched with the avmplus marker, which no server
 * uses for commands (and which decodeAmf0 rejects).
 */
function amfBody(payload: Uint8Array, amf3: boolean): Uint8Array {
  if (!amf3) return payload;
  const r = new ByteReader(payload);
  if (r.remaining < 1) throw new RtmpError('PROTOCOL', 'empty AMF3 command or data message');
  r.skip(1);
  return r.rest();
}

/** Parses a command message body (type 20, or 17 when `amf3`). */
export function parseCommand(payload: Uint8Array, amf3 = false): Command {
  const values = decodeAmf0(amfBody(payload, amf3));
  const [name, transactionId, commandObject, ...args] = values;
  if (typeof name !== 'string') throw new RtmpError('PROTOCOL', 'command message without a command name');
  // Section 7.2: "Transaction ID (Number)"; absent from some servers' onStatus.
  const tx = typeof transactionId === 'number' ? transactionId : 0;
  return { name, transactionId: tx, commandObject: commandObject ?? null, args };
}

/** Parses a data message body (type 18, or 15 when `amf3`) into its values. */
export function parseDataMessage(payload: Uint8Array, amf3 = false): Amf0Value[] {
  return decodeAmf0(amfBody(payload, amf3));
}

export function encodeCommand(name: string, transactionId: number, commandObject: Amf0Value, ...args: Amf0Value[]): Uint8Array {
  return encodeAmf0([name, transactionId, commandObject, ...args]);
}

/** Section 7.2.1.1 audioCodecs: SUPPORT_SND_ALL. */
const SUPPORT_SND_ALL = 0x0fff;
/** Section 7.2.1.1 videoCodecs: SUPPORT_VID_ALL. */
const SUPPORT_VID_ALL = 0x00ff;
/** Section 7.2.1.1 videoFunction: SUPPORT_VID_CLIENT_SEEK. */
const SUPPORT_VID_CLIENT_SEEK = 1;
/**
 * Identifies the client as a Flash player on Linux. Some servers gate behaviour on a
 * player-looking flashVer (publishers send "FMLE/3.0"); FFmpeg sends the same string.
 */
export const FLASH_VERSION = 'LNX 9,0,124,2';

export function connectCommand(url: RtmpUrl, transactionId: number): Uint8Array {
  const commandObject: Amf0Object = {
    app: url.app,
    flashVer: FLASH_VERSION,
    tcUrl: url.tcUrl,
    fpad: false,
    capabilities: 15,
    audioCodecs: SUPPORT_SND_ALL,
    videoCodecs: SUPPORT_VID_ALL,
    videoFunction: SUPPORT_VID_CLIENT_SEEK,
    objectEncoding: 0,
    // Enhanced RTMP: tells servers that they may send these codecs in ExVideoTagHeader form.
    fourCcList: ['hvc1', 'avc1'],
  };
  return encodeCommand('connect', transactionId, commandObject);
}

export function createStreamCommand(transactionId: number): Uint8Array {
  return encodeCommand('createStream', transactionId, null);
}

/**
 * Section 7.2.2.1 "Start: … The default value is -2, which means the subscriber
 * first tries to play the live stream … If a live stream of that name is not found,
 * it plays the recorded stream". Play commands use transaction id 0.
 */
export const PLAY_START_LIVE_OR_RECORDED = -2;

export function playCommand(streamName: string): Uint8Array {
  return encodeCommand('play', 0, null, streamName, PLAY_START_LIVE_OR_RECORDED);
}

/** The info object of a status-carrying command, or null if it is not one. */
export function statusInfo(v: Amf0Value): StatusInfo | null {
  const obj = amf0ToRecord(v);
  if (obj === null) return null;
  const str = (x: unknown): string => (typeof x === 'string' ? x : '');
  return { level: str(obj['level']), code: str(obj['code']), description: str(obj['description']) };
}

/** An object or ECMA array as a record of its properties; null for anything else. */
export function amf0ToRecord(v: Amf0Value): Record<string, Amf0Value> | null {
  if (v instanceof Amf0EcmaArray) return v.properties;
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Date) return null;
  return v;
}
