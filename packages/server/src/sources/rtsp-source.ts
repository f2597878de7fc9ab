import type { MediaFrame } from '@sluice/codec';
import { RtspPlayer, type RtspAccessUnit, type RtspTrack } from '@sluice/rtsp-client';
import { AudioTrackBuilder } from './audio-track-builder.js';
import { MediaHandlerGuard, UpstreamEndedError, type PullContext } from './pull-source.js';
import { TrackGate } from './track-gate.js';
import { VideoTrackBuilder } from './video-track-builder.js';

const VIDEO_TRACK_ID = 1;
const AUDIO_TRACK_ID = 2;

/**
 * Puts every track of one RTSP session on a common clock. RTP timestamps of
 * different tracks start at random values; each track is anchored once, at its
 * first access unit, by the sender's wall clock (RTCP SR → ntpTime) when known,
 * else by the arrival time. After that a track's time only follows its own RTP
 * clock, so timestamps never jump.
 */
class SessionClock {
  private readonly startMs = Date.now();
  private readonly anchors = new Map<number, { rtp: number; ms: number }>();
  private ntpStartMs: number | undefined;

  /** Milliseconds since the session start for this access unit. */
  toMs(au: RtspAccessUnit, clockRate: number): number {
    let anchor = this.anchors.get(au.trackIndex);
    if (!anchor) {
      let ms: number;
      if (au.ntpTime !== undefined) {
        this.ntpStartMs ??= au.ntpTime;
        ms = au.ntpTime - this.ntpStartMs;
      } else {
        ms = Date.now() - this.startMs;
      }
      anchor = { rtp: au.rtpTimestamp, ms: Math.max(0, ms) };
      this.anchors.set(au.trackIndex, anchor);
    }
    return anchor.ms + ((au.rtpTimestamp - anchor.rtp) * 1000) / clockRate;
  }
}

/** RTSP → stream model: SDP tracks and depacketized access units become tracks and frames. */
class RtspToFrames {
  private readonly clock = new SessionClock();
  private readonly video: VideoTrackBuilder | undefined;
  private readonly audio = new AudioTrackBuilder(AUDIO_TRACK_ID);
  private readonly gate: TrackGate;

  constructor(
    private readonly tracks: readonly RtspTrack[],
    ctx: PullContext,
  ) {
    const videoTrack = tracks.find((t) => t.kind === 'video');
    if (videoTrack?.kind === 'video') {
      this.video = new VideoTrackBuilder(videoTrack.codec, VIDEO_TRACK_ID, 90000, videoTrack.parameterSets);
    }
    const hasAudio = tracks.some((t) => t.kind === 'audio');
    this.gate = new TrackGate(() => ctx.sink, { video: this.video !== undefined, audio: hasAudio });
    if (this.video?.track) this.gate.setTrack(this.video.track);
  }

  onAccessUnit(au: RtspAccessUnit): void {
    const track = this.tracks[au.trackIndex];
    if (!track) return;
    const ms = this.clock.toMs(au, track.clockRate);
    if (track.kind === 'video' && this.video && au.nalus) {
      const ts = Math.round(ms * 90);
      const { frame, trackChanged } = this.video.push(au.nalus, ts, ts);
      if (trackChanged && this.video.track) this.gate.setTrack(this.video.track);
      if (frame) this.gate.pushFrame(frame, 90000);
      return;
    }
    if (track.kind !== 'audio' || !au.data) return;
    let result: { frames: MediaFrame[]; trackChanged: boolean };
    if (track.codec === 'aac') {
      if (!track.config) return;
      const rate = track.clockRate;
      result = this.audio.pushAac(track.config, au.data, Math.round((ms * rate) / 1000));
    } else {
      result = this.audio.pushG711(track.codec, au.data, Math.round(ms * 90), track.clockRate, track.channels);
    }
    if (result.trackChanged && this.audio.track) this.gate.setTrack(this.audio.track);
    for (const f of result.frames) this.gate.pushFrame(f, this.audio.track!.timescale);
  }
}

/** One RTSP play session: DESCRIBE/SETUP/PLAY, relay until the upstream ends. */
export async function runRtspPull(ctx: PullContext): Promise<void> {
  const player = new RtspPlayer({
    url: ctx.url,
    user: ctx.user,
    password: ctx.password,
    transport: ctx.rtpType === 1 ? 'udp' : ctx.rtpType === 2 ? 'auto' : 'tcp',
    signal: ctx.signal,
    timeoutMs: ctx.timeoutMs,
    udpPorts: ctx.udpPorts,
  });
  let lastBytes = 0;
  const countBytes = (): void => {
    ctx.addBytesIn(player.bytesIn - lastBytes);
    lastBytes = player.bytesIn;
  };
  const guard = new MediaHandlerGuard(ctx, () => void player.close());
  const ended = new Promise<void>((resolve, reject) => {
    player.once('close', (err?: Error) => {
      countBytes();
      if (guard.error) reject(guard.error);
      else if (err) reject(err);
      else if (ctx.signal.aborted) resolve();
      else reject(new UpstreamEndedError('the RTSP session ended'));
    });
  });
  ended.catch(() => undefined);
  try {
    const tracks = await player.start();
    const adapter = new RtspToFrames(tracks, ctx);
    player.on(
      'accessUnit',
      guard.wrap((au: RtspAccessUnit) => {
        countBytes();
        adapter.onAccessUnit(au);
      }),
    );
    await ended;
  } finally {
    await player.close();
  }
}
