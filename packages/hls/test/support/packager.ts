import type { MediaFrame, Track } from '@sluice/codec';
import { HlsPackager, type HlsOptions } from '../../src/index.js';
import { audio, synthetic, video, type SyntheticOptions } from './frames.js';
import { parseMediaPlaylist, type MediaPlaylist } from './m3u8.js';

/** 2023-11-14T22:13:20.000Z: an injected wall clock that never moves. */
export const CLOCK_MS = 1_700_000_000_000;

export function packager(opts: Partial<HlsOptions> = {}, tracks: Track[] = [video, audio]): HlsPackager {
  const p = new HlsPackager({ now: () => CLOCK_MS, ...opts });
  p.setTracks(tracks);
  return p;
}

export function push(p: HlsPackager, frames: readonly MediaFrame[]): void {
  for (const f of frames) p.pushFrame(f);
}

/** A packager fed `seconds` of synthetic media, and its parsed playlist. */
export function fed(opts: Partial<HlsOptions> = {}, media: Partial<SyntheticOptions> = {}, tracks?: Track[]): { p: HlsPackager; pl: MediaPlaylist; frames: MediaFrame[] } {
  const p = packager(opts, tracks ?? [...(media.video === false ? [] : [video]), ...(media.audio === false ? [] : [audio])]);
  const frames = synthetic(media);
  push(p, frames);
  return { p, pl: parseMediaPlaylist(p.playlist()), frames };
}

/** Lets promise callbacks run. */
export async function settle(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}
