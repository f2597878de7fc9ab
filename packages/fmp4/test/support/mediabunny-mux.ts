/**
 * mediabunny as an fMP4 muxer, driven the way the relay would drive it: packets in
 * decode order, interleaved by dts, fragments collected through the format's
 * onMoov/onMoof/onMdat callbacks. Used by the evaluation test and the benchmark.
 */
import type { Track } from '@sluice/codec';
import {
  EncodedAudioPacketSource,
  EncodedPacket,
  EncodedVideoPacketSource,
  Mp4OutputFormat,
  NullTarget,
  Output,
  StreamTarget,
  type StreamTargetChunk,
  type Target,
} from 'mediabunny';
import type { Fmp4Sample } from '../../src/index.js';


export interface Frame {
  track: Track;
  sample: Fmp4Sample;
}

export interface MediabunnyRun {
  /** Per fragment, in output order: how many frames had been added when it came out, and its mdat size. */
  fragments: { afterFrames: number; mdatBytes: number }[];
  /** Frames added when the moov (the init segment) came out. */
  framesBeforeInit: number;
  /** Bytes the muxer handed out through onMoof + onMdat: fresh buffers, payloads copied in. */
  bytesOut: number;
  /** Whether any onMdat buffer shares memory with an input packet. */
  sharesInputMemory: boolean;
}

export interface MediabunnyOptions {
  /** Mark every packet 'key': the only public way to get a fragment per frame. Breaks B-frames. */
  everyPacketKey: boolean;
  /** 'null': NullTarget + callbacks only. 'stream': a StreamTarget whose sink discards chunks. */
  target: 'null' | 'stream';
  /** Collect the accounting in MediabunnyRun (off in the timed benchmark loop). */
  account: boolean;
}

export async function muxWithMediabunny(frames: readonly Frame[], opts: MediabunnyOptions): Promise<MediabunnyRun> {
  const result: MediabunnyRun = { fragments: [], framesBeforeInit: -1, bytesOut: 0, sharesInputMemory: false };
  const inputBuffers = opts.account ? new Set(frames.map((f) => f.sample.data.buffer)) : undefined;
  let added = 0;
  const target: Target =
    opts.target === 'null'
      ? new NullTarget()
      : new StreamTarget(new WritableStream<StreamTargetChunk>({ write: () => undefined }));
  const output = new Output({
    format: new Mp4OutputFormat({
      fastStart: 'fragmented',
      minimumFragmentDuration: 0,
      onMoov: () => {
        if (result.framesBeforeInit < 0) result.framesBeforeInit = added;
      },
      onMoof: (data) => {
        result.bytesOut += data.byteLength;
      },
      onMdat: (data) => {
        result.fragments.push({ afterFrames: added, mdatBytes: data.byteLength });
        result.bytesOut += data.byteLength;
        if (inputBuffers?.has(data.buffer)) result.sharesInputMemory = true;
      },
    }),
    target,
  });

  const sources = new Map<number, { source: EncodedVideoPacketSource | EncodedAudioPacketSource; first: boolean }>();
  for (const track of new Set(frames.map((f) => f.track))) {
    if (track.kind === 'video') {
      const source = new EncodedVideoPacketSource(track.codec === 'h264' ? 'avc' : 'hevc');
      output.addVideoTrack(source);
      sources.set(track.id, { source, first: true });
    } else {
      const source = new EncodedAudioPacketSource('aac');
      output.addAudioTrack(source);
      sources.set(track.id, { source, first: true });
    }
  }
  await output.start();

  for (const { track, sample } of frames) {
    const entry = sources.get(track.id)!;
    // mediabunny takes presentation time in seconds and derives decode times itself.
    const packet = new EncodedPacket(
      sample.data,
      opts.everyPacketKey || sample.keyframe ? 'key' : 'delta',
      sample.pts / track.timescale,
      sample.duration / track.timescale,
    );
    if (track.kind === 'video') {
      const meta = entry.first
        ? { decoderConfig: { codec: track.codecString, codedWidth: track.width, codedHeight: track.height, description: track.decoderConfig } }
        : undefined;
      await (entry.source as EncodedVideoPacketSource).add(packet, meta);
    } else {
      const meta = entry.first
        ? { decoderConfig: { codec: track.codecString, numberOfChannels: track.channels, sampleRate: track.sampleRate, description: track.decoderConfig } }
        : undefined;
      await (entry.source as EncodedAudioPacketSource).add(packet, meta);
    }
    entry.first = false;
    added++;
  }
  await output.finalize();
  return result;
}

/**
 * How many frames had been added when the first video keyframe came out of the
 * muxer (found as the first mdat big enough to hold it; audio-only fragments are
 * a few hundred bytes).
 */
export function framesBeforeFirstKeyframeOut(frames: readonly Frame[], run: MediabunnyRun): number {
  const key = frames.find((f) => f.track.kind === 'video' && f.sample.keyframe)!;
  return run.fragments.find((f) => f.mdatBytes >= key.sample.data.byteLength)!.afterFrames;
}
