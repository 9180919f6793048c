/**
 * The supervisor's only source of time. The connection statechart's delays and every request deadline go
 * through it, so a test can pass XState's `SimulatedClock` and drive time by hand.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Node's longest timer: a delay above 2³¹−1 ms (~24.8 days) fires after ~1 ms with a TimeoutOverflowWarning.
 * Options are capped at it; the system clock chains timers past it, so that nothing ever fires early.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer longer than Node can set: re-armed in steps of at most `MAX_TIMER_MS` until its time. */
class LongTimer {
  timer: ReturnType<typeof setTimeout>;
  constructor(fn: () => void, ms: number) {
    const due = Date.now() + ms;
    const arm = (): ReturnType<typeof setTimeout> =>
      setTimeout(
        () => {
          const left = due - Date.now();
          if (left > 0) this.timer = arm();
          else fn();
        },
        Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())),
      );
    this.timer = arm();
  }
}

/** Wall-clock time and Node's timers (chained beyond Node's longest, see `MAX_TIMER_MS`). */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => (ms > MAX_TIMER_MS ? new LongTimer(fn, ms) : setTimeout(fn, ms)),
  clearTimeout: (handle) =>
    clearTimeout(handle instanceof LongTimer ? handle.timer : (handle as ReturnType<typeof setTimeout>)),
};

/** Resolves after `ms` on `clock`, or rejects with the signal's reason when `signal` aborts first. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clock.clearTimeout(handle);
      reject(signal?.reason);
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
