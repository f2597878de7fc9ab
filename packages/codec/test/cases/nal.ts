/** Case tables for NAL framing, shared by the decode/encode tests and the fuzzer. */
import { hex } from '../helpers.js';

/** Annex B cases: bytes → the NAL units (hex) between start codes. */
export const annexBCases: { name: string; bytes: Uint8Array; decoded: string[] }[] = [
  { name: 'empty input', bytes: hex(''), decoded: [] },
  { name: 'only zeros', bytes: hex('00 00 00 00'), decoded: [] },
  { name: 'one NAL, 4-byte start code', bytes: hex('00 00 00 01 67 42 c0 1e'), decoded: ['6742c01e'] },
  { name: 'one NAL, 3-byte start code', bytes: hex('00 00 01 65 88 84'), decoded: ['658884'] },
  {
    name: '4-byte start codes between NALs',
    bytes: hex('00 00 00 01 67 42 00 00 00 01 68 ce 00 00 00 01 65 88'),
    decoded: ['6742', '68ce', '6588'],
  },
  {
    name: 'mixed 3- and 4-byte start codes',
    bytes: hex('00 00 01 09 f0 00 00 00 01 67 42 00 00 01 68 ce'),
    decoded: ['09f0', '6742', '68ce'],
  },
  { name: 'trailing_zero_8bits after the last NAL', bytes: hex('00 00 01 65 88 80 00 00 00'), decoded: ['658880'] },
  { name: 'trailing zeros between NALs', bytes: hex('00 00 01 06 05 80 00 00 00 00 00 01 65 88'), decoded: ['060580', '6588'] },
  { name: 'leading zero_byte run', bytes: hex('00 00 00 00 00 00 01 09 10'), decoded: ['0910'] },
  { name: 'empty NAL between start codes dropped', bytes: hex('00 00 01 00 00 01 67 42'), decoded: ['6742'] },
  { name: 'start code at the very end', bytes: hex('00 00 01 67 42 00 00 01'), decoded: ['6742'] },
  { name: '00 00 02 and 00 00 03 are payload', bytes: hex('00 00 01 65 00 00 02 00 00 03 01'), decoded: ['6500000200000301'] },
  { name: 'a 0x01 byte after one zero is payload', bytes: hex('00 00 01 41 00 01 9a'), decoded: ['4100019a'] },
  { name: 'a lone 3-byte start code', bytes: hex('00 00 01'), decoded: [] },
  { name: 'a lone 4-byte start code', bytes: hex('00 00 00 01'), decoded: [] },
  { name: '00 00 00 01 inside zeros: one start code, the zeros before it dropped', bytes: hex('00 00 01 65 00 00 00 00 01 41'), decoded: ['65', '41'] },
  { name: 'a NAL of one byte between start codes', bytes: hex('00 00 01 09 00 00 01 41 9a'), decoded: ['09', '419a'] },
  { name: '00 00 01 01: a NAL starting with 01', bytes: hex('00 00 01 01 00 00 01 01'), decoded: ['01', '01'] },
];

/** Length-prefixed cases: (bytes, lengthSize) → NAL units. */
export const lengthPrefixedCases: { name: string; bytes: Uint8Array; lengthSize: 1 | 2 | 4; decoded: string[] }[] = [
  { name: '4-byte lengths', bytes: hex('00000002 6742 00000003 68ce38'), lengthSize: 4, decoded: ['6742', '68ce38'] },
  { name: '2-byte lengths', bytes: hex('0002 6742 0001 68'), lengthSize: 2, decoded: ['6742', '68'] },
  { name: '1-byte lengths', bytes: hex('02 6742 01 68'), lengthSize: 1, decoded: ['6742', '68'] },
  { name: 'zero-length entries dropped', bytes: hex('00000000 00000001 09'), lengthSize: 4, decoded: ['09'] },
  { name: 'empty input', bytes: hex(''), lengthSize: 4, decoded: [] },
];

/** Emulation prevention cases: NAL bytes → RBSP bytes. */
export const emulationCases: { name: string; bytes: Uint8Array; decoded: Uint8Array }[] = [
  { name: 'nothing to remove', bytes: hex('67 42 c0 1e 8c 8d 40'), decoded: hex('67 42 c0 1e 8c 8d 40') },
  { name: '00 00 03 01 → 00 00 01', bytes: hex('67 00 00 03 01 ff'), decoded: hex('67 00 00 01 ff') },
  { name: '00 00 03 00 → 00 00 00', bytes: hex('67 00 00 03 00 80'), decoded: hex('67 00 00 00 80') },
  { name: '00 00 03 03 keeps the second 03', bytes: hex('67 00 00 03 03 80'), decoded: hex('67 00 00 03 80') },
  { name: 'two in a row', bytes: hex('06 00 00 03 00 00 03 00 80'), decoded: hex('06 00 00 00 00 00 80') },
  { name: 'cabac_zero_word at the end', bytes: hex('65 88 00 00 03'), decoded: hex('65 88 00 00') },
  {
    name: 'a real libx264 High 10 SPS',
    bytes: hex('676e001ea6cd940a02ff97011000000300100000030320f162d960'),
    decoded: hex('676e001ea6cd940a02ff9701100000001000000320f162d960'),
  },
];
