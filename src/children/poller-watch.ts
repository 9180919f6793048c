import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError, isTemporalUnavailableError } from '../errors.js';
import type { ResolvedPollerCheck } from '../options/worker.js';
import { classifyFailure } from '../runtime/classify.js';
import type { Clock } from '../runtime/clock.js';
import type { SeenPoller, TaskQueueKind } from '../temporal/task-queue-pollers.js';

/** Reads the pollers the server has seen on one partition of the worker's task queue, for one queue kind. */
export type PollerReader = (kind: TaskQueueKind, partition: number) => Promise<readonly SeenPoller[]>;

/** The supervisor's own connection (`failFast`: rejects at once when it is not serving). */
export type ClientSource = (options: { readonly failFast: true }) => Promise<Client>;

/** The worker watched: who it is to the server, and what it should be polling. */
export interface PollerWatchTarget {
  readonly taskQueue: string;
  /** The `identity` its polls carry (the SDK's `${pid}@${hostname}` unless set). */
  readonly identity: string;
  /** The queue kinds it polls: workflow if it has workflow code, activity if it has activities. */
  readonly kinds: readonly TaskQueueKind[];
  /** Whether it has a free slot of that kind: a worker with every slot taken does not poll that queue. */
  hasFreeSlot(kind: TaskQueueKind): boolean;
}

/** The worker's task queue cannot be read while the supervisor's connection serves: matching is away. */
export interface QueueUnreachable {
  /** When (our clock) the reads began to fail. */
  readonly since: number;
  readonly failure: FailureInfo;
}

/** Told when the task queue's reads begin to fail on a serving connection, and when they succeed again. */
export interface PollerWatchEvents {
  unreachable?(state: QueueUnreachable): void;
  reachable?(state: QueueUnreachable): void;
  /** Applied to a failure's message before anyone sees it. */
  readonly redact?: (text: string) => string;
}

interface Seen {
  /** The newest `lastAccessTime` seen for the identity (server time). */
  readonly serverMs: number;
  /** When (our clock) it last moved, or the clock restarted (the start, a failed read, no free slot). */
  readonly movedAt: number;
}

/**
 * Watches from the server's side that a running worker polls. Every `intervalMs`, for each queue kind, reads the
 * partitions in order until one shows the identity's `lastAccessTime` newer than the newest seen; a kind whose
 * newest poll has not moved for `absentForMs` is an absence, reported once through `absent`. Times are compared
 * server with server and ours with ours: no clock skew enters. A read that fails (the supervisor's own
 * connection is down, the server is away) or a kind with no free slot restarts the count: an absence is only
 * ever seen while the server answers and the worker could poll. A read that fails while the supervisor's own
 * connection serves is the server's side failing to answer for the task queue (matching is down: the worker
 * cannot poll either): `unreachable` says so, once, and `reachable` once a read succeeds again.
 */
export class PollerWatch {
  readonly #seen = new Map<TaskQueueKind, Seen>();
  #timer: unknown;
  #stopped = false;
  #fired = false;
  readonly absent: Promise<never>;
  #report!: (error: ConnectionFailureError) => void;

  #unreachable: QueueUnreachable | undefined;

  constructor(
    private readonly read: PollerReader,
    private readonly target: PollerWatchTarget,
    private readonly check: ResolvedPollerCheck,
    private readonly clock: Clock,
    private readonly events: PollerWatchEvents = {},
  ) {
    this.absent = new Promise<never>((_, reject) => {
      this.#report = reject;
    });
    this.absent.catch(() => {});
    const now = clock.now();
    for (const kind of target.kinds) this.#seen.set(kind, { serverMs: 0, movedAt: now });
    if (target.kinds.length > 0) this.#schedule();
  }

  /** Since when, and why, the task queue cannot be read on a serving connection (undefined: it can). */
  get unreachable(): QueueUnreachable | undefined {
    return this.#unreachable;
  }

  /** Whether `absent` has rejected. */
  get fired(): boolean {
    return this.#fired;
  }

  stop(): void {
    this.#stopped = true;
    this.clock.clearTimeout(this.#timer);
  }

  #schedule(): void {
    this.#timer = this.clock.setTimeout(() => void this.#tick(), this.check.intervalMs);
  }

  async #tick(): Promise<void> {
    for (const kind of this.target.kinds) {
      const absentMs = await this.#observe(kind);
      if (this.#stopped) return;
      if (absentMs !== undefined) {
        this.stop();
        this.#fired = true;
        this.#report(
          new ConnectionFailureError({
            kind: 'transient',
            code: 'WORKER_NOT_POLLING',
            name: 'WorkerNotPolling',
            message: `The server has recorded no poll of the ${kind} task queue ${JSON.stringify(this.target.taskQueue)} by ${JSON.stringify(this.target.identity)} for ${absentMs} ms (bound ${this.check.absentForMs} ms) while the worker ran with free slots`,
          }),
        );
        return;
      }
    }
    this.#schedule();
  }

  #tell(event: 'unreachable' | 'reachable', state: QueueUnreachable): void {
    try {
      this.events[event]?.(state);
    } catch {
      // The worker's own logging: never a reason to stop watching.
    }
  }

  /** Whether `kind` has a free slot; a status that cannot be read counts as none (no evidence either way). */
  #hasFreeSlot(kind: TaskQueueKind): boolean {
    try {
      return this.target.hasFreeSlot(kind);
    } catch {
      return false;
    }
  }

  /** Updates what is known of `kind`; the time its poll has not moved if that is past the bound. */
  async #observe(kind: TaskQueueKind): Promise<number | undefined> {
    const seen = this.#seen.get(kind) as Seen;
    if (!this.#hasFreeSlot(kind)) {
      this.#seen.set(kind, { ...seen, movedAt: this.clock.now() });
      return undefined;
    }
    let newest = seen.serverMs;
    try {
      for (let partition = 0; partition < this.check.partitions && newest === seen.serverMs; partition++) {
        for (const poller of await this.read(kind, partition)) {
          if (poller.identity === this.target.identity && poller.lastAccessMs > newest) {
            newest = poller.lastAccessMs;
          }
        }
      }
    } catch (error) {
      this.#seen.set(kind, { ...seen, movedAt: this.clock.now() });
      // Our own connection not serving is visible already (the supervisor's state); anything else is the server's.
      if (!isTemporalUnavailableError(error) && !this.#unreachable && !this.#stopped) {
        this.#unreachable = { since: this.clock.now(), failure: classifyFailure(error, this.events.redact) };
        this.#tell('unreachable', this.#unreachable);
      }
      return undefined;
    }
    if (this.#unreachable) {
      const was = this.#unreachable;
      this.#unreachable = undefined;
      this.#tell('reachable', was);
    }
    const now = this.clock.now();
    if (newest > seen.serverMs) {
      this.#seen.set(kind, { serverMs: newest, movedAt: now });
      return undefined;
    }
    const stillMs = now - seen.movedAt;
    return stillMs >= this.check.absentForMs ? stillMs : undefined;
  }
}

type Slots = Worker['options']['tuner']['activityTaskSlotSupplier'];

/** Whether `inFlight` leaves a slot free: sure for fixed-size slots and below a resource-based minimum. */
function freeSlot(slots: Slots, inFlight: number): boolean {
  if (slots.type === 'fixed-size') return inFlight < slots.numSlots;
  if (slots.type === 'resource-based') return inFlight < slots.minimumSlots;
  return inFlight === 0;
}

/**
 * What the poller check needs of an SDK worker, from its compiled options (as core gets them): its identity,
 * workflow polls only with workflow code, activity polls only with activities registered (the SDK turns
 * `enableNonLocalActivities` off without them), and its slots.
 */
export function pollerTarget(worker: Worker): PollerWatchTarget {
  const { options } = worker;
  const kinds: TaskQueueKind[] = [];
  if (options.workflowBundle !== undefined || options.workflowsPath !== undefined) kinds.push('workflow');
  if (options.enableNonLocalActivities && options.activities.size > 0) kinds.push('activity');
  return {
    taskQueue: options.taskQueue,
    identity: options.identity,
    kinds,
    hasFreeSlot: (kind) => {
      const status = worker.getStatus();
      return kind === 'workflow'
        ? freeSlot(options.tuner.workflowTaskSlotSupplier, status.numInFlightWorkflowActivations)
        : freeSlot(options.tuner.activityTaskSlotSupplier, status.numInFlightNonLocalActivities);
    },
  };
}
