/**
 * The RTP remux hot path of one stream, the same code on the I/O thread
 * (rtp_proxy.remux = inline) and in a worker (= worker):
 *
 *   RTP packet → RtpPayloadDemuxer (PS / TS / raw ES) → elementary frames
 *     → VideoTrackBuilder / AudioTrackBuilder → tracks and MediaFrames → events
 *
 * What it feeds (the TrackGate and the MediaSource) stays on the I/O thread.
 */
import { splitAnnexB } from '@sluice/codec';
import { RtpPayloadDemuxer, type ElementaryFrame, type RtpPacket } from '@sluice/rtp-receiver';
import { AudioTrackBuilder } from '../sources/audio-track-builder.js';
import { VideoTrackBuilder } from '../sources/video-track-builder.js';
import type { FrameEvents } from './messages.js';

export const VIDEO_TRACK_ID = 1;
export const AUDIO_TRACK_ID = 2;
/** PES and RTP video clocks are 90 kHz; the video track keeps that timescale. */
const VIDEO_TIMESCALE = 90000;

export class RemuxSession {
  private readonly demuxer = new RtpPayloadDemuxer();
  private video: VideoTrackBuilder | undefined;
  private readonly audio = new AudioTrackBuilder(AUDIO_TRACK_ID);
  /** Elementary frames the demuxer delivered. */
  elementaryFrames = 0;
  /** Packets the demuxer threw on (each is lost; the session goes on). */
  errors = 0;

  /** One packet in sequence order. Returns the demuxer's message when it threw on this packet. */
  push(packet: RtpPacket, out: FrameEvents): string | undefined {
    let frames: ElementaryFrame[];
    try {
      frames = this.demuxer.push(packet);
    } catch (err) {
      this.errors++;
      return (err as Error).message;
    }
    for (const f of frames) this.onFrame(f, out);
    return undefined;
  }

  private onFrame(f: ElementaryFrame, out: FrameEvents): void {
    this.elementaryFrames++;
    if (f.codec === 'h264' || f.codec === 'h265') {
      if (!this.video || this.video.codec !== f.codec) this.video = new VideoTrackBuilder(f.codec, VIDEO_TRACK_ID, VIDEO_TIMESCALE);
      const { frame, trackChanged } = this.video.push(f.nalus ?? splitAnnexB(f.data), f.pts, f.dts);
      if (trackChanged && this.video.track) out.setTrack(this.video.track);
      if (frame) out.pushFrame(frame, VIDEO_TIMESCALE);
      return;
    }
    const result = f.codec === 'aac' ? this.audio.pushAdts(f.data, f.pts) : this.audio.pushG711(f.codec, f.data, f.pts);
    if (result.trackChanged && this.audio.track) out.setTrack(this.audio.track);
    for (const frame of result.frames) out.pushFrame(frame, this.audio.track!.timescale);
  }
}
