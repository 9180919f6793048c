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
  /**
   * Checks from the server's side that the worker polls: every `interval`, `DescribeTaskQueue` (on the
   * supervisor's connection) lists the task queue's pollers, and a worker whose identity has not polled its
   * workflow or activity queue for `absentFor` (while it had free slots) is a failed worker: it is replaced on a
   * fresh native connection, counted against its restart intensity. `false` turns the check off. See
   * docs/workers.md ("Workers that run but do not poll") for the cost and the bounds.
   * @default { interval: '30s', absentFor: '2m', partitions: 4 }
   */
  pollerCheck?: PollerCheckOptions | false;
}

export interface PollerCheckOptions {
  /** How often the pollers are read. @default 30 s */
  interval?: Duration;
  /**
   * How long the worker's last poll, as the server records it, may stay unchanged. Above the server's long-poll
   * expiry (`matching.longPollExpirationInterval`, 1 min by default) plus `interval`: an idle worker's poll is
   * renewed only that often. @default 2 min
   */
  absentFor?: Duration;
  /**
   * The task queue's read partitions (the server's `matching.numTaskqueueReadPartitions`): each poll lands on
   * one, so all are read until the worker is found. @default 4
   */
  partitions?: number;
}

export interface ResolvedPollerCheck {
  readonly intervalMs: number;
  readonly absentForMs: number;
  readonly partitions: number;
}

export interface ResolvedWorkerOptions {
  readonly options: WorkerOptions;
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  readonly restartDelayMs: number;
  readonly drainTimeoutMs: number;
  readonly refreshAfterOutageMs: number | false;
  readonly significant: boolean;
  readonly pollerCheck: ResolvedPollerCheck | false;
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
  'pollerCheck',
] satisfies readonly (keyof WorkerOptions)[];
const RESTART_KEYS = ['maxRestarts', 'within', 'delay'] satisfies readonly (keyof NonNullable<
  WorkerOptions['restart']
>)[];
const POLLER_CHECK_KEYS = [
  'interval',
  'absentFor',
  'partitions',
] satisfies readonly (keyof PollerCheckOptions)[];

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
    pollerCheck: resolvePollerCheck(`${field}.pollerCheck`, options.pollerCheck),
  };
}

function resolvePollerCheck(field: string, check: PollerCheckOptions | false | undefined) {
  if (check === false) return false;
  const options: PollerCheckOptions = check ?? {};
  if (!isPlainObject(check ?? {})) {
    fail(
      field,
      'an object or false',
      check,
      "Pass e.g. `pollerCheck: { interval: '30s', absentFor: '2m' }`.",
    );
  }
  checkKeys(field, options, POLLER_CHECK_KEYS);
  const d = DEFAULTS.worker.pollerCheck;
  const resolved = {
    intervalMs: duration(`${field}.interval`, options.interval, d.intervalMs),
    absentForMs: duration(`${field}.absentFor`, options.absentFor, d.absentForMs),
    partitions: integer(`${field}.partitions`, options.partitions, d.partitions, 1),
  };
  if (resolved.absentForMs <= resolved.intervalMs) {
    fail(
      `${field}.absentFor`,
      `a duration longer than \`interval\` (${resolved.intervalMs} ms)`,
      options.absentFor,
      'An absence is seen only between two reads: make absentFor at least twice the interval.',
    );
  }
  return resolved;
}
