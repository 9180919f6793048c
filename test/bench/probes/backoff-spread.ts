/**
 * The backoff's spread at its cap, the shipped rule against two alternatives, side by side in one run
 * (docs/connection.md, "A fleet"): N replicas that lost the server at the same moment retry on their own seeds
 * for a long outage; counts the attempts per 100 ms once every replica is at the cap (from 30 s on). Shipped:
 * a draw over nominal ± jitter clipped to `maxDelay` (about half the draws of a long outage exactly 5 s).
 * Alternatives: uniform over [maxDelay × (1 − jitter), maxDelay] at the cap (no clipping), and uniform over
 * [maxDelay × (1 − 2 × jitter), maxDelay]. Pure: the real backoff function and PRNG, no supervisors.
 *   npx tsx test/bench/probes/backoff-spread.ts [replicas] [outageS]
 */
import { type BackoffPolicy, backoffDelayMs, nextRandom, nominalDelayMs } from '../../../machines/backoff.js';

const replicas = Number(process.argv[2] ?? 1_000);
const outageMs = Number(process.argv[3] ?? 600) * 1_000;
const policy: BackoffPolicy = { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 1.7, jitter: 0.2 };

/** Uniform over [nominal × (1 − spread), nominal × (1 + jitter)], its top capped at maxDelay. */
function underCap(spread: number) {
  return (attempt: number, random: number): number => {
    const nominal = nominalDelayMs(attempt, policy);
    const upper = Math.min(policy.maxDelayMs, nominal * (1 + policy.jitter));
    const lower = Math.min(nominal * (1 - policy.jitter), policy.maxDelayMs * (1 - spread));
    return Math.round(Math.max(0, lower + (upper - lower) * random));
  };
}

function perWindow(delay: (attempt: number, random: number) => number): number[] {
  const windows = new Array(Math.ceil(outageMs / 100)).fill(0);
  for (let r = 0; r < replicas; r++) {
    let state = (r * 2654435761) | 0;
    let t = 0;
    for (let attempt = 1; ; attempt++) {
      const draw = nextRandom(state);
      state = draw.state;
      t += delay(attempt, draw.value) + 20; // + a refused attempt's ~20 ms
      if (t >= outageMs) break;
      windows[Math.floor(t / 100)]++;
    }
  }
  return windows.slice(300); // from 30 s: every replica at the cap
}

function describe(name: string, windows: number[]): string {
  const sorted = [...windows].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = windows.reduce((a, b) => a + b, 0) / windows.length;
  return `${name}: attempts per 100 ms mean ${mean.toFixed(1)}, p99 ${at(0.99)}, max ${sorted.at(-1)}`;
}

console.log(`${replicas} replicas, outage ${outageMs / 1000} s, from 30 s on:`);
console.log(
  describe(
    'shipped: clipped at the cap',
    perWindow((a, r) => backoffDelayMs(a, policy, r)),
  ),
);
console.log(describe('uniform 4-5 s at the cap', perWindow(underCap(policy.jitter))));
console.log(describe('uniform 3-5 s at the cap', perWindow(underCap(2 * policy.jitter))));
