/**
 * The timing pattern every part of the runtime needs, written once: racing a promise against a timer on the
 * supervisor's clock (deadlines of calls, bounds on closing and stopping).
 */
import type { Duration } from '@temporalio/common';
import type { Clock } from './clock.js';

/** A request's time bound: an absolute deadline wins over a relative timeout. */
export interface TimeBound {
  /** Absolute deadline (a Date, or epoch ms on the supervisor's clock). Wins over `timeout`. */
  readonly deadline?: Date | number;
  /** Relative deadline. @default `requests.deadline` (10 s) */
  readonly timeout?: Duration;
}

/**
 * `work`, or a rejection with `onTimeout()` once `ms` pass on `clock` first. The timer is always cleared when
 * `work` settles; `onTimeout` runs only if the timer fires (e.g. to abort the work and log).
 */
export function withTimeout<T>(
  clock: Clock,
  ms: number,
  work: Promise<T>,
  onTimeout: () => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
