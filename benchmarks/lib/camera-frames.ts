/**
 * Inputs for the hot-path micro-benchmarks: the RTP-ingest benchmark's camera
 * (benchmarks/lib/ps-camera.ts: 720p25 H.264 at 1900 kb/s CBR + AAC, cut into PS
 * over RTP the GB28181 way) as RTP datagrams, as the PS byte stream of each frame,
 * and as the Annex B access units the relay's demuxer hands on.
 */
import { RtpPayloadDemuxer, parseRtpPacket } from '../../packages/rtp-receiver/src/index.js';
import { DEFAULT_CAMERA, buildCamera, prepareCamera, type CameraClip } from './ps-camera.js';

export interface CameraFrames {
  readonly clip: CameraClip;
  /** Every RTP datagram of the clip, as Node hands them to a 'message' listener (SSRC set). */
  readonly datagrams: Buffer[];
  /** The PS bytes of each RTP frame (its packets' payloads joined): what the PS demuxer scans. */
  readonly psFrames: Uint8Array[];
  /** The video access units (Annex B) the PS demuxer produces: what splitAnnexB splits. */
  readonly videoAus: Uint8Array[];
  readonly keyframes: number;
}

/** The SSRC written into the datagrams (the clip has a placeholder there). */
export const BENCH_SSRC = 0x5151_0001;

export async function cameraFrames(seconds = 30): Promise<CameraFrames> {
  const spec = { ...DEFAULT_CAMERA, seconds };
  await prepareCamera(spec);
  const clip = await buildCamera(spec);
  const datagrams = clip.packets.map((p) => {
    const b = Buffer.from(p);
    b.writeUInt32BE(BENCH_SSRC, 8);
    return b;
  });
  const psFrames: Uint8Array[] = [];
  let parts: Uint8Array[] = [];
  for (let i = 0; i < datagrams.length; i++) {
    parts.push(parseRtpPacket(datagrams[i]!).payload);
    if (clip.endsFrame[i]) {
      psFrames.push(Buffer.concat(parts));
      parts = [];
    }
  }
  const demux = new RtpPayloadDemuxer();
  const videoAus: Uint8Array[] = [];
  let keyframes = 0;
  for (const d of datagrams) {
    for (const f of demux.push(parseRtpPacket(d))) {
      if (f.codec !== 'h264') continue;
      videoAus.push(f.data);
      if (f.keyframe) keyframes++;
    }
  }
  return { clip, datagrams, psFrames, videoAus, keyframes };
}
