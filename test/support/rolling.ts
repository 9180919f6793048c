/**
 * A rolling restart of both frontends of a TemporalCluster under a steady stream of starts: shared by
 * test/cluster/rolling-restart.test.ts and the `rolling-restart` benchmark.
 */
import type { Supervisor } from '../../src/index.js';
import type { TemporalCluster } from '../harness/cluster.js';

const START_EVERY_MS = 50;

export interface RollingOutcome {
  readonly started: number;
  readonly failed: number;
  readonly rejected: number;
  readonly maxStartMs: number;
  readonly p99StartMs: number;
  readonly errors: readonly string[];
  readonly transitions: readonly string[];
}

/** Starts a workflow every `START_EVERY_MS` until `during` settles; what became of each. */
export async function underSteadyStarts(
  target: Supervisor,
  during: () => Promise<void>,
): Promise<RollingOutcome> {
  const creator = target.creator('orders');
  const latencies: number[] = [];
  const errors: string[] = [];
  let failed = 0;
  let rejected = 0;
  const inFlight: Promise<void>[] = [];
  let running = true;
  let n = 0;
  const stream = (async () => {
    while (running) {
      const at = performance.now();
      const id = `rolling-${Date.now()}-${n++}`;
      inFlight.push(
        creator.start('never-runs', { workflowId: id, taskQueue: 'rolling-nobody', args: [] }).then(
          () => {
            latencies.push(performance.now() - at);
          },
          (error: unknown) => {
            if ((error as Error).name === 'TemporalUnavailableError') rejected++;
            else failed++;
            errors.push(`${(error as Error).name}: ${(error as Error).message.slice(0, 200)}`);
          },
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, START_EVERY_MS));
    }
  })();
  const transitions: string[] = [];
  const subscription = target.onStateChange(({ from, to }) => transitions.push(`${from}→${to}`));
  try {
    await during();
  } finally {
    running = false;
    await stream;
    await Promise.all(inFlight);
    subscription.dispose();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    started: latencies.length,
    failed,
    rejected,
    maxStartMs: Math.round(sorted.at(-1) ?? 0),
    p99StartMs: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
    errors,
    transitions,
  };
}

/** SIGTERM each frontend in turn, waiting for it to be back before the next. */
export async function rollFrontends(target: TemporalCluster): Promise<void> {
  for (const name of ['frontend-1', 'frontend-2'] as const) {
    const frontend = target.services[name];
    await frontend.stop();
    await frontend.start();
    // Traffic back on both before the next one goes.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  }
}
