import { BitWriter } from '@sluice/codec';
import { describe, expect, it } from 'vitest';
import {
  AAC_HBR,
  G711Depacketizer,
  H264Depacketizer,
  H265Depacketizer,
  LatmDepacketizer,
  MAX_ACCESS_UNIT_SIZE,
  Mpeg4GenericDepacketizer,
  mpeg4GenericParams,
  parseStreamMuxConfig,
  type AudioFrame,
  type Depacketizer,
  type VideoAccessUnit,
} from '../src/index.js';
import { aacHbrCases, g711Cases, h264Cases, h265Cases, h265DonlCases, pkt, type DecodedFrame, type DepacketizerCase } from './cases/depacketizers.js';
import { toHex } from './helpers/bytes.js';

function decode(d: Depacketizer<VideoAccessUnit> | Depacketizer<AudioFrame>, c: DepacketizerCase): DecodedFrame[] {
  const frames: (VideoAccessUnit | AudioFrame)[] = [];
  for (const p of c.bytes) frames.push(...d.push(p));
  frames.push(...d.flush());
  return frames.map((f) =>
    'nalus' in f ? { timestamp: f.timestamp, nalus: f.nalus.map(toHex) } : { timestamp: f.timestamp, data: toHex(f.data) },
  );
}

function normalize(frames: DecodedFrame[]): DecodedFrame[] {
  const clean = (h: string): string => h.replace(/\s+/g, '');
  return frames.map((f) => (f.nalus ? { timestamp: f.timestamp, nalus: f.nalus.map(clean) } : { timestamp: f.timestamp, data: clean(f.data!) }));
}

function runCases(name: string, cases: DepacketizerCase[], make: () => Depacketizer<VideoAccessUnit> | Depacketizer<AudioFrame>): void {
  describe(name, () => {
    it.each(cases)('$name', (c) => {
      const d = make();
      expect(decode(d, c)).toEqual(normalize(c.decoded));
      expect(d.counters).toMatchObject(c.counters);
    });
  });
}

runCases('H264Depacketizer (RFC 6184)', h264Cases, () => new H264Depacketizer());
runCases('H265Depacketizer (RFC 7798)', h265Cases, () => new H265Depacketizer());
runCases('H265Depacketizer with DONL (sprop-max-don-diff > 0)', h265DonlCases, () => new H265Depacketizer({ donl: true }));
runCases('Mpeg4GenericDepacketizer AAC-hbr (RFC 3640)', aacHbrCases, () => new Mpeg4GenericDepacketizer(AAC_HBR));
runCases('G711Depacketizer (RFC 3551)', g711Cases, () => new G711Depacketizer('pcma'));

describe('H264Depacketizer limits', () => {
  it('drops (and counts) an access unit that grows past MAX_ACCESS_UNIT_SIZE instead of holding it', () => {
    const d = new H264Depacketizer();
    const chunk = new Uint8Array(60_000).fill(1);
    let seq = 0;
    const first = new Uint8Array(chunk.byteLength + 2);
    first.set([0x7c, 0x85]);
    first.set(chunk, 2);
    d.push(pkt(seq++, 0, false, first));
    const middle = new Uint8Array(chunk.byteLength + 2);
    middle.set([0x7c, 0x05]);
    middle.set(chunk, 2);
    const n = Math.ceil(MAX_ACCESS_UNIT_SIZE / chunk.byteLength) + 2;
    for (let i = 0; i < n; i++) expect(d.push(pkt(seq++, 0, false, middle))).toEqual([]);
    expect(d.push(pkt(seq++, 0, true, '7c 45 00'))).toEqual([]);
    expect(d.counters.droppedFrames).toBe(1);
    expect(d.push(pkt(seq++, 3000, true, '41 01'))).toEqual([{ timestamp: 3000, nalus: [Uint8Array.of(0x41, 0x01)] }]);
  });
});

describe('mpeg4-generic parameters from fmtp', () => {
  it('reads AAC-hbr and AAC-lbr parameters (names in any case, defaults by mode)', () => {
    expect(mpeg4GenericParams({ mode: 'AAC-hbr', sizelength: '13', indexlength: '3', indexdeltalength: '3' }, 1024)).toMatchObject({
      sizeLength: 13, indexLength: 3, indexDeltaLength: 3, frameLength: 1024,
    });
    expect(mpeg4GenericParams({ mode: 'AAC-lbr' })).toMatchObject({ sizeLength: 6, indexLength: 2, indexDeltaLength: 2 });
  });

  it('AAC-lbr: 8-bit AU-headers (size 6 bits, index 2 bits)', () => {
    const d = new Mpeg4GenericDepacketizer(mpeg4GenericParams({ mode: 'AAC-lbr' }, 1024));
    // AU-headers-length 16: sizes 2 and 1 → (2 << 2) = 0x08, (1 << 2) = 0x04
    expect(d.push(pkt(1, 0, true, '00 10 08 04 aa bb cc'))).toEqual([
      { timestamp: 0, data: Uint8Array.of(0xaa, 0xbb) },
      { timestamp: 1024, data: Uint8Array.of(0xcc) },
    ]);
  });

  it('960-sample frames advance AU timestamps by 960, wrapping at 2^32', () => {
    const d = new Mpeg4GenericDepacketizer({ ...AAC_HBR, frameLength: 960 });
    const frames = d.push(pkt(1, 0xffffffff - 100, true, '00 20 00 08 00 08 aa bb'));
    expect(frames.map((f) => f.timestamp)).toEqual([0xffffffff - 100, 859]);
  });

  it('refuses field widths it cannot read', () => {
    expect(() => new Mpeg4GenericDepacketizer({ sizeLength: 40, indexLength: 3, indexDeltaLength: 3 })).toThrow(RangeError);
    expect(() => new Mpeg4GenericDepacketizer({ sizeLength: 0, indexLength: 0, indexDeltaLength: 0 })).toThrow(/constantSize/);
  });
});

/** A StreamMuxConfig (ISO/IEC 14496-3 1.7.3) for audioMuxVersion 0, one program/layer. */
function streamMuxConfig(objectType: number, frequencyIndex: number, channelConfiguration: number, numSubFrames = 0): Uint8Array {
  const w = new BitWriter();
  w.bits(1, 0).bits(1, 1).bits(6, numSubFrames).bits(4, 0).bits(3, 0); // version, sameTimeFraming, subframes, programs, layers
  w.bits(5, objectType).bits(4, frequencyIndex).bits(4, channelConfiguration).bits(3, 0); // ASC + GASpecificConfig
  w.bits(3, 0).bits(8, 0xff).bits(1, 0).bits(1, 0); // frameLengthType 0, latmBufferFullness, otherData, crc
  return w.align().toBytes();
}

describe('LatmDepacketizer (RFC 6416 MP4A-LATM, cpresent=0)', () => {
  it('parses the StreamMuxConfig of FFmpeg/cameras (config=40002420: AAC LC 44100 Hz stereo)', () => {
    const config = parseStreamMuxConfig(Uint8Array.from(Buffer.from('40002420', 'hex')));
    expect(config.audio).toMatchObject({ objectType: 2, sampleRate: 44100, channels: 2 });
    expect(toHex(config.asc)).toBe('1210');
    expect(config.subFrames).toBe(1);
  });

  it('splits PayloadLengthInfo / PayloadMux, including lengths of 255 and more', () => {
    const config = parseStreamMuxConfig(streamMuxConfig(2, 3, 1));
    expect(config.audio).toMatchObject({ sampleRate: 48000, channels: 1 });
    const d = new LatmDepacketizer(config);
    const au = new Uint8Array(300).fill(7);
    const payload = new Uint8Array(2 + 300);
    payload.set([255, 45]);
    payload.set(au, 2);
    expect(d.push(pkt(1, 500, true, payload))).toEqual([{ timestamp: 500, data: au }]);
  });

  it('reassembles an element fragmented over packets and drops one that lost a piece', () => {
    const d = new LatmDepacketizer(parseStreamMuxConfig(streamMuxConfig(2, 4, 2)));
    expect(d.push(pkt(1, 0, false, '04 01 02'))).toEqual([]);
    expect(d.push(pkt(2, 0, true, '03 04'))).toEqual([{ timestamp: 0, data: Uint8Array.of(1, 2, 3, 4) }]);
    expect(d.push(pkt(3, 1024, false, '04 01 02'))).toEqual([]);
    expect(d.push(pkt(5, 2048, true, '01 09'))).toEqual([{ timestamp: 2048, data: Uint8Array.of(9) }]);
    expect(d.counters.droppedFrames).toBe(1);
  });

  it('several subframes per element get timestamps 1024 apart', () => {
    const d = new LatmDepacketizer(parseStreamMuxConfig(streamMuxConfig(2, 4, 2, 1)));
    expect(d.push(pkt(1, 0, true, '01 aa 02 bb cc')).map((f) => [f.timestamp, toHex(f.data)])).toEqual([
      [0, 'aa'],
      [1024, 'bbcc'],
    ]);
  });

  it('rejects what it does not support: audioMuxVersion 1, several layers', () => {
    expect(() => parseStreamMuxConfig(Uint8Array.of(0x80, 0, 0, 0))).toThrow(/audioMuxVersion/);
    expect(() => parseStreamMuxConfig(Uint8Array.of(0x40, 0x02, 0, 0))).toThrow(/programs or layers/);
  });
});
