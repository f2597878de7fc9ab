/** Hand-built MPEG-TS for the tests (ISO/IEC 13818-1 2.4.3.2, 2.4.4): packets, PAT, PMT. */
import { crc32Mpeg } from '../src/index.js';
import { pes } from '../../../test/helpers/ps-rtp.js';
import { bin, bits, concat } from './helpers.js';

export const TS = 188;

/** Splits `data` (a PES or pointer_field + sections) into TS packets of `pid`; the last is padded by adaptation-field stuffing. */
export function tsPackets(pid: number, data: Uint8Array, cc: { n: number }, pusi = true): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0, first = true; off < data.byteLength || first; first = false) {
    const n = Math.min(184, data.byteLength - off);
    const p = new Uint8Array(TS);
    p[0] = 0x47;
    p[1] = ((first && pusi ? 1 : 0) << 6) | (pid >> 8);
    p[2] = pid & 0xff;
    if (n === 184) {
      p[3] = 0x10 | (cc.n & 0x0f);
      p.set(data.subarray(off, off + 184), 4);
    } else {
      // adaptation_field_control '11': stuffing fills the rest.
      p[3] = 0x30 | (cc.n & 0x0f);
      const afLength = 183 - n;
      p[4] = afLength;
      if (afLength > 0) {
        p[5] = 0x00;
        p.fill(0xff, 6, 5 + afLength);
      }
      p.set(data.subarray(off, off + n), 5 + afLength);
    }
    cc.n++;
    off += n;
    out.push(p);
  }
  return out;
}

/** A section with its CRC_32 appended; `body` is everything after section_length and before CRC_32. */
export function section(tableId: number, body: Uint8Array): Uint8Array {
  const head = bits(`${bin(tableId, 8)} 1 0 11 ${bin(body.byteLength + 4, 12)}`);
  const withoutCrc = concat([head, body]);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32Mpeg(withoutCrc));
  return concat([withoutCrc, crc]);
}

export function patSection(programs: Array<[number, number]>, tsid = 1, version = 0): Uint8Array {
  return section(0x00, bits(`${bin(tsid, 16)} 11 ${bin(version, 5)} 1 ${bin(0, 8)} ${bin(0, 8)} ${programs.map(([n, pid]) => `${bin(n, 16)} 111 ${bin(pid, 13)}`).join(' ')}`));
}

export function pmtSection(program: number, pcrPid: number, streams: Array<[number, number, Uint8Array?]>, info = new Uint8Array(0), version = 0): Uint8Array {
  const es = streams.map(([type, pid, d = new Uint8Array(0)]) => concat([bits(`${bin(type, 8)} 111 ${bin(pid, 13)} 1111 ${bin(d.byteLength, 12)}`), d]));
  return section(0x02, concat([bits(`${bin(program, 16)} 11 ${bin(version, 5)} 1 ${bin(0, 8)} ${bin(0, 8)} 111 ${bin(pcrPid, 13)} 1111 ${bin(info.byteLength, 12)}`), info, ...es]));
}

/** pointer_field 0 + the section. */
export const psi = (sec: Uint8Array) => concat([Uint8Array.of(0), sec]);

export interface TsProgram {
  video: number;
  audio: number;
  ccs: Map<number, { n: number }>;
}

/** PAT (PMT at 0x1000) + PMT (video 0x100 of `videoType`, audio 0x101 of `audioType`). */
export function tsHead(videoType = 0x1b, audioType = 0x0f, ccs = new Map<number, { n: number }>()): Uint8Array[] {
  const cc = (pid: number) => ccs.get(pid) ?? ccs.set(pid, { n: 0 }).get(pid)!;
  return [
    ...tsPackets(0x0000, psi(patSection([[1, 0x1000]])), cc(0)),
    ...tsPackets(0x1000, psi(pmtSection(1, 0x100, [[videoType, 0x100], [audioType, 0x101]])), cc(0x1000)),
  ];
}

/** A PES of `data` on `pid` as TS packets. */
export function tsPes(pid: number, streamId: number, data: Uint8Array, pts: number, ccs: Map<number, { n: number }>, unbounded = false): Uint8Array[] {
  const cc = ccs.get(pid) ?? ccs.set(pid, { n: 0 }).get(pid)!;
  return tsPackets(pid, pes(streamId, data, pts, unbounded || data.byteLength > 65000), cc);
}
