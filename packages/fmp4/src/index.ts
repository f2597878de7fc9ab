export { initSegment } from './init-segment.js';
export { Fragment, SAMPLE_FLAGS_SYNC, SAMPLE_FLAGS_NON_SYNC } from './fragment.js';
export type { Fmp4Sample, TrackRun } from './fragment.js';
export { Fmp4Error } from './errors.js';
export type { Fmp4ErrorCode } from './errors.js';
