import type { Worker } from '@temporalio/worker';
import type { Clock } from '../runtime/clock.js';

/** Whether a worker has nothing in flight: no activity, workflow activation or local activity. */
export function isIdle(worker: Worker): boolean {
  const status = worker.getStatus();
  return (
    status.numInFlightActivities +
      status.numInFlightWorkflowActivations +
      status.numInFlightLocalActivities ===
    0
  );
}

/** How often a worker is checked for work in flight once the outage has lasted long enough to park it. */
export const PARK_CHECK_MS = 250;

/**
 * Resolves once the outage that began at `disconnectedAt` has lasted `refreshAfterOutageMs` and `idle()`
 * holds (checked then and every {@link PARK_CHECK_MS} after); never with `refreshAfterOutageMs: false`. An
 * aborted `signal` (the connection came back, the worker stopped) clears its timer and leaves it pending.
 *
 * Why during the outage: stopping an SDK worker cancels its long polls on the client side, and a task the
 * server hands a poll as it is cancelled is lost until the workflow task timeout. While the server cannot be
 * reached, no poll of ours can be handed anything.
 */
export function untilParkable(
  refreshAfterOutageMs: number | false,
  disconnectedAt: number | undefined,
  idle: () => boolean,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (refreshAfterOutageMs === false || disconnectedAt === undefined || signal.aborted) return;
    let timer: unknown;
    const check = () => {
      if (!idle()) {
        timer = clock.setTimeout(check, PARK_CHECK_MS);
        return;
      }
      signal.removeEventListener('abort', cancel);
      resolve();
    };
    const cancel = () => clock.clearTimeout(timer);
    signal.addEventListener('abort', cancel, { once: true });
    timer = clock.setTimeout(check, Math.max(0, disconnectedAt + refreshAfterOutageMs - clock.now()));
  });
}
