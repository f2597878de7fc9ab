import { test } from 'vitest';
import { RtpPayloadDemuxer, parseRtpPacket } from '../src/index.js';
import { buildTsRtpPackets } from '../../../test/helpers/ts-rtp.js';

test('dbg', async () => {
  for (const [video, audio] of [['h264', 'aac'], ['h265', 'aac']] as const) {
    const s = await buildTsRtpPackets({ video, audio, seconds: 2 });
    const d = new RtpPayloadDemuxer();
    const frames = [];
    for (const p of s.packets) frames.push(...d.push(parseRtpPacket(p)));
    frames.push(...d.flush());
    const v = frames.filter((f) => f.codec === video);
    const a = frames.filter((f) => f.codec !== video);
    console.log(video, audio, s.frames, s.packets.length, 'got', v.length, a.length, d.format, d.demuxer?.stats);
    console.log(v.slice(0, 3).map((f) => [f.pts, f.dts, f.keyframe, f.data.byteLength]), a.slice(0,3).map((f) => [f.pts, f.data.byteLength]));
  }
}, 60000);
