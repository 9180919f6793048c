import type { SupervisorLogger } from '../logging/logger.js';
import { type Clock, sleep } from '../runtime/clock.js';

/** A `shutdown()` under way: readiness is off from its start; `cancel()` (a `stop()`) ends the delay early. */
export interface Draining {
  readonly done: Promise<void>;
  cancel(): void;
}

/**
 * Waits `delayMs` (requests are still served), then runs the user's `beforeStop` (a failure is logged, the
 * stop goes on), then `stop`. A cancel during the delay skips `beforeStop` and stops at once, leaving no timer.
 */
export function drainThenStop(
  clock: Clock,
  log: SupervisorLogger,
  describe: (error: unknown) => string,
  delayMs: number,
  beforeStop: (() => unknown) | undefined,
  stop: () => Promise<void>,
): Draining {
  const cancel = new AbortController();
  log.log('info', 'Supervisor shutting down: readiness off, stopping after the delay', {
    readinessDelayMs: delayMs,
  });
  const elapsed = sleep(clock, delayMs, cancel.signal).then(
    () => true,
    () => false,
  );
  const done = elapsed.then(async (waited) => {
    if (waited && beforeStop) {
      try {
        await beforeStop();
      } catch (error) {
        log.log('error', 'Shutdown: beforeStop failed; stopping anyway', { error: describe(error) });
      }
    }
    return stop();
  });
  return { done, cancel: () => cancel.abort() };
}
