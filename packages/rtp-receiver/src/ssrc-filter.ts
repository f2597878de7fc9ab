/**
 * The SSRC filter of an RTP server (ZLMediaKit's `ssrc` of openRtpServer): a given
 * SSRC accepts only that sender; 0 accepts the first sender and locks to it.
 *
 * A lock taken implicitly (0) moves to a new SSRC when that SSRC alone has sent
 * SSRC_RELOCK_PACKETS packets in a row: a camera that restarted picks a new random
 * SSRC, and nothing would play again otherwise. An explicit SSRC never moves.
 */
import { RtpError } from './errors.js';

/** Consecutive packets of one new SSRC (and none of the locked one) before an implicit lock moves: about 0.1-1 s of video. */
export const SSRC_RELOCK_PACKETS = 50;

export type SsrcVerdict = 'accept' | 'mismatch' | 'locked' | 'relocked';

export class SsrcFilter {
  private explicit: boolean;
  private locked: number | undefined;
  private candidate: number | undefined;
  private candidateCount = 0;

  constructor(ssrc = 0) {
    this.explicit = false;
    this.set(ssrc);
  }

  /** The SSRC accepted now, undefined while waiting for a first sender. */
  get ssrc(): number | undefined {
    return this.locked;
  }

  /** 0: accept the next sender and lock to it; otherwise only `ssrc`. */
  set(ssrc: number): void {
    if (!Number.isInteger(ssrc) || ssrc < 0 || ssrc > 0xffffffff) throw new RtpError('BAD_OPTION', `ssrc ${ssrc}: an integer 0..4294967295`);
    this.explicit = ssrc !== 0;
    this.locked = ssrc === 0 ? undefined : ssrc;
    this.candidate = undefined;
    this.candidateCount = 0;
  }

  /**
   * 'accept' (the locked sender), 'locked' (first sender, now locked), 'relocked'
   * (an implicit lock moved to this sender: its sequence starts over) or 'mismatch'.
   */
  check(ssrc: number): SsrcVerdict {
    if (this.locked === undefined) {
      this.locked = ssrc;
      return 'locked';
    }
    if (ssrc === this.locked) {
      this.candidate = undefined;
      this.candidateCount = 0;
      return 'accept';
    }
    if (this.explicit) return 'mismatch';
    if (ssrc !== this.candidate) {
      this.candidate = ssrc;
      this.candidateCount = 0;
    }
    if (++this.candidateCount < SSRC_RELOCK_PACKETS) return 'mismatch';
    this.locked = ssrc;
    this.candidate = undefined;
    this.candidateCount = 0;
    return 'relocked';
  }
}
