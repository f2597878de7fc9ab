import {
  splitAnnexB,
  splitLengthPrefixed,
  audioTrackFromAsc,
  g711Track,
  videoTrackFromAvcC,
  videoTrackFromHvcC,
  type AudioTrack,
  type Track,
  type VideoTrack,
} from '@sluice/codec';
import { RtmpPlayer, type FlvAudioTag, type FlvVideoTag } from '@sluice/rtmp-client';
import { VideoTrackBuilder } from './video-track-builder.js';
import { MediaHandlerGuard, UpstreamEndedError, type IngestSink, type PullContext } from './pull-source.js';

const VIDEO_TRACK_ID = 1;
const AUDIO_TRACK_ID = 2;
/** Video timestamps move to 90 kHz so every source (RTMP, RTSP, PS) shares one video clock. */
const VIDEO_TIMESCALE = 90000;
/**
 * If one side's sequence header has not come after this much media time, start
 * with what we have (an audio header that arrives later adds the track).
 */
const TRACK_WAIT_MS = 1000;

/**
 * The NAL units of a frame sent after an empty sequence header. ffmpeg's FLV
 * muxer then writes the encoder's output as it came, Annex B with start codes;
 * other muxers keep FLV's 4-byte lengths (the record that would say otherwise
 * is the empty one). Only the 4-byte start code is taken as Annex B: read as a
 * length it would claim a 1-byte NAL unit, which no frame starts with, while a
 * 3-byte one reads as a plausible length (00 00 01 xx: 256-511 bytes).
 */
function inBandNalUnits(data: Uint8Array): Uint8Array[] {
  const annexB = data.byteLength > 4 && data[0] === 0 && data[1] === 0 && data[2] === 0 && data[3] === 1;
  return annexB ? splitAnnexB(data) : splitLengthPrefixed(data, 4);
}

/**
 * RTMP → stream model: FLV sequence headers become tracks, FLV tags become frames.
 * (MediaMTX keeps this kind of adapter as a `to_stream` file per protocol.)
 */
export class FlvToFrames {
  private video: VideoTrack | undefined;
  /**
   * Set when the sequence header carried an empty configuration record (ffmpeg's
   * tee muxer without global headers does this): the parameter sets travel in
   * band, so the track is built from the frames themselves.
   */
  private inBand: VideoTrackBuilder | undefined;
  private audio: AudioTrack | undefined;
  private expectVideo = true;
  private expectAudio = true;
  private published: readonly Track[] = [];
  private firstTimestamp: number | undefined;

  constructor(private readonly sink: IngestSink) {}

  onMetadata(data: Record<string, unknown>): void {
    // onMetaData tells which sides exist; an absent codec id means that side will not come.
    if (data.videocodecid === undefined && data.audiocodecid !== undefined) this.expectVideo = false;
    if (data.audiocodecid === undefined && data.videocodecid !== undefined) this.expectAudio = false;
  }

  /** Throws CodecError on a sequence header that does not parse; the track stays as it was. */
  onVideo(tag: FlvVideoTag): void {
    if (tag.kind === 'sequence-header') {
      if (tag.config.byteLength === 0) {
        this.inBand = new VideoTrackBuilder(tag.codec, VIDEO_TRACK_ID, VIDEO_TIMESCALE);
        return;
      }
      this.video =
        tag.codec === 'h264'
          ? videoTrackFromAvcC(VIDEO_TRACK_ID, tag.config, VIDEO_TIMESCALE)
          : videoTrackFromHvcC(VIDEO_TRACK_ID, tag.config, VIDEO_TIMESCALE);
      this.inBand = undefined;
      this.publishIfComplete(tag.timestamp);
      return;
    }
    if (tag.kind !== 'frame') return;
    const dts = tag.timestamp * 90;
    const pts = dts + tag.compositionTime * 90;
    if (this.inBand) {
      const { frame, trackChanged } = this.inBand.push(inBandNalUnits(tag.data), pts, dts);
      if (trackChanged) this.video = this.inBand.track;
      if (!frame || !this.publishIfComplete(tag.timestamp)) return;
      this.sink.pushFrame(frame);
      return;
    }
    if (!this.video) return;
    if (!this.publishIfComplete(tag.timestamp)) return;
    this.sink.pushFrame({
      trackId: VIDEO_TRACK_ID,
      kind: 'video',
      dts,
      pts,
      keyframe: tag.keyframe,
      data: tag.data,
    });
  }

  onAudio(tag: FlvAudioTag): void {
    if (tag.kind === 'sequence-header') {
      this.audio = audioTrackFromAsc(AUDIO_TRACK_ID, tag.config);
      this.publishIfComplete(tag.timestamp);
      return;
    }
    if (!this.audio && (tag.codec === 'pcma' || tag.codec === 'pcmu')) {
      this.audio = g711Track(AUDIO_TRACK_ID, tag.codec, tag.soundRate, tag.channels);
    }
    if (!this.audio || tag.codec === 'mp3' || tag.codec === 'other') return;
    if (!this.publishIfComplete(tag.timestamp)) return;
    const dts = Math.round((tag.timestamp * this.audio.timescale) / 1000);
    this.sink.pushFrame({ trackId: AUDIO_TRACK_ID, kind: 'audio', dts, pts: dts, keyframe: true, data: tag.data });
  }

  /** Publishes the track set once it is complete (or waited for long enough); true when frames may flow. */
  private publishIfComplete(timestamp: number): boolean {
    this.firstTimestamp ??= timestamp;
    const haveVideo = this.video !== undefined || !this.expectVideo;
    const haveAudio = this.audio !== undefined || !this.expectAudio;
    const waitedEnough = timestamp - this.firstTimestamp >= TRACK_WAIT_MS;
    if (!(haveVideo && haveAudio) && !waitedEnough) return false;
    const tracks: Track[] = [];
    if (this.video) tracks.push(this.video);
    if (this.audio) tracks.push(this.audio);
    if (tracks.length === 0) return false;
    if (tracks.length !== this.published.length || tracks.some((t, i) => t !== this.published[i])) {
      this.published = tracks;
      this.sink.setTracks(tracks);
    }
    return true;
  }
}

/** One RTMP play session: connect, play, relay until the upstream ends. */
export async function runRtmpPull(ctx: PullContext): Promise<void> {
  const player = new RtmpPlayer({ url: ctx.url, signal: ctx.signal, timeoutMs: ctx.timeoutMs });
  const adapter = new FlvToFrames(ctx.sink);
  let lastBytes = 0;
  const countBytes = (): void => {
    ctx.addBytesIn(player.bytesIn - lastBytes);
    lastBytes = player.bytesIn;
  };
  const guard = new MediaHandlerGuard(ctx, () => player.close());
  player.on(
    'metadata',
    guard.wrap((data: Record<string, unknown>) => adapter.onMetadata(data)),
  );
  player.on(
    'video',
    guard.wrap((tag: FlvVideoTag) => {
      countBytes();
      adapter.onVideo(tag);
    }),
  );
  player.on(
    'audio',
    guard.wrap((tag: FlvAudioTag) => {
      countBytes();
      adapter.onAudio(tag);
    }),
  );
  const ended = new Promise<void>((resolve, reject) => {
    player.once('close', (err?: Error) => {
      countBytes();
      if (guard.error) reject(guard.error);
      else if (err) reject(err);
      else if (ctx.signal.aborted) resolve();
      else reject(new UpstreamEndedError('upstream closed the RTMP connection'));
    });
  });
  // Attach a handler now so a close before start() settles is not an unhandled rejection.
  ended.catch(() => undefined);
  try {
    await player.start();
    await ended;
  } finally {
    player.close();
  }
}
