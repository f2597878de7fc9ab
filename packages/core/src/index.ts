export { CoreError, isCoreError } from './errors.js';
export type { CoreErrorCode } from './errors.js';
export {
  DEFAULT_VHOST,
  MAX_STREAM_KEY_PART_LENGTH,
  streamKeyString,
  parseStreamKey,
  validateStreamKeyPart,
  assertValidStreamKey,
} from './stream-key.js';
export type { StreamKey, StreamKeyPart } from './stream-key.js';
export { Fanout } from './fanout.js';
export type { FanoutOptions, FanoutSubscriber, FanoutSubscription, FanoutSubscribeOptions } from './fanout.js';
export { sameTrackSet, assertValidTrackSet } from './track-set.js';
export { MediaSource, DEFAULT_MEDIA_SOURCE_OPTIONS } from './media-source.js';
export type { FrameReader, MediaSourceOptions, MediaSourceStats, MediaSourceEvents } from './media-source.js';
export type { ViewerInfo, ViewerHandle } from './viewers.js';
export { StreamRegistry } from './registry.js';
export type { StreamRegistryEvents, WaitReadyOptions } from './registry.js';
export { PortPool } from './port-pool.js';
export type { PortPair, PortPoolOptions, PortPoolStats, AllocateOptions } from './port-pool.js';
