import { randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import {
  type Client,
  type Workflow,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowHandle,
  type WorkflowSignalWithStartOptions,
  type WorkflowStartOptions,
} from '@temporalio/client';
import {
  isTemporalUnavailableError,
  type TemporalUnavailableError,
  WorkflowConflictError,
} from '../errors.js';
import type { SupervisorLogger } from '../logging/logger.js';
import type { ResolvedCreatorOptions } from '../options/creator.js';
import { deadlineOf } from '../options/per-call.js';
import { isRetryableReason } from '../runtime/call-failure.js';
import { type Clock, sleep } from '../runtime/clock.js';
import type { GateCallOptions, RequestCallOptions } from '../runtime/request-gate.js';
import { StopSignal } from '../runtime/stop-signal.js';
import { withRequest } from '../runtime/unavailable.js';
import { signalWithStartRequestId } from '../temporal/request-id.js';
import { withRequestId } from '../temporal/start-options.js';

/**
 * What a creator needs of the supervisor, and nothing more: a clock, a way to run a call on the serving
 * connection (waiting for one up to the deadline, failures read from the failure table), and the supervisor's
 * wording and counting of rejections.
 */
export interface RequestRunner {
  readonly clock: Clock;
  /** Runs `fn` on the serving connection by `deadline` (as `withClient`, without counting a rejection). */
  run<T>(fn: (client: Client) => Promise<T>, options: GateCallOptions & { deadline: number }): Promise<T>;
  /** Counts a request that ended with `error`, if it is a `TemporalUnavailableError`. */
  noteRejected(error: unknown, source: string): void;
  /** A rejection in the supervisor's terms (state, attempt, last failure), with `detail` as its reason. */
  unavailable(reason: 'stopped' | 'queue_full', detail: string): TemporalUnavailableError;
}

/** Per-call options of a creator's request. */
export interface CreatorCallOptions extends Omit<RequestCallOptions, 'failFast'> {
  /** @default the creator's `failFast` */
  failFast?: boolean;
  /**
   * The request's identity. Every attempt of one call carries the same one, and the server answers a
   * repeated start with the same request id with the run it started the first time. Pass the `requestId`
   * of an earlier call that was rejected with `maybeApplied` to find out, without risk, whether it started.
   * @default a new UUID for each call
   */
  requestId?: string;
}

/** What a successful start tells. */
export interface StartOutcome {
  readonly workflowId: string;
  /** The run this request started or signaled (the same for every attempt of the request). */
  readonly runId: string;
  readonly requestId: string;
  /** Attempts it took (more than 1 when a connection was lost on the way). */
  readonly attempts: number;
  /** A handle bound to the connection of the moment. */
  readonly handle: WorkflowHandle;
}

/**
 * Starts workflows through the supervised connection, exactly once per request (see `start`). Get one
 * with `supervisor.creator(name)`; configure it with the supervisor's `creators` option.
 */
export class WorkflowCreator {
  private accepting = true;
  /**
   * One stop signal per request in flight, aborted by `settle()`. Not one shared stop signal that every
   * request listens on: Node's EventTarget adds and removes a listener in O(listeners), so 10,000 requests
   * on one signal took seconds of blocked event loop (measured by the outage benchmark: 3 s deadlines fired
   * ~1.9 s late). And a `StopSignal`, not an `AbortController`: see stop-signal.ts.
   */
  private readonly inFlight = new Set<StopSignal>();
  private stopReason: unknown;
  /** How its rejections are counted (`noteRejected`). */
  private readonly source: string;
  /** Requests accepted and not yet settled, and who waits for there to be none (`settle()`). */
  private outstanding = 0;
  private readonly whenNoneOutstanding: (() => void)[] = [];

  constructor(
    readonly name: string,
    private readonly options: ResolvedCreatorOptions,
    runner: RequestRunner,
    private readonly log: SupervisorLogger,
  ) {
    this.#runner = runner;
    this.source = `creator:${name}`;
  }

  /** The supervisor's side: #private, so that no JSON.stringify or util.inspect of a creator reaches it. */
  readonly #runner: RequestRunner;

  /** What `JSON.stringify(creator)` writes: its name and load, nothing of the supervisor. */
  toJSON(): { name: string; pending: number; accepting: boolean } {
    return { name: this.name, pending: this.pending, accepting: this.accepting };
  }

  [inspect.custom](): string {
    return `WorkflowCreator ${inspect(this.toJSON())}`;
  }

  /** Requests accepted and not yet settled. */
  get pending(): number {
    return this.outstanding;
  }

  /**
   * Starts a workflow, exactly once: all attempts of this call carry one request id, so a start whose first
   * answer was lost and which is retried after a reconnection gets back the run it started, never a second
   * one. Waits for a serving connection up to the deadline (or fails fast), and retries a start whose
   * connection was lost while the deadline allows.
   *
   * @throws {WorkflowConflictError} when another request (someone else's, or an earlier call with another
   * request id) already started a workflow with this id; nothing was started by this call.
   * @throws {TemporalUnavailableError} when the deadline passed, the creator stopped, too many requests
   * were pending, or the last connection attempt failed permanently. With `maybeApplied: true` the last
   * attempt may have reached the server: call again with `requestId` from the error to know.
   */
  start(
    workflowType: string | Workflow,
    options: WorkflowStartOptions,
    call: CreatorCallOptions = {},
  ): Promise<StartOutcome> {
    return this.submit(options.workflowId, call, async (client, requestId) => {
      const handle = await client.workflow.start(workflowType, withRequestId(options, requestId));
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, handle };
    });
  }

  /**
   * Signals a workflow, starting it first if it is not running, exactly once: every attempt carries one
   * request id (the server delivers no second signal for a repeated request id, measured), so a retried
   * call never signals twice. Waits, retries and rejects as `start` does; `runId` is the signaled run.
   */
  signalWithStart<SignalArgs extends unknown[] = []>(
    workflowType: string | Workflow,
    options: WorkflowSignalWithStartOptions<SignalArgs>,
    call: CreatorCallOptions = {},
  ): Promise<StartOutcome> {
    return this.submit(options.workflowId, call, async (client, requestId) => {
      // The SDK draws a random request id for this call; requestIdInterceptor puts ours on the wire.
      const handle = await signalWithStartRequestId.run(requestId, () =>
        client.workflow.signalWithStart(workflowType, options),
      );
      return { workflowId: handle.workflowId, runId: handle.signaledRunId, handle };
    });
  }

  /** One logical request: admission, then attempts until success, a final error, or the deadline. */
  private submit(
    workflowId: string,
    call: CreatorCallOptions,
    attempt: (client: Client, requestId: string) => Promise<Omit<StartOutcome, 'requestId' | 'attempts'>>,
  ): Promise<StartOutcome> {
    const requestId = call.requestId ?? newRequestId();
    const source = this.source;
    const refuse = (reason: 'stopped' | 'queue_full') => {
      const error = this.reject(reason, requestId, workflowId, 0);
      this.#runner.noteRejected(error, source);
      return Promise.reject(error);
    };
    if (!this.accepting) return refuse('stopped');
    if (this.outstanding >= this.options.maxPending) return refuse('queue_full');
    // Counted (and, when it fails, reported) by `run` itself: no handlers per request on its promise.
    return this.run(workflowId, call, requestId, attempt);
  }

  /**
   * The request's attempts, in one async function (each suspended one keeps a generator, a promise and its
   * registers while the request waits: thousands wait at once during an outage).
   */
  private async run(
    workflowId: string,
    call: CreatorCallOptions,
    requestId: string,
    attempt: (client: Client, requestId: string) => Promise<Omit<StartOutcome, 'requestId' | 'attempts'>>,
  ): Promise<StartOutcome> {
    this.outstanding++;
    const deadline = deadlineOf(this.#runner.clock, call, this.options.deadlineMs);
    const signal = new StopSignal();
    const unlink = call.signal ? linkCallerSignal(call.signal, signal) : undefined;
    if (this.stopReason !== undefined) signal.abort(this.stopReason);
    this.inFlight.add(signal);
    try {
      const { clock } = this.#runner;
      // Whether any attempt so far may have reached the server: the request's answer, not only the last one's.
      let maybeApplied = false;
      for (let attempts = 1; ; attempts++) {
        try {
          const outcome = await this.#runner.run((client) => attempt(client, requestId), {
            deadline,
            failFast: call.failFast ?? this.options.failFast,
            signal,
          });
          if (attempts > 1) {
            this.log.log('info', 'Workflow request succeeded after retry', {
              workflowId,
              attempt: attempts,
            });
          }
          return { ...outcome, requestId, attempts };
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) {
            throw new WorkflowConflictError(
              `Workflow id '${workflowId}' is already taken by an execution this request did not start (request ${requestId}); nothing was started. Use another workflow id, or workflowIdConflictPolicy 'USE_EXISTING' to attach to it.`,
              { workflowId, requestId, cause: error },
            );
          }
          if (!isTemporalUnavailableError(error)) throw error;
          maybeApplied ||= error.maybeApplied;
          const request = { requestId, workflowId, attempts };
          const retryable =
            isRetryableReason(error.reason) && clock.now() + this.options.retryDelayMs < deadline;
          if (!retryable) throw withRequest(error, request, maybeApplied);
          this.log.log('warn', 'Workflow request lost its connection; retrying', {
            workflowId,
            attempt: attempts,
            delayMs: this.options.retryDelayMs,
          });
          try {
            await sleep(clock, this.options.retryDelayMs, signal);
          } catch (aborted) {
            throw isTemporalUnavailableError(aborted) ? withRequest(aborted, request, maybeApplied) : aborted;
          }
        }
      }
    } catch (error) {
      this.#runner.noteRejected(error, this.source);
      throw error;
    } finally {
      this.inFlight.delete(signal);
      unlink?.();
      if (--this.outstanding === 0) for (const resolve of this.whenNoneOutstanding.splice(0)) resolve();
    }
  }

  /**
   * Stops accepting, rejects every request still waiting for a connection (reason `stopped`), and waits
   * for those in flight (each bounded by its own deadline). Called by the creator's statechart.
   */
  async settle(): Promise<void> {
    this.accepting = false;
    this.stopReason ??= this.reject('stopped', undefined, undefined, 0);
    for (const signal of this.inFlight) signal.abort(this.stopReason);
    while (this.outstanding > 0) {
      await new Promise<void>((resolve) => {
        this.whenNoneOutstanding.push(resolve);
      });
    }
  }

  private reject(
    reason: 'stopped' | 'queue_full',
    requestId: string | undefined,
    workflowId: string | undefined,
    attempts: number,
  ) {
    const error = this.#runner.unavailable(
      reason,
      reason === 'queue_full'
        ? `creator '${this.name}' already has ${this.options.maxPending} requests pending`
        : `creator '${this.name}' is stopped`,
    );
    return requestId === undefined ? error : withRequest(error, { requestId, workflowId, attempts }, false);
  }
}

/** The caller's signal stops the request too, with its own reason; returns the unlinking. */
function linkCallerSignal(caller: AbortSignal, own: StopSignal): () => void {
  const onAbort = () => own.abort(caller.reason);
  if (caller.aborted) onAbort();
  else caller.addEventListener('abort', onAbort, { once: true });
  return () => caller.removeEventListener('abort', onAbort);
}

/**
 * A new request id, as a flat string. `randomUUID()` returns a rope of ~16 concatenated pieces (~600 bytes of
 * heap, seen in a heap snapshot of 10,000 waiting requests); reading it once makes V8 flatten it in place.
 */
function newRequestId(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}
