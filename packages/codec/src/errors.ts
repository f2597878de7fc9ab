/**
 * Typed errors of @sluice/codec. Every parser in this package throws either a
 * `TruncatedError` (the input ended early, from ByteReader/BitReader) or a
 * `CodecError` with one of the stable codes below; callers can switch on `code`
 * without matching message text.
 */
export type CodecErrorCode =
  /** Annex B input with bytes before the first start code. */
  | 'NO_START_CODE'
  /** A parameter-set parser was given a NAL unit of another type. */
  | 'WRONG_NAL_TYPE'
  /** A syntax element outside the range the specification allows. */
  | 'INVALID_VALUE'
  /** An Exp-Golomb code longer than 32 bits. */
  | 'EXP_GOLOMB_OVERFLOW'
  /** A decoder configuration record with an unknown configurationVersion. */
  | 'BAD_VERSION'
  /** An ADTS frame that does not start with the 0xFFF syncword. */
  | 'BAD_SYNC'
  /** Valid by the specification but not handled here (named in the message). */
  | 'UNSUPPORTED'
  /** A required parameter set is missing (no SPS in an avcC, no VPS for H.265...). */
  | 'MISSING_PARAMETER_SET';

export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly code: CodecErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Throws INVALID_VALUE unless min <= value <= max; returns value. */
export function checkRange(value: number, min: number, max: number, field: string): number {
  if (value < min || value > max) {
    throw new CodecError('INVALID_VALUE', `${field} = ${value}, allowed ${min}..${max}`);
  }
  return value;
}
