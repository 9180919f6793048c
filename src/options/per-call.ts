import type { Clock } from '../runtime/clock.js';
import type { TimeBound } from '../runtime/timers.js';
import { durationMs } from '../temporal/duration.js';

/** The absolute deadline (epoch ms on `clock`) of a request, `defaultMs` from now when it gives none. */
export function deadlineOf(clock: Clock, bound: TimeBound, defaultMs: number): number {
  if (bound.deadline !== undefined) {
    return bound.deadline instanceof Date ? bound.deadline.getTime() : bound.deadline;
  }
  return clock.now() + (bound.timeout === undefined ? defaultMs : durationMs(bound.timeout));
}
