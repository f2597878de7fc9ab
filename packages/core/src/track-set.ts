import { sameDecoding, type Track } from '@sluice/codec';
import { CoreError } from './errors.js';

/**
 * True when `next` describes the same tracks as `current` (same ids, each decoding the
 * same way), in any order: a reader's init segment stays valid, so a producer that
 * reconnects with the same parameters changes nothing for the readers.
 */
export function sameTrackSet(current: readonly Track[], next: readonly Track[]): boolean {
  if (current.length !== next.length) return false;
  for (const track of next) {
    const previous = current.find((candidate) => candidate.id === track.id);
    if (previous === undefined || !sameDecoding(previous, track)) return false;
  }
  return true;
}

/** Throws CoreError `INVALID_TRACKS` for an empty set, or ids that are not unique positive integers. */
export function assertValidTrackSet(tracks: readonly Track[]): void {
  if (tracks.length === 0) throw new CoreError('INVALID_TRACKS', 'a stream needs at least one track');
  const seen = new Set<number>();
  for (const track of tracks) {
    if (!Number.isInteger(track.id) || track.id < 1) {
      throw new CoreError('INVALID_TRACKS', `track id must be a positive integer, got ${track.id}`);
    }
    if (seen.has(track.id)) throw new CoreError('INVALID_TRACKS', `duplicate track id ${track.id}`);
    seen.add(track.id);
  }
}
