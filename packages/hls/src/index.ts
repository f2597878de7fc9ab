export { HlsPackager, type HlsStats } from './packager.js';
export { DEFAULT_OPTIONS, type HlsOptions } from './options.js';
export { HlsError, type HlsErrorCode } from './errors.js';
export { parseHlsQuery } from './query.js';
export { multivariantPlaylist, HLS_VERSION } from './playlist.js';
export { initName, segmentName, partName, parseSegmentName, parsePartName } from './names.js';
export { MAX_SEGMENT_BYTES } from './segmenter.js';
export { LATE_FETCH_SEGMENTS, MAX_WINDOW_EXTENSION } from './window.js';
