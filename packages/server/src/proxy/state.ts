/**
 * The proxy state machine. One literal union, one transition table, one guarded
 * transition function: an illegal move names both states, so a bug shows up as
 * an error instead of a proxy stuck "connecting" forever.
 *
 *            start                 first frames             upstream lost
 *   idle ───────────▶ connecting ──────────────▶ playing ─────────────────┐
 *    ▲                  │   ▲                       │                      ▼
 *    │ last viewer left │   └──── backoff elapsed ───┼─────────────── retrying
 *    └──────────────────┴───────────────────────────┘                      │
 *                                                            retries spent ▼
 *   any state ── delete / close ──▶ stopped                              failed
 */
export type ProxyState = 'idle' | 'connecting' | 'playing' | 'retrying' | 'failed' | 'stopped';

const TRANSITIONS: Record<ProxyState, readonly ProxyState[]> = {
  idle: ['connecting', 'stopped'],
  connecting: ['playing', 'retrying', 'failed', 'idle', 'stopped'],
  // playing → connecting: a planned switch back to the primary upstream (no failure).
  playing: ['connecting', 'retrying', 'failed', 'idle', 'stopped'],
  retrying: ['connecting', 'failed', 'idle', 'stopped'],
  failed: ['connecting', 'idle', 'stopped'],
  stopped: [],
};

export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: ProxyState,
    readonly to: ProxyState,
  ) {
    super(`illegal proxy transition ${from} → ${to}`);
  }
}

export function canTransition(from: ProxyState, to: ProxyState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function assertTransition(from: ProxyState, to: ProxyState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
