/**
 * Exponential backoff with jitter, as pure functions of (attempt, policy, random state), so that the
 * connection statechart stays deterministic: the pseudo-random state lives in the machine's context and is
 * advanced by each draw. Seed it from `Math.random()` in production and with a constant in tests.
 */

/** How long to wait before connection attempt number `attempt` (1-based). */
export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly initialDelayMs: number;
  /** Cap on any delay, jitter included. */
  readonly maxDelayMs: number;
  /** Growth factor between consecutive delays (≥ 1). */
  readonly multiplier: number;
  /** Relative jitter in [0, 1]: the delay is spread uniformly over ±jitter of its nominal value. */
  readonly jitter: number;
}

/** Nominal (un-jittered) delay before retry number `attempt` (1-based): initial × multiplier^(attempt-1), capped. */
export function nominalDelayMs(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = policy.initialDelayMs * policy.multiplier ** exponent;
  return Math.min(policy.maxDelayMs, raw);
}

/**
 * Jittered delay before retry number `attempt`, drawn with `random` ∈ [0, 1): the nominal delay times a
 * factor uniform in [1 - jitter, 1 + jitter], never above `maxDelayMs`, rounded to whole milliseconds.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: number): number {
  const nominal = nominalDelayMs(attempt, policy);
  const factor = 1 - policy.jitter + 2 * policy.jitter * random;
  return Math.round(Math.min(policy.maxDelayMs, Math.max(0, nominal * factor)));
}

/**
 * One step of mulberry32, a small, fast, well-distributed 32-bit generator: returns the next state and a
 * number in [0, 1). Pure, so a machine can keep its state in context and replay identically.
 */
export function nextRandom(state: number): { readonly state: number; readonly value: number } {
  const next = (state + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const value = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  return { state: next, value };
}

/** A seed for {@link nextRandom} from `Math.random()`. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) | 0;
}
