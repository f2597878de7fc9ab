import { describe, expect, test } from 'vitest';
import { MAX_ACCESS_UNIT_BYTES, PsDemuxer, type ElementaryFrame } from '../src/index.js';
import { splitAnnexB } from '@sluice/codec';
import { packHeader, pes, programStreamMap, systemHeader } from '../../../test/helpers/ps-rtp.js';
import { adts, filler, g711, h264Key, h264P, h265Key, h265P } from './cases/es.js';
import { bin, bits, concat } from './helpers.js';

/** A camera-style pack: pack header, [system header + PSM], one PES per unit. */
function frame(pts: number, units: Array<[number, Uint8Array]>, head: Uint8Array[] = []): Uint8Array {
  return concat([packHeader(pts), ...head, ...units.map(([id, data]) => pes(id, data, pts, false))]);
}
const key264 = (pts: number, audio?: number) => frame(pts, [[0xe0, h264Key()]], [systemHeader(true), programStreamMap(0x1b, audio)]);

function run(chunks: Uint8Array[], d = new PsDemuxer()): { frames: ElementaryFrame[]; d: PsDemuxer } {
  const frames = chunks.flatMap((c) => d.push(c));
  frames.push(...d.flush());
  return { frames, d };
}
const summary = (frames: ElementaryFrame[]) => frames.map((f) => `${f.codec}@${f.pts}${f.keyframe && f.codec.startsWith('h') ? '*' : ''}`);
/** Audio is complete at the end of its PES, video when the next frame (or the marker) comes: compare per track. */
const tracks = (frames: ElementaryFrame[]) => ({
  video: summary(frames.filter((f) => f.codec === 'h264' || f.codec === 'h265')),
  audio: summary(frames.filter((f) => f.codec !== 'h264' && f.codec !== 'h265')),
});

describe('PsDemuxer (ISO/IEC 13818-1 2.5)', () => {
  test('PSM-declared H.264 + AAC: frames with PTS, keyframe flag and exact bytes', () => {
    const stream = [key264(90000, 0x0f), frame(90000, [[0xc0, adts()]]), frame(93600, [[0xe0, h264P()]]), frame(95760, [[0xc0, adts(180, 9)]])];
    const { frames, d } = run(stream);
    expect(tracks(frames)).toEqual({ video: ['h264@90000*', 'h264@93600'], audio: ['aac@90000', 'aac@95760'] });
    expect(frames.find((f) => f.codec === 'h264')!.data).toEqual(h264Key());
    // The NAL units come along, already split (the relay does not scan the access unit again).
    expect(frames.find((f) => f.codec === 'h264')!.nalus).toEqual(splitAnnexB(h264Key()));
    expect(frames.find((f) => f.codec === 'aac')!.nalus).toBeUndefined();
    expect(frames.find((f) => f.codec === 'h264')!.dts).toBe(90000);
    expect(frames.find((f) => f.codec === 'aac')!.data).toEqual(adts());
    expect(d.stats).toMatchObject({ packs: 4, systemHeaders: 1, psm: 1, pes: 4, frames: 4, resyncs: 0, droppedBytes: 0 });
    expect(d.codecs).toEqual({ video: 'h264', audio: 'aac' });
  });

  test('the same stream one byte at a time', () => {
    const stream = concat([key264(90000, 0x90), frame(90000, [[0xc0, g711()]]), frame(93600, [[0xe0, h264P()]])]);
    const { frames } = run(Array.from(stream, (b) => Uint8Array.of(b)));
    expect(tracks(frames)).toEqual({ video: ['h264@90000*', 'h264@93600'], audio: ['pcma@90000'] });
    expect(frames.find((f) => f.codec === 'h264')!.data).toEqual(h264Key());
  });

  test.each([
    { name: 'H.264 + AAC', key: h264Key, p: h264P, audio: adts, codecs: { video: 'h264', audio: 'aac' } },
    { name: 'H.265 + G.711A', key: h265Key, p: h265P, audio: () => g711(), codecs: { video: 'h265', audio: 'pcma' } },
  ])('no PSM: $name sniffed from the data', ({ key, p, audio, codecs }) => {
    const stream = [frame(0, [[0xe0, key()], [0xc0, audio()]]), frame(3600, [[0xe0, p()]])];
    const { frames, d } = run(stream);
    expect(frames.map((f) => f.codec).sort()).toEqual([codecs.video, codecs.video, codecs.audio].sort());
    expect(d.codecs).toEqual(codecs);
    expect(d.stats.psm).toBe(0);
  });

  test('G.711U declared by the PSM (0x91)', () => {
    const { frames } = run([concat([packHeader(0), programStreamMap(0x1b, 0x91)]), frame(0, [[0xe0, h264Key()], [0xc0, g711()]])]);
    expect(frames.map((f) => f.codec).sort()).toEqual(['h264', 'pcmu']);
  });

  test('video PES with PES_packet_length 0 run to the next pack; the marker hint ends the last one', () => {
    const d = new PsDemuxer();
    const out = [
      ...d.push(concat([packHeader(0), pes(0xe0, h264Key(), 0, true)])),
      ...d.push(concat([packHeader(3600), pes(0xe0, h264P(), 3600, true)])),
    ];
    // The first frame ended at the second pack; the second waits for more (or the marker).
    expect(summary(out)).toEqual(['h264@0*']);
    const end = d.endOfAccessUnit();
    expect(summary(end)).toEqual(['h264@3600']);
    expect(end[0]!.data).toEqual(h264P());
  });

  test('a frame split over several PES (continuations without PTS) is one access unit', () => {
    const au = h264Key(150_000);
    const parts = [au.subarray(0, 65000), au.subarray(65000, 130000), au.subarray(130000)];
    const stream = concat([packHeader(0), pes(0xe0, parts[0]!, 0, false), pes(0xe0, parts[1]!, undefined, false), pes(0xe0, parts[2]!, undefined, false), frame(3600, [[0xe0, h264P()]])]);
    const { frames, d } = run([stream]);
    expect(summary(frames)).toEqual(['h264@0*', 'h264@3600']);
    expect(frames[0]!.data).toEqual(au);
    expect(d.stats.pes).toBe(4);
  });

  test('continuation PES repeating the PTS (ptsOnEveryPes cameras) also merge', () => {
    const au = h264Key(70_000);
    const stream = concat([packHeader(0), pes(0xe0, au.subarray(0, 40000), 0, false), packHeader(0), pes(0xe0, au.subarray(40000), 0, false)]);
    const { frames } = run([stream]);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.data).toEqual(au);
  });

  test('padding (0xBE) and private stream 1 (0xBD) are skipped', () => {
    const padding = concat([bits(`00000000 00000000 00000001 10111110 ${bin(100, 16)}`), new Uint8Array(100).fill(0xff)]);
    const stream = [key264(0), concat([padding, pes(0xbd, filler(500), 0, false)]), frame(3600, [[0xe0, h264P()]])];
    const { frames, d } = run(stream);
    expect(summary(frames)).toEqual(['h264@0*', 'h264@3600']);
    expect(d.stats).toMatchObject({ ignoredPes: 2, unknownStreams: 1, droppedBytes: 0 });
  });

  test('MPEG-1 pack headers are tolerated', () => {
    const mpeg1Pack = bits(`00000000 00000000 00000001 10111010 0010 000 1 ${bin(0, 15)} 1 ${bin(0, 15)} 1 1 ${bin(2000, 22)} 1`);
    const { frames, d } = run([concat([mpeg1Pack, pes(0xe0, h264Key(), 0, false), mpeg1Pack, pes(0xe0, h264P(), 3600, false)])]);
    expect(summary(frames)).toEqual(['h264@0*', 'h264@3600']);
    expect(d.stats.packs).toBe(2);
  });

  test('MPEG-4 Visual in the PSM is ignored and counted', () => {
    const { frames, d } = run([concat([packHeader(0), programStreamMap(0x10, 0x90), pes(0xe0, filler(4000), 0, false), pes(0xc0, g711(), 0, false)])]);
    expect(frames.map((f) => f.codec)).toEqual(['pcma']);
    expect(d.stats).toMatchObject({ unknownStreams: 1, ignoredPes: 1 });
  });

  test('a stream joined mid-PES drops bytes up to the next pack, then waits for a keyframe', () => {
    const mid = frame(0, [[0xe0, h264P(5000)]]).subarray(2000);
    const { frames, d } = run([mid, frame(3600, [[0xe0, h264P()]]), key264(7200), frame(10800, [[0xe0, h264P()]])]);
    expect(summary(frames)).toEqual(['h264@7200*', 'h264@10800']);
    expect(d.stats.resyncs).toBe(1);
    expect(d.stats.droppedBytes).toBe(mid.byteLength);
    expect(d.stats.waitingForKeyframe).toBe(1);
  });

  test('trailing garbage after a frame is dropped and counted', () => {
    const junk = filler(77, 9);
    const { frames, d } = run([concat([key264(0), junk]), frame(3600, [[0xe0, h264P()]])]);
    expect(summary(frames)).toEqual(['h264@0*', 'h264@3600']);
    expect(d.stats.droppedBytes).toBe(77);
  });

  test('a PES cut short by the next pack: its frame is dropped, video resumes at the next keyframe', () => {
    const p = frame(3600, [[0xe0, h264P(3000)]]);
    const cut = p.subarray(0, p.byteLength - 1000);
    const { frames, d } = run([key264(0), cut, frame(7200, [[0xe0, h264P()]]), key264(10800)]);
    expect(summary(frames)).toEqual(['h264@0*', 'h264@10800*']);
    expect(d.stats.shortPes).toBe(1);
    expect(d.stats.droppedFrames + d.stats.waitingForKeyframe).toBe(2);
  });

  test('an access unit over MAX_ACCESS_UNIT_BYTES is dropped; memory stays under the cap', () => {
    const d = new PsDemuxer();
    const out = d.push(key264(0));
    const big = filler(65000);
    let held = 0;
    out.push(...d.push(concat([packHeader(3600), pes(0xe0, concat([Uint8Array.of(0, 0, 0, 1, 0x41), big.subarray(5)]), 3600, false)])));
    for (let sent = 65000; sent <= MAX_ACCESS_UNIT_BYTES + 65000; sent += 65000) {
      out.push(...d.push(pes(0xe0, big, undefined, false)));
      held = Math.max(held, d.stats.bufferedBytes);
    }
    const after = [...out, ...d.push(key264(7200)), ...d.flush()];
    expect(held).toBeLessThanOrEqual(MAX_ACCESS_UNIT_BYTES + 70_000);
    expect(summary(after)).toEqual(['h264@0*', 'h264@7200*']);
    expect(d.stats.droppedFrames).toBe(1);
    expect(d.stats.bufferedBytes).toBe(0);
  });

  test('AAC: an ADTS frame cut at the end of a PES is completed by the next one', () => {
    const two = concat([adts(100, 1), adts(120, 2)]);
    const { frames } = run([key264(0, 0x0f), concat([packHeader(0), pes(0xc0, two.subarray(0, 150), 0, false)]), concat([packHeader(1000), pes(0xc0, two.subarray(150), 1000, false)])]);
    const aac = frames.filter((f) => f.codec === 'aac');
    expect(aac).toHaveLength(1);
    expect(aac[0]!.data).toEqual(two);
    expect(aac[0]!.pts).toBe(0);
  });

  test('33-bit PTS wrap: timestamps keep increasing', () => {
    const M = 2 ** 33;
    const { frames } = run([key264(M - 3600), frame(0, [[0xe0, h264P()]]), frame(3600, [[0xe0, h264P()]])]);
    expect(frames.map((f) => f.pts)).toEqual([M - 3600, M, M + 3600]);
  });

  test('a sender clock restart (PTS jumps back by an hour) keeps dts increasing', () => {
    const { frames, d } = run([key264(400 * 90000), frame(400 * 90000 + 3600, [[0xe0, h264P()]]), key264(5000), frame(8600, [[0xe0, h264P()]])]);
    const dts = frames.map((f) => f.dts);
    expect(dts).toHaveLength(4);
    for (let i = 1; i < dts.length; i++) expect(dts[i]!).toBeGreaterThan(dts[i - 1]!);
    expect(dts[3]! - dts[2]!).toBe(3600);
    expect(d.stats.timestampFixes).toBe(1);
  });

  test('discontinuity() drops the frame in progress and waits for the next keyframe', () => {
    const d = new PsDemuxer();
    const f1 = frame(3600, [[0xe0, h264P(4000)]]);
    const out = [...d.push(key264(0)), ...d.push(f1.subarray(0, 1000))];
    d.discontinuity();
    out.push(...d.push(f1.subarray(2000)), ...d.push(frame(7200, [[0xe0, h264P()]])), ...d.push(key264(10800)), ...d.flush());
    expect(summary(out)).toEqual(['h264@0*', 'h264@10800*']);
  });
});
