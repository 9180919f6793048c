import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type BackoffPolicy,
  backoffDelayMs,
  nextRandom,
  nominalDelayMs,
  randomSeed,
} from '../../machines/backoff.js';

const doubling: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 0 };
const defaults: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 1.7, jitter: 0.2 };

/** Just below 1: the largest value `nextRandom` can return. */
const ALMOST_ONE = 1 - 2 ** -32;

/** The published mulberry32 (bryc), written independently of src/, as a reference. */
function referenceMulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function draws(seed: number, count: number): number[] {
  const values: number[] = [];
  let state = seed;
  for (let i = 0; i < count; i++) {
    const next = nextRandom(state);
    values.push(next.value);
    state = next.state;
  }
  return values;
}

describe('nominalDelayMs', () => {
  it('is initial × multiplier^(attempt-1), capped at maxDelayMs', () => {
    const sequence = Array.from({ length: 9 }, (_, i) => nominalDelayMs(i + 1, doubling));
    expect(sequence).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000, 5_000]);
  });

  it('follows a fractional multiplier exactly until the cap', () => {
    const policy: BackoffPolicy = { ...defaults, jitter: 0 };
    for (let attempt = 1; attempt <= 20; attempt++) {
      const expected = Math.min(5_000, 100 * 1.7 ** (attempt - 1));
      expect(nominalDelayMs(attempt, policy)).toBeCloseTo(expected, 9);
    }
    expect(nominalDelayMs(2, policy)).toBeCloseTo(170, 9);
    expect(nominalDelayMs(3, policy)).toBeCloseTo(289, 9);
    expect(nominalDelayMs(8, policy)).toBeCloseTo(4_103.38673, 5);
    expect(nominalDelayMs(9, policy)).toBe(5_000);
  });

  it('stays at the initial delay with multiplier 1', () => {
    const flat: BackoffPolicy = { initialDelayMs: 250, maxDelayMs: 10_000, multiplier: 1, jitter: 0 };
    for (const attempt of [1, 2, 10, 1_000]) expect(nominalDelayMs(attempt, flat)).toBe(250);
  });

  it('treats attempt 0 and negative attempts as the first', () => {
    expect(nominalDelayMs(0, doubling)).toBe(100);
    expect(nominalDelayMs(-5, doubling)).toBe(100);
  });

  it('stays at the cap when the exponential overflows to Infinity', () => {
    expect(100 * 2 ** 5_000).toBe(Number.POSITIVE_INFINITY);
    expect(nominalDelayMs(5_001, doubling)).toBe(5_000);
  });

  it('never exceeds maxDelayMs even when initialDelayMs is larger', () => {
    expect(nominalDelayMs(1, { ...doubling, initialDelayMs: 9_000 })).toBe(5_000);
  });
});

describe('backoffDelayMs', () => {
  it('with jitter 0 gives exactly the (rounded) nominal delay whatever the random value', () => {
    for (const random of [0, 0.25, 0.5, 0.999, ALMOST_ONE]) {
      const sequence = Array.from({ length: 8 }, (_, i) => backoffDelayMs(i + 1, doubling, random));
      expect(sequence).toEqual([100, 200, 400, 800, 1_600, 3_200, 5_000, 5_000]);
    }
    const fractional: BackoffPolicy = { ...defaults, jitter: 0 };
    expect(backoffDelayMs(4, fractional, 0.7)).toBe(Math.round(100 * 1.7 ** 3));
  });

  it('random 0 gives the lower bound nominal × (1 - jitter)', () => {
    expect(backoffDelayMs(1, defaults, 0)).toBe(80);
    expect(backoffDelayMs(3, { ...doubling, jitter: 0.5 }, 0)).toBe(200);
    expect(backoffDelayMs(2, defaults, 0)).toBe(Math.round(170 * 0.8));
  });

  it('random 0.5 gives the nominal delay', () => {
    expect(backoffDelayMs(1, defaults, 0.5)).toBe(100);
    expect(backoffDelayMs(3, { ...doubling, jitter: 0.5 }, 0.5)).toBe(400);
  });

  it('random close to 1 gives the upper bound nominal × (1 + jitter)', () => {
    expect(backoffDelayMs(1, defaults, ALMOST_ONE)).toBe(120);
    expect(backoffDelayMs(3, { ...doubling, jitter: 0.5 }, ALMOST_ONE)).toBe(600);
  });

  it('is monotonic in the random value', () => {
    const policy: BackoffPolicy = { initialDelayMs: 1_000, maxDelayMs: 60_000, multiplier: 2, jitter: 0.3 };
    let previous = -1;
    for (let i = 0; i <= 100; i++) {
      const delay = backoffDelayMs(3, policy, Math.min(i / 100, ALMOST_ONE));
      expect(delay).toBeGreaterThanOrEqual(previous);
      previous = delay;
    }
    expect(backoffDelayMs(3, policy, 0)).toBe(2_800);
    expect(backoffDelayMs(3, policy, ALMOST_ONE)).toBe(5_200);
  });

  it('never goes above maxDelayMs, even with upward jitter at the cap', () => {
    const policy: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, multiplier: 3, jitter: 0.5 };
    expect(nominalDelayMs(10, policy)).toBe(1_000);
    expect(backoffDelayMs(10, policy, ALMOST_ONE)).toBe(1_000);
    expect(backoffDelayMs(10, policy, 0.75)).toBe(1_000);
    // Downward jitter still applies at the cap.
    expect(backoffDelayMs(10, policy, 0)).toBe(500);
  });

  it('never goes negative, even with full jitter and random 0', () => {
    const full: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 2, jitter: 1 };
    expect(backoffDelayMs(1, full, 0)).toBe(0);
    expect(Object.is(backoffDelayMs(1, full, 0), -0)).toBe(false);
    expect(backoffDelayMs(1, full, ALMOST_ONE)).toBe(200);
  });

  it('returns whole milliseconds', () => {
    const policy: BackoffPolicy = { initialDelayMs: 33, maxDelayMs: 10_000, multiplier: 1.37, jitter: 0.33 };
    let state = 7;
    for (let attempt = 1; attempt <= 30; attempt++) {
      const { state: next, value } = nextRandom(state);
      state = next;
      expect(Number.isInteger(backoffDelayMs(attempt, policy, value))).toBe(true);
    }
  });
});

describe('nextRandom', () => {
  it('is deterministic for a seed', () => {
    expect(draws(42, 50)).toEqual(draws(42, 50));
    expect(nextRandom(123)).toEqual(nextRandom(123));
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(1, 10)).not.toEqual(draws(2, 10));
  });

  it('is the published mulberry32 generator', () => {
    for (const seed of [0, 1, 42, -1, 2_147_483_647, -2_147_483_648, 0x6d2b79f5]) {
      const reference = referenceMulberry32(seed);
      const expected = Array.from({ length: 20 }, () => reference());
      expect(draws(seed, 20)).toEqual(expected);
    }
  });

  it('returns the next state as a 32-bit integer', () => {
    let state = 99;
    const bad: number[] = [];
    for (let i = 0; i < 1_000; i++) {
      const next = nextRandom(state);
      if (!Number.isInteger(next.state) || next.state !== (next.state | 0) || next.state === state) {
        bad.push(next.state);
      }
      state = next.state;
    }
    expect(bad).toEqual([]);
  });

  it('gives values in [0, 1)', () => {
    for (const seed of [0, 1, -1, 123_456_789]) {
      const values = draws(seed, 10_000);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThan(1);
    }
  });

  it('is roughly uniform: mean near 0.5 and every decile populated', () => {
    const values = draws(20_240_611, 10_000);
    const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    const deciles = new Array<number>(10).fill(0);
    for (const value of values) deciles[Math.floor(value * 10)]! += 1;
    for (const count of deciles) {
      // Expected 1000 per decile; ±200 is more than 6 standard deviations.
      expect(count).toBeGreaterThan(800);
      expect(count).toBeLessThan(1_200);
    }
  });

  it('does not repeat within a long run', () => {
    const values = draws(5, 10_000);
    expect(new Set(values).size).toBeGreaterThan(9_990);
  });
});

describe('randomSeed', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('derives a 32-bit integer seed from Math.random()', () => {
    const spy = vi.spyOn(Math, 'random');
    spy.mockReturnValueOnce(0);
    expect(randomSeed()).toBe(0);
    spy.mockReturnValueOnce(0.25);
    expect(randomSeed()).toBe(1_073_741_824);
    spy.mockReturnValueOnce(0.75);
    expect(randomSeed()).toBe(-1_073_741_824);
    expect(spy).toHaveBeenCalledTimes(3);
  });

  it('gives integers usable as generator state', () => {
    for (let i = 0; i < 100; i++) {
      const seed = randomSeed();
      expect(Number.isInteger(seed)).toBe(true);
      expect(seed).toBe(seed | 0);
    }
  });
});

describe('backoff invariants over many policies and attempts', () => {
  it('keeps every delay within its jitter band, below the cap, non-negative, growing nominally', () => {
    let state = 0x5eed;
    const draw = () => {
      const next = nextRandom(state);
      state = next.state;
      return next.value;
    };
    const violations: string[] = [];
    const check = (ok: boolean, what: string) => {
      if (!ok && violations.length < 20) violations.push(what);
    };
    let checked = 0;
    for (let p = 0; p < 300; p++) {
      const initialDelayMs = 1 + Math.floor(draw() * 2_000);
      const maxDelayMs = initialDelayMs + Math.floor(draw() * 120_000);
      const multiplier = 1 + draw() * 3;
      const jitter = p % 10 === 0 ? 0 : p % 10 === 1 ? 1 : draw();
      const policy: BackoffPolicy = { initialDelayMs, maxDelayMs, multiplier, jitter };
      let previousNominal = 0;
      for (let attempt = 1; attempt <= 60; attempt++) {
        const at = `${JSON.stringify(policy)} attempt ${attempt}`;
        const nominal = nominalDelayMs(attempt, policy);
        check(nominal >= previousNominal, `nominal ${nominal} < previous ${previousNominal} for ${at}`);
        check(nominal <= maxDelayMs, `nominal ${nominal} above the cap for ${at}`);
        check(nominal >= initialDelayMs, `nominal ${nominal} below the initial delay for ${at}`);
        previousNominal = nominal;

        const random = draw();
        const delay = backoffDelayMs(attempt, policy, random);
        const low = Math.floor(nominal * (1 - jitter));
        const high = Math.ceil(Math.min(maxDelayMs, nominal * (1 + jitter)));
        check(Number.isInteger(delay), `delay ${delay} not whole for ${at}`);
        check(delay >= 0, `delay ${delay} negative for ${at}`);
        check(delay <= maxDelayMs, `delay ${delay} above the cap for ${at}`);
        check(delay >= low && delay <= high, `delay ${delay} outside [${low}, ${high}] for ${at}`);
        if (jitter === 0) check(delay === Math.round(nominal), `delay ${delay} not nominal for ${at}`);
        checked++;
      }
    }
    expect(violations).toEqual([]);
    expect(checked).toBe(300 * 60);
  });
});
