/** Percentiles and summaries of measured samples: pure functions, covered by test/unit/bench.test.ts. */

/**
 * The `p`-th percentile (0–100) of `values`, interpolated linearly between the two nearest ranks (the
 * "type 7" definition of R and NumPy's default). `undefined` for no values.
 *
 * @throws RangeError if `p` is outside 0–100 or a value is not a finite number.
 */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (!(Number.isFinite(p) && p >= 0 && p <= 100)) {
    throw new RangeError(`Expected \`p\` to be a number from 0 to 100, got ${p}.`);
  }
  if (values.length === 0) return undefined;
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`Expected finite samples, got ${value}.`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const lowValue = sorted[low] as number;
  const highValue = sorted[high] as number;
  return lowValue + (highValue - lowValue) * (rank - low);
}

/** Rounds to `digits` decimals; `undefined` stays `undefined`. */
export function round(value: number | undefined, digits = 1): number | undefined {
  if (value === undefined) return undefined;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export interface Summary {
  readonly n: number;
  readonly min: number | undefined;
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
  readonly max: number | undefined;
}

/** n, min, p50, p95, p99 and max of `values`. */
export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    min: percentile(values, 0),
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: percentile(values, 100),
  };
}

/** `summarize` as one short line: `n=20 min 3 p50 12 p95 40 max 41`. */
export function describeSummary(summary: Summary, digits = 0): string {
  const show = (value: number | undefined) => (value === undefined ? '–' : String(round(value, digits)));
  return `n=${summary.n} min ${show(summary.min)} p50 ${show(summary.p50)} p95 ${show(summary.p95)} max ${show(summary.max)}`;
}
