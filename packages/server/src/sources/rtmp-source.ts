import {
  audioTrackFromAsc,
  g711Track,
  videoTrackFromAvcC,
  videoTrackFromHvcC,
  type AudioTrack,
  type Track,
  type VideoTrack,
} from '@sluice/codec';
import { RtmpPlayer, type FlvAudioTag, type FlvVideoTag } from '@sluice/rtmp-client';
import { UpstreamEndedError, type IngestSink, type PullContext } from './pull-source.js';

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
 * RTMP → stream model: FLV sequence headers become tracks, FLV tags become frames.
 * (MediaMTX keeps this kind of adapter as a `to_stream` file per protocol.)
 */
export class FlvToFrames {
  private video: VideoTrack | undefined;
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

  onVideo(tag: FlvVideoTag): void {
    if (tag.kind === 'sequence-header') {
      this.video =
        tag.codec === 'h264'
          ? videoTrackFromAvcC(VIDEO_TRACK_ID, tag.config, VIDEO_TIMESCALE)
          : videoTrackFromHvcC(VIDEO_TRACK_ID, tag.config, VIDEO_TIMESCALE);
      this.publishIfComplete(tag.timestamp);
      return;
    }
    if (tag.kind !== 'frame' || !this.video) return;
    if (!this.publishIfComplete(tag.timestamp)) return;
    const dts = tag.timestamp * 90;
    this.sink.pushFrame({
      trackId: VIDEO_TRACK_ID,
      kind: 'video',
      dts,
      pts: dts + tag.compositionTime * 90,
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
  player.on('metadata', (data: Record<string, unknown>) => adapter.onMetadata(data));
  player.on('video', (tag: FlvVideoTag) => {
    countBytes();
    adapter.onVideo(tag);
  });
  player.on('audio', (tag: FlvAudioTag) => {
    countBytes();
    adapter.onAudio(tag);
  });
  const ended = new Promise<void>((resolve, reject) => {
    player.once('close', (err?: Error) => {
      countBytes();
      if (err) reject(err);
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
