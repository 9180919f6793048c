/**
 * Durations as the Temporal SDK takes them: milliseconds as a number, or a string such as `'5s'` or `'1 min'`.
 *
 * Reliance on a non-public SDK module: `msToNumber` lives in `@temporalio/common/lib/time.js`, which the SDK does
 * not export from its index (checked against @temporalio/common 1.24.0). We use it so that a duration means
 * exactly what it means to the SDK. Caught by test/unit/options.test.ts (string durations) if it moves.
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time.js';

export type { Duration };

/** A duration in milliseconds, or `NaN` when it cannot be parsed (never throws). */
export function durationMs(value: Duration): number {
  if (typeof value === 'number') return value;
  try {
    return msToNumber(value);
  } catch {
    return Number.NaN;
  }
}
