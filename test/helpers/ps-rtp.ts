/**
 * A GB28181-style camera in a box: MPEG-PS over RTP built from ffmpeg's elementary
 * streams (testsrc2 → libx264/libx265 Annex B, sine → AAC ADTS or G.711), shaped the
 * way cameras send it:
 *
 *   per video frame: pack header [system header + PSM before each keyframe] PES(0xE0)...
 *   per audio frame: pack header PES(0xC0)
 *   PES split at 65535 bytes (PES_packet_length 0 on request), RTP payloads of at most
 *   1400 bytes, the marker bit on each frame's last packet, 90 kHz timestamps, one
 *   SSRC, payload type 96.
 *
 * This is an independent writer of the ISO/IEC 13818-1 layouts (it shares no code
 * with the receiver it tests) and has no dependency on the workspace packages, so
 * the relay's end-to-end tests can use it too. `sendUdp` / `sendTcp` play the packets
 * to a receiver.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as NetSocket } from 'node:net';

const FFMPEG = '/usr/bin/ffmpeg';

export type PsVideoCodec = 'h264' | 'h265';
export type PsAudioCodec = 'aac' | 'pcma' | 'pcmu';

export interface PsRtpOptions {
  readonly video: PsVideoCodec;
  readonly audio?: PsAudioCodec;
  readonly seconds: number;
  readonly fps?: number;
  readonly width?: number;
  readonly height?: number;
  readonly ssrc?: number;
  /** Default 96. */
  readonly payloadType?: number;
  /** Keyframe interval in frames (default: fps, one per second). */
  readonly gop?: number;
  /** First RTP sequence number (default 0; e.g. 65500 to cross the wrap). */
  readonly firstSequence?: number;
  /** First RTP timestamp (default 0; e.g. 2^32 - 90000 to cross the wrap). */
  readonly firstTimestamp?: number;
  /** First PTS (default 90000; e.g. 2^33 - 90000 to cross the 33-bit wrap). */
  readonly firstPts?: number;
  /** Largest RTP payload (default 1400). */
  readonly maxPayload?: number;
  /** Video PES with PES_packet_length 0, one per frame (default false: split at 65535). */
  readonly pesLengthZero?: boolean;
  /** Largest video PES payload when split (default: what fits PES_packet_length 65535). */
  readonly maxPesPayload?: number;
  /** Put the PTS on continuation PES of a frame too (default false: first PES only). */
  readonly ptsOnEveryPes?: boolean;
  /** Send the PSM (default true; false: a camera that sends none). */
  readonly psm?: boolean;
  /** Audio sample rate for AAC (default 16000; G.711 is always 8000). */
  readonly audioRate?: number;
  /** G.711 bytes per PES (default 320: 40 ms). */
  readonly g711FrameBytes?: number;
}

export interface PsRtpStream {
  /** Serialized RTP packets, in send order. */
  readonly packets: Uint8Array[];
  /** When a live camera would send each packet, ms from the first. */
  readonly sendTimesMs: number[];
  readonly frames: { readonly video: number; readonly audio: number };
  /** The video access units as encoded (Annex B), and which are keyframes. */
  readonly videoFrames: Uint8Array[];
  readonly keyframes: boolean[];
  /** The audio frames as put in each PES (one ADTS frame, or G.711 bytes). */
  readonly audioFrames: Uint8Array[];
  /** The PTS of each video / audio frame (33-bit, as written). */
  readonly videoPts: number[];
  readonly audioPts: number[];
  /** Index range [first, last] of the packets of each video frame. */
  readonly videoPacketRanges: Array<[number, number]>;
}

interface Unit {
  readonly kind: 'video' | 'audio';
  readonly index: number;
  readonly pts: number;
}

const TICKS = 90_000;
const PTS_MOD = 2 ** 33;

/** Builds the packets; ffmpeg runs once per distinct encoding (cached per process). */
export async function buildPsRtpPackets(options: PsRtpOptions): Promise<PsRtpStream> {
  const fps = options.fps ?? 25;
  const gop = options.gop ?? fps;
  const es = await encodeElementaryStreams({
    video: options.video,
    ...(options.audio ? { audio: options.audio } : {}),
    seconds: options.seconds,
    fps,
    gop,
    width: options.width ?? 320,
    height: options.height ?? 240,
    audioRate: options.audioRate ?? 16000,
    g711FrameBytes: options.g711FrameBytes ?? 320,
  });
  const firstPts = options.firstPts ?? TICKS;
  const units: Unit[] = [];
  const videoPts = es.video.map((_, i) => firstPts + Math.round((i * TICKS) / fps));
  const audioPts = es.audio.map((_, i) => firstPts + Math.round(i * es.audioFrameTicks));
  videoPts.forEach((pts, index) => units.push({ kind: 'video', index, pts }));
  audioPts.forEach((pts, index) => units.push({ kind: 'audio', index, pts }));
  units.sort((a, b) => a.pts - b.pts || (a.kind === 'video' ? -1 : 1));

  const packets: Uint8Array[] = [];
  const sendTimesMs: number[] = [];
  const videoPacketRanges: Array<[number, number]> = [];
  const ssrc = options.ssrc ?? 0x12345678;
  const pt = options.payloadType ?? 96;
  const maxPayload = options.maxPayload ?? 1400;
  let seq = options.firstSequence ?? 0;
  const firstTs = options.firstTimestamp ?? 0;
  for (const u of units) {
    const pts = u.pts % PTS_MOD;
    const ps =
      u.kind === 'video'
        ? videoUnit(es.video[u.index]!, es.keyframes[u.index]!, pts, options)
        : concat([packHeader(pts), pes(0xc0, es.audio[u.index]!, pts, false)]);
    const ts = (firstTs + (u.pts - firstPts)) % 2 ** 32;
    const first = packets.length;
    for (let off = 0; off < ps.byteLength; off += maxPayload) {
      const end = Math.min(ps.byteLength, off + maxPayload);
      packets.push(rtpPacket(pt, seq & 0xffff, ts, ssrc, end === ps.byteLength, ps.subarray(off, end)));
      sendTimesMs.push(((u.pts - firstPts) * 1000) / TICKS);
      seq++;
    }
    if (u.kind === 'video') videoPacketRanges.push([first, packets.length - 1]);
  }
  return {
    packets,
    sendTimesMs,
    frames: { video: es.video.length, audio: es.audio.length },
    videoFrames: es.video,
    keyframes: es.keyframes,
    audioFrames: es.audio,
    videoPts: videoPts.map((p) => p % PTS_MOD),
    audioPts: audioPts.map((p) => p % PTS_MOD),
    videoPacketRanges,
  };
}

function videoUnit(au: Uint8Array, keyframe: boolean, pts: number, o: PsRtpOptions): Uint8Array {
  const parts = [packHeader(pts)];
  const audioType = o.audio === 'aac' ? 0x0f : o.audio === 'pcma' ? 0x90 : o.audio === 'pcmu' ? 0x91 : undefined;
  if (keyframe) {
    parts.push(systemHeader(o.audio !== undefined));
    if (o.psm ?? true) parts.push(programStreamMap(o.video === 'h264' ? 0x1b : 0x24, audioType));
  }
  if (o.pesLengthZero) {
    parts.push(pes(0xe0, au, pts, true));
  } else {
    // PES_packet_length counts 3 flag bytes + 5 PTS bytes + payload.
    const max = o.maxPesPayload ?? 0xffff - 3 - 5;
    for (let off = 0; off < au.byteLength; off += max) {
      const withPts = off === 0 || (o.ptsOnEveryPes ?? false);
      parts.push(pes(0xe0, au.subarray(off, Math.min(au.byteLength, off + max)), withPts ? pts : undefined, false));
    }
  }
  return concat(parts);
}

// ---- ISO/IEC 13818-1 writers -------------------------------------------------

/** Pack header (2.5.3.3), SCR = pts, no stuffing. */
export function packHeader(scr: number, stuffing = 0): Uint8Array {
  const b = new Uint8Array(14 + stuffing);
  b.set([0, 0, 1, 0xba]);
  const high = Math.floor(scr / 2 ** 30) % 8;
  const mid = Math.floor(scr / 2 ** 15) % 2 ** 15;
  const low = scr % 2 ** 15;
  // '01' SCR[32..30] 1 SCR[29..28] | SCR[27..20] | SCR[19..15] 1 SCR[14..13] | SCR[12..5] | SCR[4..0] 1 ext[8..7] | ext[6..0] 1
  b[4] = 0x40 | (high << 3) | 0x04 | (mid >> 13);
  b[5] = (mid >> 5) & 0xff;
  b[6] = ((mid & 0x1f) << 3) | 0x04 | (low >> 13);
  b[7] = (low >> 5) & 0xff;
  b[8] = ((low & 0x1f) << 3) | 0x04;
  b[9] = 0x01;
  const muxRate = 6106; // 50-byte units: ~2.4 Mbit/s, what cameras typically claim
  b[10] = (muxRate >> 14) & 0xff;
  b[11] = (muxRate >> 6) & 0xff;
  b[12] = ((muxRate & 0x3f) << 2) | 0x03;
  b[13] = 0xf8 | stuffing;
  b.fill(0xff, 14);
  return b;
}

/** System header (2.5.3.5) listing video 0xE0 and, optionally, audio 0xC0. */
export function systemHeader(withAudio: boolean): Uint8Array {
  const streams = withAudio ? [[0xe0, 1, 1024], [0xc0, 0, 32]] : [[0xe0, 1, 1024]];
  const b = new Uint8Array(12 + 3 * streams.length);
  b.set([0, 0, 1, 0xbb]);
  const headerLength = 6 + 3 * streams.length;
  b[4] = headerLength >> 8;
  b[5] = headerLength & 0xff;
  const rateBound = 6106;
  b[6] = 0x80 | (rateBound >> 15);
  b[7] = (rateBound >> 7) & 0xff;
  b[8] = ((rateBound & 0x7f) << 1) | 0x01;
  b[9] = ((withAudio ? 1 : 0) << 2) | 0x00; // audio_bound, fixed_flag 0, CSPS_flag 0
  b[10] = 0xe0 | 0x01; // system_audio_lock_flag, system_video_lock_flag, marker, video_bound 1
  b[11] = 0x7f; // packet_rate_restriction_flag 0, reserved
  streams.forEach(([id, scale, size], i) => {
    b[12 + 3 * i] = id!;
    b[13 + 3 * i] = 0xc0 | (scale! << 5) | (size! >> 8);
    b[14 + 3 * i] = size! & 0xff;
  });
  return b;
}

/** Program stream map (2.5.4.1) with a correct CRC_32. */
export function programStreamMap(videoType: number, audioType?: number, version = 0): Uint8Array {
  const entries = audioType === undefined ? [[videoType, 0xe0]] : [[videoType, 0xe0], [audioType, 0xc0]];
  const esMapLength = 4 * entries.length;
  const mapLength = 2 + 2 + 2 + esMapLength + 4;
  const b = new Uint8Array(6 + mapLength);
  b.set([0, 0, 1, 0xbc, mapLength >> 8, mapLength & 0xff]);
  b[6] = 0x80 | 0x20 | (version & 0x1f); // current_next_indicator 1, single_extension_stream_flag 0, reserved 1
  b[7] = 0xff; // reserved, marker_bit
  b[8] = 0;
  b[9] = 0; // program_stream_info_length 0
  b[10] = esMapLength >> 8;
  b[11] = esMapLength & 0xff;
  entries.forEach(([type, id], i) => {
    b.set([type!, id!, 0, 0], 12 + 4 * i);
  });
  const crc = crc32Mpeg(b.subarray(0, b.byteLength - 4));
  new DataView(b.buffer).setUint32(b.byteLength - 4, crc);
  return b;
}

/** A PES packet (2.4.3.6) with an optional PTS; `unbounded` writes PES_packet_length 0. */
export function pes(streamId: number, payload: Uint8Array, pts: number | undefined, unbounded: boolean): Uint8Array {
  const headerData = pts === undefined ? 0 : 5;
  const b = new Uint8Array(9 + headerData + payload.byteLength);
  const length = unbounded ? 0 : 3 + headerData + payload.byteLength;
  if (length > 0xffff) throw new RangeError(`PES of ${length} bytes does not fit PES_packet_length`);
  b.set([0, 0, 1, streamId, length >> 8, length & 0xff, 0x80 | 0x04 /* data_alignment_indicator */, pts === undefined ? 0 : 0x80, headerData]);
  if (pts !== undefined) b.set(timestampField(0x2, pts), 9);
  b.set(payload, 9 + headerData);
  return b;
}

/** A 5-byte PTS/DTS field (2.4.3.7) with prefix '0010' / '0011' / '0001'. */
export function timestampField(prefix: number, ts: number): Uint8Array {
  const high = Math.floor(ts / 2 ** 30) % 8;
  const mid = Math.floor(ts / 2 ** 15) % 2 ** 15;
  const low = ts % 2 ** 15;
  return Uint8Array.of((prefix << 4) | (high << 1) | 1, mid >> 7, ((mid & 0x7f) << 1) | 1, low >> 7, ((low & 0x7f) << 1) | 1);
}

/** An RTP packet (RFC 3550 5.1) without CSRCs or extension. */
export function rtpPacket(pt: number, seq: number, ts: number, ssrc: number, marker: boolean, payload: Uint8Array): Uint8Array {
  const b = new Uint8Array(12 + payload.byteLength);
  const v = new DataView(b.buffer);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  v.setUint16(2, seq & 0xffff);
  v.setUint32(4, ts >>> 0);
  v.setUint32(8, ssrc >>> 0);
  b.set(payload, 12);
  return b;
}

/** CRC-32/MPEG-2 (polynomial 0x04C11DB7, initial all ones, MSB first, no final xor). */
export function crc32Mpeg(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    crc >>>= 0;
  }
  return crc >>> 0;
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

// ---- Elementary streams from ffmpeg ------------------------------------------

interface EsOptions {
  video: PsVideoCodec;
  audio?: PsAudioCodec;
  seconds: number;
  fps: number;
  gop: number;
  width: number;
  height: number;
  audioRate: number;
  g711FrameBytes: number;
}

export interface ElementaryStreams {
  /** Annex B access units. */
  readonly video: Uint8Array[];
  readonly keyframes: boolean[];
  readonly audio: Uint8Array[];
  /** 90 kHz ticks per audio frame. */
  readonly audioFrameTicks: number;
}

const cache = new Map<string, Promise<ElementaryStreams>>();

/** Encodes (once per option set and process) and splits the streams into frames. */
export function encodeElementaryStreams(o: EsOptions): Promise<ElementaryStreams> {
  const key = JSON.stringify(o);
  let p = cache.get(key);
  if (!p) {
    p = encode(o);
    cache.set(key, p);
  }
  return p;
}

async function encode(o: EsOptions): Promise<ElementaryStreams> {
  const frames = Math.round(o.seconds * o.fps);
  const src = ['-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps}`, '-frames:v', String(frames)];
  const videoArgs =
    o.video === 'h264'
      ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-g', String(o.gop), '-keyint_min', String(o.gop), '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-f', 'h264']
      : ['-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-x265-params', `keyint=${o.gop}:min-keyint=${o.gop}:scenecut=0:bframes=0:log-level=error`, '-f', 'hevc'];
  const videoBytes = await ffmpeg([...src, ...videoArgs, 'pipe:1']);
  const { aus, keyframes } = splitAccessUnits(videoBytes, o.video);
  let audio: Uint8Array[] = [];
  let audioFrameTicks = 0;
  if (o.audio) {
    const rate = o.audio === 'aac' ? o.audioRate : 8000;
    const asrc = ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}`, '-t', String(o.seconds)];
    if (o.audio === 'aac') {
      const bytes = await ffmpeg([...asrc, '-c:a', 'aac', '-b:a', '32k', '-ac', '1', '-f', 'adts', 'pipe:1']);
      audio = splitAdts(bytes);
      audioFrameTicks = (1024 * TICKS) / rate;
    } else {
      const fmt = o.audio === 'pcma' ? 'alaw' : 'mulaw';
      const bytes = await ffmpeg([...asrc, '-c:a', `pcm_${fmt}`, '-ar', '8000', '-ac', '1', '-f', fmt, 'pipe:1']);
      for (let off = 0; off + o.g711FrameBytes <= bytes.byteLength; off += o.g711FrameBytes) audio.push(bytes.subarray(off, off + o.g711FrameBytes));
      audioFrameTicks = (o.g711FrameBytes * TICKS) / 8000;
    }
  }
  return { video: aus, keyframes, audio, audioFrameTicks };
}

function ffmpeg(args: string[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(FFMPEG, ['-hide_banner', '-nostdin', '-loglevel', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(new Uint8Array(Buffer.concat(out)));
      else reject(new Error(`ffmpeg ${args.join(' ')} exited ${code}: ${err.slice(-500)}`));
    });
  });
}

/** NAL units of an Annex B stream with their start offsets (start code included). */
function nalUnits(data: Uint8Array): Array<{ start: number; body: number; end: number }> {
  const starts: Array<{ start: number; body: number }> = [];
  for (let i = 0; i + 2 < data.byteLength; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      const start = i > 0 && data[i - 1] === 0 ? i - 1 : i;
      starts.push({ start, body: i + 3 });
      i += 2;
    }
  }
  return starts.map((s, k) => ({ ...s, end: k + 1 < starts.length ? starts[k + 1]!.start : data.byteLength }));
}

/**
 * Access units of an Annex B stream (H.264 7.4.1.2.3, H.265 7.4.2.4.4): a new one
 * begins at an AUD / parameter set / prefix SEI, or at a slice that is the first of
 * its picture, once the current unit has a slice.
 */
export function splitAccessUnits(data: Uint8Array, codec: PsVideoCodec): { aus: Uint8Array[]; keyframes: boolean[] } {
  const aus: Uint8Array[] = [];
  const keyframes: boolean[] = [];
  let auStart = -1;
  let hasSlice = false;
  let key = false;
  for (const n of nalUnits(data)) {
    const h0 = data[n.body]!;
    let vcl: boolean;
    let firstSlice: boolean;
    let startsAu: boolean;
    let isKey: boolean;
    if (codec === 'h264') {
      const t = h0 & 0x1f;
      vcl = t >= 1 && t <= 5;
      firstSlice = vcl && (data[n.body + 1]! & 0x80) !== 0; // first_mb_in_slice ue(v) == 0
      startsAu = t === 9 || t === 7 || t === 8 || t === 6 || (t >= 14 && t <= 18);
      isKey = t === 5;
    } else {
      const t = (h0 >> 1) & 0x3f;
      vcl = t <= 31;
      firstSlice = vcl && (data[n.body + 2]! & 0x80) !== 0; // first_slice_segment_in_pic_flag
      startsAu = t === 35 || t === 32 || t === 33 || t === 34 || t === 39 || (t >= 41 && t <= 44) || (t >= 48 && t <= 55);
      isKey = t >= 16 && t <= 23;
    }
    if (auStart >= 0 && hasSlice && (startsAu || firstSlice)) {
      aus.push(data.subarray(auStart, n.start));
      keyframes.push(key);
      auStart = -1;
      hasSlice = false;
      key = false;
    }
    if (auStart < 0) auStart = n.start;
    if (vcl) hasSlice = true;
    if (isKey) key = true;
  }
  if (auStart >= 0 && hasSlice) {
    aus.push(data.subarray(auStart));
    keyframes.push(key);
  }
  return { aus, keyframes };
}

/** ADTS frames (ISO/IEC 14496-3 1.A.2.2: 13-bit aac_frame_length at bit 30). */
export function splitAdts(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  while (off + 7 <= data.byteLength) {
    if (data[off] !== 0xff || (data[off + 1]! & 0xf0) !== 0xf0) throw new Error(`ADTS sync lost at ${off}`);
    const len = ((data[off + 3]! & 0x03) << 11) | (data[off + 4]! << 3) | (data[off + 5]! >> 5);
    if (len < 7 || off + len > data.byteLength) break;
    out.push(data.subarray(off, off + len));
    off += len;
  }
  return out;
}

// ---- Sending -----------------------------------------------------------------

export interface SendUdpOptions {
  /** 1 = real time (default), 4 = four times faster, Infinity = no pacing. */
  readonly speed?: number;
  /** Yield to the event loop after this many packets when not pacing (default 16). */
  readonly burst?: number;
}

/**
 * Sends the packets from a new UDP socket to host:port at their send times (scaled
 * by `speed`), then closes the socket. Resolves when the last one is sent.
 */
export async function sendUdp(packets: readonly Uint8Array[], timesMs: readonly number[], host: string, port: number, options: SendUdpOptions = {}): Promise<void> {
  const speed = options.speed ?? 1;
  const burst = options.burst ?? 16;
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const t0 = performance.now();
  try {
    for (let i = 0; i < packets.length; i++) {
      if (Number.isFinite(speed)) {
        const due = t0 + (timesMs[i] ?? 0) / speed;
        const wait = due - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      } else if (i % burst === 0) {
        await new Promise((r) => setImmediate(r));
      }
      await new Promise<void>((resolve, reject) => socket.send(packets[i]!, port, host, (err) => (err ? reject(err) : resolve())));
    }
  } finally {
    await new Promise<void>((r) => socket.close(() => r()));
  }
}

/** RFC 4571 framing of one packet. */
export function frame4571(packet: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 + packet.byteLength);
  out[0] = packet.byteLength >> 8;
  out[1] = packet.byteLength & 0xff;
  out.set(packet, 2);
  return out;
}

/** Writes the packets to a connected TCP socket with RFC 4571 framing, honouring back-pressure. */
export async function sendTcp(socket: NetSocket, packets: readonly Uint8Array[]): Promise<void> {
  for (const p of packets) {
    if (!socket.write(frame4571(p))) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          socket.off('error', onError);
          resolve();
        };
        const onError = (err: Error) => {
          socket.off('drain', onDrain);
          reject(err);
        };
        socket.once('drain', onDrain);
        socket.once('error', onError);
      });
    }
  }
}

/** A deterministic PRNG (xorshift32, Marsaglia 2003) in [0, 1) for fault injection in tests. */
export function seededRandom(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}
