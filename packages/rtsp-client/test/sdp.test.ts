import { describe, expect, it } from 'vitest';
import { parseSdp, planTracks, resolveControl, type RtspTrack } from '../src/index.js';
import { sdpCases, type SdpTrackExpectation } from './cases/sdp.js';
import { toHex } from './helpers/bytes.js';

function summarize(t: RtspTrack): SdpTrackExpectation {
  const base = { kind: t.kind, codec: t.codec, clockRate: t.clockRate, payloadType: t.payloadType, control: t.control };
  if (t.kind === 'video') {
    const sets = t.codec === 'h265'
      ? { vps: t.parameterSets.vps?.length ?? 0, sps: t.parameterSets.sps.length, pps: t.parameterSets.pps.length }
      : { sps: t.parameterSets.sps.length, pps: t.parameterSets.pps.length };
    return { ...base, sets, ...(t.profileLevelId ? { profileLevelId: t.profileLevelId } : {}) };
  }
  return { ...base, channels: t.channels, ...(t.config && t.codec === 'aac' ? { config: toHex(t.config) } : {}) };
}

describe('SDP → tracks (case table: camera and server SDPs)', () => {
  it.each(sdpCases)('$name', ({ bytes, base, decoded }) => {
    const planned = planTracks(parseSdp(bytes), base);
    expect(planned.aggregateControl).toBe(decoded.aggregateControl);
    expect(planned.plans.map((p) => summarize(p.track))).toEqual(decoded.tracks);
    expect(planned.skipped.map((s) => s.type)).toEqual(decoded.skipped);
    for (const p of planned.plans) expect(() => p.createDepacketizer()).not.toThrow();
  });
});

describe('parseSdp (RFC 8866)', () => {
  it('reads session and media lines: c=, b=, a=range, rtpmap, fmtp with base64 padding', () => {
    const sdp = parseSdp(sdpCases[0]!.bytes);
    expect(sdp).toMatchObject({ version: 0, sessionName: 'Session streamed with GStreamer', control: '*', range: 'npt=now-' });
    const [video, audio] = sdp.media;
    expect(video).toMatchObject({ type: 'video', port: 0, protocol: 'RTP/AVP', formats: [96], control: 'stream=0' });
    expect(video!.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '0.0.0.0' });
    expect(video!.bandwidths).toEqual([{ type: 'AS', value: 409 }]);
    expect(video!.rtpmaps.get(96)).toEqual({ payloadType: 96, encoding: 'H264', clockRate: 90000 });
    expect(video!.fmtps.get(96)!['sprop-parameter-sets']).toBe('Z0LADdoFB+wFqDAwNSgAAAMACAAAAwGUeKFV,aM48gA==');
    expect(audio!.rtpmaps.get(97)).toEqual({ payloadType: 97, encoding: 'MPEG4-GENERIC', clockRate: 44100, channels: 1 });
    expect(audio!.fmtps.get(97)).toMatchObject({ mode: 'AAC-hbr', sizelength: '13', config: '120856e500' });
  });

  it('tolerates sloppy SDP: missing v=, spaces around =, junk lines; c= with a TTL suffix', () => {
    const sdp = parseSdp('s = x\nthis is not sdp\nc=IN IP4 224.2.36.42/127\nm=audio 5004/2 RTP/AVP 0 x 300\n');
    expect(sdp.sessionName).toBe('x');
    expect(sdp.connection!.address).toBe('224.2.36.42');
    expect(sdp.media[0]).toMatchObject({ type: 'audio', port: 5004, formats: [0] });
  });

  it('rejects bodies that are not SDP and caps the number of media sections', () => {
    expect(() => parseSdp('<html>nope</html>')).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }));
    expect(() => parseSdp('v=0\n' + 'm=video 0 RTP/AVP 96\n'.repeat(100))).toThrow(/media sections/);
  });
});

describe('control URLs (RFC 2326 C.1.1, as cameras need them)', () => {
  it.each([
    ['rtsp://cam/live/', 'trackID=1', 'rtsp://cam/live/trackID=1'],
    ['rtsp://cam/live', 'trackID=1', 'rtsp://cam/live/trackID=1'],
    ['rtsp://cam/cam/realmonitor?channel=1&subtype=0/', 'trackID=0', 'rtsp://cam/cam/realmonitor?channel=1&subtype=0/trackID=0'],
    ['rtsp://cam/live/', 'rtsp://other:8554/abs/track', 'rtsp://other:8554/abs/track'],
    ['rtsp://cam/live/', '*', 'rtsp://cam/live/'],
    ['rtsp://cam/live/', '/track2', 'rtsp://cam/live/track2'],
    ['rtsp://cam/live', undefined, 'rtsp://cam/live'],
  ])('%s + %s → %s', (base, control, want) => {
    expect(resolveControl(base, control)).toBe(want);
  });
});
