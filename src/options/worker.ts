import type { WorkerOptions as SdkWorkerOptions, WorkflowBundle } from '@temporalio/worker';
import type { Duration } from '../temporal/duration.js';
import { boolean, checkKeys, duration, fail, integer, isPlainObject, nonEmptyString } from './check.js';
import { DEFAULTS } from './defaults.js';

/** One supervised worker. */
export interface WorkerOptions {
  /** The task queue it polls. */
  taskQueue: string;
  /** Workflow code: a path to bundle (bundled once, reused by every restart), or a prebuilt bundle. */
  workflowsPath?: string;
  workflowBundle?: WorkflowBundle;
  /** Activity implementations. */
  activities?: object;
  /** Every other option of the SDK's `Worker.create` (not connection, namespace, taskQueue, workflows, activities). */
  worker?: Omit<
    SdkWorkerOptions,
    'connection' | 'namespace' | 'taskQueue' | 'workflowsPath' | 'workflowBundle' | 'activities'
  >;
  /** Restart intensity, as an OTP supervisor has it. */
  restart?: {
    /** Restarts allowed within `within`; one more and the worker is given up. @default 5 */
    maxRestarts?: number;
    /** The window of `maxRestarts`. @default 1 min */
    within?: Duration;
    /** Pause before each restart. @default 1 s */
    delay?: Duration;
  };
  /** Bound on draining at stop: `shutdown()`, then `run()` awaited this long. @default 10 s */
  drainTimeout?: Duration;
  /**
   * When the connection comes back after an outage at least this long, a new worker (which polls at once)
   * takes over instead of waiting for the old one's poll backoff (up to ~10 s after a long outage). The old
   * worker finishes what it has in flight in the background, then is drained. `false` never replaces.
   * @default 1 s
   */
  refreshAfterOutage?: Duration | false;
  /**
   * A significant worker (OTP's significant child): when it is given up beyond its restart intensity, the
   * supervisor's `escalation` policy applies (fail liveness, stop, or exit the process). @default false
   */
  significant?: boolean;
}

export interface ResolvedWorkerOptions {
  readonly options: WorkerOptions;
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  readonly restartDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly refreshAfterOutageMs: number | false;
  readonly significant: boolean;
}

const WORKER_OPTION_KEYS: readonly string[] = [
  'taskQueue',
  'workflowsPath',
  'workflowBundle',
  'activities',
  'worker',
  'restart',
  'drainTimeout',
  'refreshAfterOutage',
  'significant',
] satisfies readonly (keyof WorkerOptions)[];
const RESTART_KEYS = ['maxRestarts', 'within', 'delay'] satisfies readonly (keyof NonNullable<
  WorkerOptions['restart']
>)[];

/** Checks one entry of `workers` (`field` is `workers.<name>`) and applies the worker defaults. */
export function resolveWorkerOptions(field: string, options: WorkerOptions): ResolvedWorkerOptions {
  if (!isPlainObject(options)) {
    fail(field, 'an object', options, "Pass e.g. `{ taskQueue: 'orders', workflowsPath }`.");
  }
  checkKeys(field, options, WORKER_OPTION_KEYS, 'SDK worker options go under `worker`.');
  nonEmptyString(`${field}.taskQueue`, options.taskQueue, 'orders');
  if (
    options.workflowsPath === undefined &&
    options.workflowBundle === undefined &&
    options.activities === undefined
  ) {
    fail(
      `${field}.workflowsPath`,
      'workflowsPath, workflowBundle or activities (a worker with nothing to run)',
      undefined,
      'Pass at least one.',
    );
  }
  const restart = options.restart ?? {};
  if (!isPlainObject(restart)) {
    fail(
      `${field}.restart`,
      'an object',
      restart,
      "Pass e.g. `restart: { maxRestarts: 5, within: '1m', delay: '1s' }`.",
    );
  }
  checkKeys(`${field}.restart`, restart, RESTART_KEYS);
  const d = DEFAULTS.worker;
  return {
    options,
    maxRestarts: integer(`${field}.restart.maxRestarts`, restart.maxRestarts, d.maxRestarts, 0),
    restartWindowMs: duration(`${field}.restart.within`, restart.within, d.restartWindowMs),
    restartDelayMs: duration(`${field}.restart.delay`, restart.delay, d.restartDelayMs),
    drainTimeoutMs: duration(`${field}.drainTimeout`, options.drainTimeout, d.drainTimeoutMs),
    significant: boolean(`${field}.significant`, options.significant, d.significant),
    refreshAfterOutageMs:
      options.refreshAfterOutage === false
        ? false
        : duration(`${field}.refreshAfterOutage`, options.refreshAfterOutage, d.refreshAfterOutageMs),
  };
}
