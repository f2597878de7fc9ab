/** Reconnect delays: initial × factor^(n-1), capped, with ± jitter so many proxies do not retry in step. */
export interface BackoffPolicy {
  initialMs: number;
  factor: number;
  maxMs: number;
  /** 0..1: the delay is spread uniformly over ±jitter of itself. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 2000, factor: 2, maxMs: 60000, jitter: 0.2 };

/** Delay before attempt number `failures + 1` (failures ≥ 1). */
export function backoffDelay(policy: BackoffPolicy, failures: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, failures - 1));
  const spread = base * policy.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}
