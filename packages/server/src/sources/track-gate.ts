import type { MediaFrame, Track } from '@sluice/codec';
import type { IngestSink } from './pull-source.js';

/** How long to wait for the second track before publishing the first alone (media time). */
const SECOND_TRACK_WAIT_MS = 1000;

/**
 * Collects the tracks of a source whose streams announce themselves only by
 * sending (PS without PSM, RTP): publishes the track set once video and audio
 * are both known, or once one has run alone for a second, so viewers get one
 * init segment instead of a video-only one followed by a restart.
 */
export class TrackGate {
  private video: Track | undefined;
  private audio: Track | undefined;
  private firstFrameMs: number | undefined;
  private published = false;
  private pending: MediaFrame[] = [];
  /** Frames held while waiting are bounded (about 2 s of a busy stream). */
  private static readonly MAX_PENDING = 200;

  constructor(
    private readonly sink: () => IngestSink,
    private readonly want: { video: boolean; audio: boolean },
  ) {}

  setTrack(track: Track): void {
    if (track.kind === 'video') {
      if (!this.want.video) return;
      this.video = track;
    } else {
      if (!this.want.audio) return;
      this.audio = track;
    }
    if (this.published) this.sink().setTracks(this.tracks());
  }

  pushFrame(frame: MediaFrame, timescale: number): void {
    if ((frame.kind === 'video' && !this.want.video) || (frame.kind === 'audio' && !this.want.audio)) return;
    if (this.published) {
      this.sink().pushFrame(frame);
      return;
    }
    const ms = (frame.dts * 1000) / timescale;
    this.firstFrameMs ??= ms;
    const complete =
      (this.video !== undefined || !this.want.video) && (this.audio !== undefined || !this.want.audio);
    if (!complete && ms - this.firstFrameMs < SECOND_TRACK_WAIT_MS) {
      if (this.pending.length < TrackGate.MAX_PENDING) this.pending.push(frame);
      return;
    }
    if (!this.video && !this.audio) return;
    this.published = true;
    const sink = this.sink();
    sink.setTracks(this.tracks());
    for (const f of this.pending) if (this.tracks().some((t) => t.id === f.trackId)) sink.pushFrame(f);
    this.pending = [];
    sink.pushFrame(frame);
  }

  private tracks(): Track[] {
    return [this.video, this.audio].filter((t): t is Track => t !== undefined);
  }
}
