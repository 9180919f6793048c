/**
 * One chaos run: a supervised service (one worker, one creator) under a steady stream of workflow starts,
 * and the invariant checker that every scenario and the soak share.
 *
 * The invariants, checked by `finish()` against Temporal itself (visibility, on a direct connection that no
 * fault touches):
 *
 * - every accepted request settles, with a `StartOutcome` or a `TemporalUnavailableError` (anything else, or
 *   nothing, is **lost**);
 * - a started request has exactly one execution, with the run id it was told (none: **lost**);
 * - a request rejected with `maybeApplied: false` has no execution; one rejected with `maybeApplied: true`
 *   has none, or exactly one that a resubmission with its request id claims (same run id): then it counts
 *   as started;
 * - **duplicates**: every execution beyond one per request, every execution of a request rejected as not
 *   applied, every execution with a workflow id no request used, every run id that differs from the one
 *   the request was told;
 * - **zombies**: every execution that is not COMPLETED once the drain time is over (still running, failed,
 *   timed out), every supervised child not `stopped` after `stop()`, a `stop()` that does not finish, and
 *   every resource (`process.getActiveResourcesInfo()`) left after `stop()` beyond the baseline taken
 *   before the supervisor existed (harness resources created meanwhile are added to the baseline by
 *   `harness()`);
 * - no unhandled rejection while the run lasts (a `process` listener counts them);
 * - **late**: requests that settled more than `lateSlackMs` after their deadline (reported; scenarios
 *   assert 0).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
// CommonJS: Node's ESM loader sees no named exports in it.
import proto from '@temporalio/proto';
import type { WorkflowBundle } from '@temporalio/worker';
import {
  type ActorTransition,
  createSupervisor,
  isTemporalUnavailableError,
  type StartOutcome,
  type StateChange,
  type Supervisor,
  type SupervisorOptions,
  type TemporalUnavailableError,
} from '../../src/index.js';
import { DEFAULTS } from '../../src/options/defaults.js';
import { describePollers, timestampMs } from '../../src/temporal/task-queue-pollers.js';
import { activities } from '../fixtures/index.js';

export const WORKER = 'chaos';
export const CREATOR = 'chaos';

export interface ChaosRunOptions {
  /** Scenario name: used in the task queue and workflow ids. */
  name: string;
  /** What the supervisor dials: the fault proxy, or the server itself. */
  address: string;
  /** The real server, for the checker's direct connection (`host:port`). */
  checkAddress: string;
  /** Prebuilt workflow bundle of the fixtures (bundled once per file). */
  workflowBundle: WorkflowBundle;
  /** Creator deadline of each request. @default 8000 */
  deadlineMs?: number;
  /** Sleep of each `greetAfterSleep` workflow. @default 50 */
  workflowSleepMs?: number;
  /** Overrides merged over the chaos defaults (short timeouts and backoffs). */
  supervisor?: Partial<SupervisorOptions>;
  /** Compare active resources after `stop()` with the baseline. @default true */
  checkResources?: boolean;
  /** A request settling later than its deadline plus this is `late`. @default 2000 */
  lateSlackMs?: number;
  /** Extra facts for a zombie report (e.g. the proxy's open connections). @default none */
  diagnose?: () => string;
}

export interface RequestRecord {
  readonly i: number;
  readonly workflowId: string;
  readonly issuedAt: number;
  readonly deadlineMs: number;
  /** Why it was issued: the steady stream, a burst, or a scenario's own call. */
  readonly origin: string;
  settledAt?: number;
  outcome?: StartOutcome;
  error?: unknown;
}

export interface ChaosReport {
  readonly name: string;
  readonly requests: number;
  /** Requests with exactly one execution of their own (including maybeApplied rejections resolved). */
  readonly started: number;
  /** Of `started`: rejected with `maybeApplied`, found applied, claimed by a resubmission. */
  readonly resolvedMaybeApplied: number;
  /** Of `started`: took more than one attempt (a connection lost on the way). */
  readonly retried: number;
  readonly rejected: number;
  /** Rejections by reason, `+maybeApplied` when the call may have reached the server. */
  readonly rejectedByReason: Readonly<Record<string, number>>;
  /** One rejection message per key of `rejectedByReason`. */
  readonly rejectedSamples: Readonly<Record<string, string>>;
  readonly lost: number;
  readonly duplicates: number;
  readonly zombies: number;
  readonly reconnects: number;
  readonly unhandledRejections: number;
  readonly late: number;
  readonly executions: number;
  /** One line per violation (capped), for the failure message. */
  readonly violations: readonly string[];
  readonly elapsedMs: number;
  /** How long, once every request had settled, until every execution was listed and none was running. */
  readonly drainedMs: number;
}

const MAX_VIOLATIONS_LISTED = 40;
/** What a dev server started by the harness holds: its process, its reaper's, and their pipes. */
const HARNESS_RESOURCE_TYPES = ['ProcessWrap', 'PipeWrap'];

/** The supervisor options of the chaos runs: short enough for CI, long enough for 600 ms round trips. */
export function chaosSupervisorOptions(
  taskQueue: string,
  workflowBundle: WorkflowBundle,
  deadlineMs: number,
): SupervisorOptions {
  return {
    envConfig: false,
    connectTimeout: '3s',
    backoff: { initialDelay: 100, maxDelay: 1_000 },
    stablePeriod: '3s',
    closeTimeout: '5s',
    healthCheck: { interval: 500, degradedInterval: 250, timeout: 1_000, failuresToDisconnect: 2 },
    requests: { deadline: deadlineMs },
    workers: {
      [WORKER]: {
        taskQueue,
        workflowBundle,
        activities,
        drainTimeout: '5s',
        restart: { maxRestarts: 20, within: '1m', delay: 200 },
      },
    },
    creators: { [CREATOR]: { deadline: deadlineMs } },
  };
}

export class ChaosRun {
  readonly name: string;
  readonly taskQueue: string;
  readonly supervisor: Supervisor;
  readonly requests: RequestRecord[] = [];
  readonly stateChanges: StateChange[] = [];
  readonly transitions: ActorTransition[] = [];
  readonly unhandled: unknown[] = [];
  /** The supervisor's error lines (its default logger here), for zombie reports. */
  readonly errors: string[] = [];
  readonly #options: Required<Omit<ChaosRunOptions, 'supervisor' | 'diagnose'>> &
    Pick<ChaosRunOptions, 'diagnose'>;
  readonly #pending = new Set<Promise<void>>();
  readonly #baseline: Map<string, number>;
  readonly #startedAt = performance.now();
  readonly #onUnhandled = (reason: unknown) => void this.unhandled.push(reason);
  #connectedCount = 0;
  #next = 0;
  #burstOnReconnect = 0;
  #servedSinceBurst = false;

  constructor(options: ChaosRunOptions) {
    this.#options = {
      deadlineMs: 8_000,
      workflowSleepMs: 50,
      checkResources: true,
      lateSlackMs: 2_000,
      ...options,
    };
    this.name = options.name;
    const unique = `${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    this.taskQueue = `chaos-${options.name}-${unique}`;
    // The baseline is taken before the supervisor exists: whatever it opens must be gone after stop().
    this.#baseline = resourceCounts();
    process.on('unhandledRejection', this.#onUnhandled);
    this.supervisor = createSupervisor({
      ...chaosSupervisorOptions(this.taskQueue, options.workflowBundle, this.#options.deadlineMs),
      address: options.address,
      logger: {
        debug: () => {},
        info: () => {},
        // The last 100 warnings and errors, for the diagnosis of a violation.
        warn: (message: string, meta?: Record<string, unknown>) => {
          this.errors.push(`warn: ${message} ${JSON.stringify(meta)}`);
          if (this.errors.length > 100) this.errors.shift();
        },
        error: (message: string, meta?: Record<string, unknown>) => {
          this.errors.push(`error: ${message} ${JSON.stringify(meta)}`);
          if (this.errors.length > 100) this.errors.shift();
        },
      },
      ...options.supervisor,
    });
    this.supervisor.onStateChange((change) => {
      this.stateChanges.push(change);
      if (change.to === 'connected' && change.from === 'connecting') {
        this.#connectedCount++;
        if (this.#connectedCount > 1 && this.#burstOnReconnect > 0)
          this.burst(this.#burstOnReconnect, 'burst');
      }
      if (change.to === 'connected' || change.to === 'degraded') this.#servedSinceBurst = true;
      if (change.to === 'connecting' && this.#servedSinceBurst && this.#burstOnReconnect > 0) {
        // The first reconnection attempt of an outage: a burst lands while the connection is being rebuilt.
        this.#servedSinceBurst = false;
        this.burst(this.#burstOnReconnect, 'burst');
      }
    });
    this.supervisor.onTransition((transition) => void this.transitions.push(transition));
  }

  /** Reconnections so far: serving again after a connection was lost (the first connection is not one). */
  get reconnects(): number {
    return Math.max(0, this.#connectedCount - 1);
  }

  /** Attempts to connect so far (entries into `connecting`). */
  get connectAttempts(): number {
    return this.stateChanges.filter((c) => c.to === 'connecting').length;
  }

  /**
   * Runs a harness step that opens long-lived resources of its own (a dev server started after the
   * supervisor, say): what it opens is added to the baseline, so that only the supervisor's leftovers count.
   */
  async harness<T>(step: () => Promise<T>, types: readonly string[] = HARNESS_RESOURCE_TYPES): Promise<T> {
    const before = resourceCounts();
    const result = await step();
    for (const [type, count] of resourceCounts()) {
      // Only the kinds a harness step opens (a child process and its pipes): the supervisor, busy at the same
      // moment, opens sockets and timers, and those must not slip into the baseline.
      if (!types.includes(type)) continue;
      const delta = count - (before.get(type) ?? 0);
      if (delta > 0) this.#baseline.set(type, (this.#baseline.get(type) ?? 0) + delta);
    }
    return result;
  }

  /** Every `burst` requests issued at once on each reconnection (first attempt, and serving again). */
  burstOnReconnect(size: number): void {
    this.#burstOnReconnect = size;
  }

  start(): void {
    this.supervisor.start();
  }

  /** Issues one start through the supervised creator and records how it settles. */
  request(origin = 'call', deadlineMs = this.#options.deadlineMs): RequestRecord {
    const i = this.#next++;
    const record: RequestRecord = {
      i,
      workflowId: `${this.taskQueue}-${i}`,
      issuedAt: performance.now(),
      deadlineMs,
      origin,
    };
    this.requests.push(record);
    let promise: Promise<StartOutcome>;
    try {
      promise = this.supervisor.creator(CREATOR).start(
        'greetAfterSleep',
        {
          workflowId: record.workflowId,
          taskQueue: this.taskQueue,
          args: [`n${i}`, this.#options.workflowSleepMs],
        },
        { timeout: deadlineMs },
      );
    } catch (error) {
      promise = Promise.reject(error);
    }
    const settled = promise.then(
      (outcome) => {
        record.outcome = outcome;
        record.settledAt = performance.now();
      },
      (error: unknown) => {
        record.error = error;
        record.settledAt = performance.now();
      },
    );
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
    return record;
  }

  /** `size` requests at once. */
  burst(size: number, origin = 'burst'): RequestRecord[] {
    return Array.from({ length: size }, () => this.request(origin));
  }

  /** A request every `intervalMs` until the returned `stop()`. */
  stream(intervalMs: number): { stop(): void } {
    const timer = setInterval(() => this.request('stream'), intervalMs);
    return { stop: () => clearInterval(timer) };
  }

  /**
   * Checks every invariant. Call it once the faults are healed: it waits for every request to settle, for
   * visibility to show every started workflow and for all of them to close (up to `drainTimeoutMs`), claims
   * maybeApplied rejections found applied, stops the supervisor, and compares resources with the baseline.
   *
   * Why 180 s by default: a server SIGKILLed and restarted under load can leave a workflow task written but
   * not dispatched for a minute or more, with our worker polling all along. Temporal's history service reads
   * a new transfer task when the write that made it tells the queue so, else at the queue's own poll,
   * `history.transferProcessorMaxPollInterval` (1 min, ±15 %; server v1.29.1
   * service/history/queues/queue_immediate.go): most likely a write that timed out on the dev server's
   * SQLite, starved after a restart ("context deadline exceeded"), yet committed, told nobody; a task that
   * then fails again is rescheduled at intervals growing to 3 min (common/util.go, taskRescheduleMaxInterval). Seen in this suite
   * on a loaded machine: first workflow tasks started 62-64 s after they were scheduled, all in one batch,
   * the server listing our worker's polls on every partition within the last 2 s; drains of 78-85 s
   * (docs/reliability.md). A worker that stopped polling still fails it: its workflows never finish.
   */
  async finish({ drainTimeoutMs = 180_000 }: { drainTimeoutMs?: number } = {}): Promise<ChaosReport> {
    const violations: string[] = [];
    const violate = (line: string) => {
      if (violations.length < MAX_VIOLATIONS_LISTED) violations.push(line);
    };
    let lost = 0;
    let duplicates = 0;
    let zombies = 0;
    let late = 0;

    // 1. Every request settles: the longest deadline plus slack, after which a pending one is a hang.
    const longest = Math.max(0, ...this.requests.map((r) => r.issuedAt + r.deadlineMs - performance.now()));
    await within(Promise.allSettled([...this.#pending]), longest + this.#options.lateSlackMs + 1_000);
    const started: RequestRecord[] = [];
    const rejected: (RequestRecord & { error: TemporalUnavailableError })[] = [];
    for (const r of this.requests) {
      if (r.settledAt === undefined) {
        lost++;
        violate(`lost: ${r.workflowId} (${r.origin}) never settled`);
        continue;
      }
      if (r.settledAt - r.issuedAt > r.deadlineMs + this.#options.lateSlackMs) {
        late++;
        violate(
          `late: ${r.workflowId} settled ${Math.round(r.settledAt - r.issuedAt)} ms after it was issued (deadline ${r.deadlineMs} ms)`,
        );
      }
      if (r.outcome !== undefined) started.push(r);
      else if (isTemporalUnavailableError(r.error))
        rejected.push(r as RequestRecord & { error: TemporalUnavailableError });
      else {
        lost++;
        violate(`lost: ${r.workflowId} rejected with an untyped error: ${describeError(r.error)}`);
      }
    }

    // 2. Temporal's own account, on a direct connection: wait until every started workflow is listed and
    // nothing runs any more, then list everything on this run's task queue.
    const connection = await Connection.connect({ address: this.#options.checkAddress });
    const client = new Client({ connection });
    let executions: Map<string, WorkflowExecutionInfo[]>;
    let drainedMs = 0;
    try {
      const query = `TaskQueue = "${this.taskQueue}"`;
      const drainFrom = performance.now();
      const drainUntil = drainFrom + drainTimeoutMs;
      for (;;) {
        const [all, running] = await Promise.all([
          client.workflow.count(query),
          client.workflow.count(`${query} AND ExecutionStatus = "Running"`),
        ]).catch(() => [{ count: -1 }, { count: -1 }]);
        if (all.count >= started.length && running.count === 0) break;
        if (performance.now() > drainUntil) break;
        await sleep(1_000);
      }
      drainedMs = Math.round(performance.now() - drainFrom);
      executions = new Map();
      for await (const execution of client.workflow.list({ query })) {
        executions.set(execution.workflowId, [...(executions.get(execution.workflowId) ?? []), execution]);
      }

      // 3. Account for every request.
      const accounted = new Set<string>();
      let resolvedMaybeApplied = 0;
      const startedFinal: RequestRecord[] = [];
      for (const r of started) {
        accounted.add(r.workflowId);
        const runs = executions.get(r.workflowId) ?? [];
        if (runs.length === 0) {
          lost++;
          violate(
            `lost: ${r.workflowId} was reported started (run ${r.outcome?.runId}) but Temporal has no execution`,
          );
          continue;
        }
        startedFinal.push(r);
        if (runs.length > 1) {
          duplicates += runs.length - 1;
          violate(`duplicate: ${r.workflowId} has ${runs.length} executions`);
        }
        if (!runs.some((run) => run.runId === r.outcome?.runId)) {
          duplicates++;
          violate(
            `duplicate: ${r.workflowId} was told run ${r.outcome?.runId}, Temporal has ${runs.map((x) => x.runId).join(', ')}`,
          );
        }
      }
      const rejectedFinal: typeof rejected = [];
      for (const r of rejected) {
        accounted.add(r.workflowId);
        const runs = executions.get(r.workflowId) ?? [];
        if (runs.length === 0) {
          rejectedFinal.push(r);
          continue;
        }
        if (!r.error.maybeApplied) {
          duplicates += runs.length;
          violate(
            `duplicate: ${r.workflowId} was rejected as not applied (${r.error.reason}) but has ${runs.length} execution(s)`,
          );
          continue;
        }
        // It may have been applied, and it was: a resubmission with its request id must claim that very run.
        const requestId = r.error.request?.requestId;
        const claim = await this.supervisor
          .creator(CREATOR)
          .start(
            'greetAfterSleep',
            {
              workflowId: r.workflowId,
              taskQueue: this.taskQueue,
              args: [`n${r.i}`, this.#options.workflowSleepMs],
            },
            { timeout: 10_000, ...(requestId !== undefined ? { requestId } : {}) },
          )
          .then(
            (outcome) => outcome.runId,
            (error: unknown) => error,
          );
        if (runs.length === 1 && claim === runs[0]?.runId) {
          resolvedMaybeApplied++;
          startedFinal.push(r);
        } else {
          duplicates += Math.max(1, runs.length - 1);
          violate(
            `duplicate: ${r.workflowId} (maybeApplied) has ${runs.length} execution(s); resubmission answered ${typeof claim === 'string' ? claim : describeError(claim)}`,
          );
        }
      }
      for (const [workflowId, runs] of executions) {
        if (!accounted.has(workflowId)) {
          duplicates += runs.length;
          violate(`duplicate: ${workflowId} was started by no request of this run`);
        }
      }
      // 4. Every execution completed.
      let unfinished = 0;
      for (const runs of executions.values()) {
        for (const run of runs) {
          if (run.status.name !== 'COMPLETED') {
            zombies++;
            unfinished++;
            violate(`zombie: workflow ${run.workflowId} is ${run.status.name} after the drain time`);
          }
        }
      }
      if (unfinished > 0) {
        // The diagnosis is listed whatever the number of violations before it.
        const explain = (line: string) => violations.push(line);
        // Why did they not finish: what the worker was doing.
        const worker = this.transitions.filter((t) => t.actor === `worker:${WORKER}`).slice(-12);
        explain(`  worker now: ${this.supervisor.snapshot().children[`worker:${WORKER}`]}`);
        explain(`  last worker transitions: ${worker.map((t) => `${t.toPath} (${t.event})`).join(' → ')}`);
        for (const line of this.errors.slice(-8)) explain(`  supervisor log: ${line}`);
        // And what the server holds: the pollers it has seen, and the histories of the first few.
        for (const line of await describePollersSeen(client, this.taskQueue)) explain(`  ${line}`);
        const first = [...executions.values()].flat().filter((run) => run.status.name !== 'COMPLETED');
        for (const run of first.slice(0, 3))
          explain(`  history of ${run.workflowId}: ${await describeHistory(client, run)}`);
      }

      await connection.close().catch(() => {});
      // 5. stop() ends everything, and leaves nothing behind.
      const stopped = await within(this.supervisor.stop(), 30_000);
      if (!stopped) {
        zombies++;
        violate('zombie: supervisor.stop() did not finish within 30 s');
      }
      for (const [child, state] of Object.entries(this.supervisor.snapshot().children)) {
        if (state !== 'stopped') {
          zombies++;
          violate(`zombie: ${child} is ${state} after stop()`);
        }
      }
      if (this.#options.checkResources) {
        const extra = await this.#leftoverResources();
        for (const [type, count] of extra) {
          zombies += count;
          violate(`zombie: ${count} ${type} resource(s) left after stop() (beyond the baseline)`);
        }
        if (extra.size > 0) {
          if (this.#options.diagnose) violate(`  diagnosis: ${this.#options.diagnose()}`);
          const worker = this.transitions.filter((t) => t.actor === `worker:${WORKER}`);
          violate(`  worker transitions: ${worker.map((t) => `${t.toPath} (${t.event})`).join(' → ')}`);
          for (const line of this.errors.slice(-5)) violate(`  supervisor error log: ${line}`);
        }
      }
      process.off('unhandledRejection', this.#onUnhandled);
      for (const reason of this.unhandled) violate(`unhandled rejection: ${describeError(reason)}`);

      const rejectedByReason: Record<string, number> = {};
      const rejectedSamples: Record<string, string> = {};
      for (const r of rejectedFinal) {
        const key = `${r.error.reason}${r.error.maybeApplied ? '+maybeApplied' : ''}`;
        rejectedByReason[key] = (rejectedByReason[key] ?? 0) + 1;
        rejectedSamples[key] ??=
          `${describeError(r.error)} (cause: ${describeError(r.error.cause)}; after ${Math.round((r.settledAt ?? 0) - r.issuedAt)} ms, ${r.origin})`;
      }
      return {
        name: this.name,
        requests: this.requests.length,
        started: startedFinal.length,
        resolvedMaybeApplied,
        retried: startedFinal.filter((r) => (r.outcome?.attempts ?? 0) > 1).length,
        rejected: rejectedFinal.length,
        rejectedByReason,
        rejectedSamples,
        lost,
        duplicates,
        zombies,
        reconnects: this.reconnects,
        unhandledRejections: this.unhandled.length,
        late,
        executions: [...executions.values()].reduce((n, runs) => n + runs.length, 0),
        violations,
        elapsedMs: Math.round(performance.now() - this.#startedAt),
        drainedMs,
      };
    } finally {
      await connection.close().catch(() => {});
      process.off('unhandledRejection', this.#onUnhandled);
      await this.supervisor.stop().catch(() => {});
    }
  }

  /** Resources beyond the baseline, after letting closes finish (polled up to 10 s). */
  async #leftoverResources(): Promise<Map<string, number>> {
    let extra = new Map<string, number>();
    const until = performance.now() + 10_000;
    for (;;) {
      extra = new Map();
      for (const [type, count] of resourceCounts()) {
        const over = count - (this.#baseline.get(type) ?? 0);
        if (over > 0) extra.set(type, over);
      }
      if (extra.size === 0 || performance.now() > until) return extra;
      await sleep(200);
    }
  }
}

/**
 * Whether `promise` settled within `ms`. The timer is cleared either way: a timer left pending here would
 * itself be counted as a leftover resource.
 */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  const timeout = new AbortController();
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      sleep(ms, false, { signal: timeout.signal }),
    ]);
  } finally {
    timeout.abort();
  }
}

/** `process.getActiveResourcesInfo()` as counts by type. */
export function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/** `requests=R started=S rejected=J lost=L duplicates=D zombies=Z reconnects=C` */
export function summaryLine(
  report: Pick<
    ChaosReport,
    'requests' | 'started' | 'rejected' | 'lost' | 'duplicates' | 'zombies' | 'reconnects'
  >,
): string {
  const { requests, started, rejected, lost, duplicates, zombies, reconnects } = report;
  return `requests=${requests} started=${started} rejected=${rejected} lost=${lost} duplicates=${duplicates} zombies=${zombies} reconnects=${reconnects}`;
}

const { EventType, TaskQueueKind } = proto.temporal.api.enums.v1;

/** A run's history in one line: each event's offset from the first (ms), its type, a task's queue kind. */
async function describeHistory(client: Client, run: WorkflowExecutionInfo): Promise<string> {
  try {
    const events = (await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory()).events ?? [];
    const start = timestampMs(events[0]?.eventTime);
    return events
      .map((e) => {
        const type = (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace(/^EVENT_TYPE_/, '');
        const kind = e.workflowTaskScheduledEventAttributes?.taskQueue?.kind;
        const queue = kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY ? '[sticky]' : '';
        return `+${timestampMs(e.eventTime) - start} ${type}${queue}`;
      })
      .join(', ');
  } catch (error) {
    return `unreadable (${describeError(error)})`;
  }
}

/**
 * The pollers the server saw on each partition of the task queue (the defaults' namespace and partition count),
 * with how long ago each last polled.
 */
async function describePollersSeen(client: Client, taskQueue: string): Promise<string[]> {
  const lines: string[] = [];
  for (const kind of ['workflow', 'activity'] as const) {
    for (let partition = 0; partition < DEFAULTS.worker.pollerCheck.partitions; partition++) {
      const request = { namespace: DEFAULTS.namespace, taskQueue, kind, partition, timeoutMs: 5_000 };
      const seen = await describePollers(client, request).then(
        (pollers) =>
          pollers
            .map((p) => `${p.identity} ${Math.round((Date.now() - p.lastAccessMs) / 1000)} s ago`)
            .join('; ') || 'none',
        (error: unknown) => `unreadable (${describeError(error)})`,
      );
      lines.push(`${kind} pollers on partition ${partition}: ${seen}`);
    }
  }
  return lines;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`.split('\n')[0] ?? error.name;
  return String(error);
}
