/** Small synthetic elementary stream units: NAL unit types and ADTS headers are what the demuxers look at. */
import { buildAdtsHeader } from '@sluice/codec';
import { concat } from '../helpers.js';

/** Bytes 1..255 only, so no start code can appear inside. */
export const filler = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => ((i * 37 + seed * 11) % 255) + 1);
const sc = Uint8Array.of(0, 0, 0, 1);
export const annexB = (...nals: Uint8Array[]) => concat(nals.flatMap((n) => [sc, n]));
const nal = (header: number[], size: number, seed = 1) => concat([Uint8Array.from(header), filler(size, seed)]);

export const h264Sps = Uint8Array.of(0x67, 0x42, 0xc0, 0x1e, 0xda, 0x02, 0x80, 0xbf, 0xe5, 0x84);
export const h264Pps = Uint8Array.of(0x68, 0xce, 0x3c, 0x80);
export const h264Key = (size = 3000, seed = 1) => annexB(h264Sps, h264Pps, nal([0x65, 0x88], size, seed));
export const h264P = (size = 800, seed = 2) => annexB(nal([0x41, 0x9a], size, seed));

export const h265Vps = Uint8Array.of(0x40, 0x01, 0x0c, 0x01, 0xff, 0xff);
export const h265Sps = Uint8Array.of(0x42, 0x01, 0x01, 0x01, 0x60, 0x00);
export const h265Pps = Uint8Array.of(0x44, 0x01, 0xc1, 0x72);
export const h265Key = (size = 3000, seed = 1) => annexB(h265Vps, h265Sps, h265Pps, nal([0x26, 0x01, 0xaf], size, seed));
export const h265P = (size = 800, seed = 2) => annexB(nal([0x02, 0x01, 0xd0], size, seed));

/** One ADTS frame: AAC-LC, 16 kHz, mono. */
export const adts = (payload = 200, seed = 3) =>
  concat([buildAdtsHeader({ objectType: 2, samplingFrequencyIndex: 8, channelConfiguration: 1 }, payload), filler(payload, seed)]);
export const g711 = (n = 320, seed = 4) => filler(n, seed);
