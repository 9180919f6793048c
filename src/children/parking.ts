import type { Worker, WorkerStatus } from '@temporalio/worker';
import type { Clock } from '../runtime/clock.js';

/** Whether a worker has nothing in flight: no activity, workflow activation or local activity. */
export function isIdle(worker: Worker): boolean {
  return inFlight(worker.getStatus()) === 0;
}

function inFlight(status: WorkerStatus): number {
  return (
    status.numInFlightActivities + status.numInFlightWorkflowActivations + status.numInFlightLocalActivities
  );
}

/**
 * Whether replacing the worker can cost nothing: nothing in flight, and no workflow in its cache. A workflow
 * cached on a worker has its next workflow task sent to that worker's sticky queue; once the worker is gone,
 * the task waits there for `stickyQueueScheduleToStartTimeout` (10 s) before any other worker may take it,
 * unless the server heard the worker's shutdown (it cannot, during an outage). Measured: `handover` bench.
 */
export function replaceable(worker: Worker): boolean {
  const status = worker.getStatus();
  return inFlight(status) === 0 && status.numCachedWorkflows === 0;
}

/**
 * At the connection's return after an outage of `outageMs`: refresh (a new worker polls at once, where core's
 * poll backoff would delay this one by up to ~10 s after a long outage) only when no workflow is cached on
 * the worker (see {@link replaceable}); a worker with work in flight but nothing cached is handed over.
 */
export function resumeVerdict(
  worker: Worker,
  outageMs: number,
  refreshAfterOutageMs: number | false,
): { verdict: 'keep' | 'refresh'; fields: Record<string, unknown> } {
  if (refreshAfterOutageMs === false || outageMs < refreshAfterOutageMs)
    return { verdict: 'keep', fields: {} };
  const status = worker.getStatus();
  const fields = {
    outageMs,
    cachedWorkflows: status.numCachedWorkflows,
    inFlightActivities: status.numInFlightActivities,
    inFlightWorkflowActivations: status.numInFlightWorkflowActivations,
    // A worker with activities in flight is handed over: it finishes them in the background.
    handedOver: inFlight(status) > 0,
  };
  return { verdict: status.numCachedWorkflows > 0 ? 'keep' : 'refresh', fields };
}

/** How often a worker is checked for work in flight once the outage has lasted long enough to park it. */
export const PARK_CHECK_MS = 250;

/**
 * Resolves once the outage that began at `disconnectedAt` has lasted `refreshAfterOutageMs` and `replaceable()`
 * (see {@link replaceable}) holds (checked then and every {@link PARK_CHECK_MS} after); never with `refreshAfterOutageMs: false`. An
 * aborted `signal` (the connection came back, the worker stopped) clears its timer and leaves it pending.
 *
 * Why during the outage: stopping an SDK worker cancels its long polls on the client side, and a task the
 * server hands a poll as it is cancelled is lost until the workflow task timeout. While the server cannot be
 * reached, no poll of ours can be handed anything.
 */
export function untilParkable(
  refreshAfterOutageMs: number | false,
  disconnectedAt: number | undefined,
  replaceable: () => boolean,
  clock: Clock,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    if (refreshAfterOutageMs === false || disconnectedAt === undefined || signal.aborted) return;
    let timer: unknown;
    const check = () => {
      if (!replaceable()) {
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
