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
import type { WithWorkflowArgs } from '@temporalio/common';
import {
  isTemporalUnavailableError,
  SupervisorOptionsError,
  type TemporalUnavailableError,
  WorkflowConflictError,
} from '../errors.js';
import type { SupervisorLogger } from '../logging/logger.js';
import type { ResolvedCreatorOptions } from '../options/creator.js';
import { callBoolean, callRequestId, callSignal, deadlineOf } from '../options/per-call.js';
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
  /**
   * Runs `fn` on the serving connection by `deadline` (as `withClient`, without counting a rejection); the
   * options are the request's, checked when it was made.
   */
  attempt<T>(fn: (client: Client) => Promise<T>, options: GateCallOptions & { deadline: number }): Promise<T>;
  /** Counts a request that ended with `error`, if it is a `TemporalUnavailableError`. */
  noteRejected(error: unknown, source: string): void;
  /** Reports a request that succeeded. */
  noteRequest(source: string, outcome: 'started' | 'late'): void;
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

/**
 * What a successful start tells. `T` is the workflow function when the call named one (or was given its type:
 * `creator.start<typeof processOrder>('processOrder', …)`), so that `handle.result()` is typed as the SDK's.
 */
export interface StartOutcome<T extends Workflow = Workflow> {
  readonly workflowId: string;
  /** The run this request started or signaled (the same for every attempt of the request). */
  readonly runId: string;
  readonly requestId: string;
  /** Attempts it took (more than 1 when a connection was lost on the way). */
  readonly attempts: number;
  /** A handle bound to the connection of the moment. */
  readonly handle: WorkflowHandle<T>;
}

/** What one attempt of a request returns, before the request adds its identity and count. */
type AttemptOutcome<T extends Workflow> = Omit<StartOutcome<T>, 'requestId' | 'attempts'>;
/** One attempt of a request on a client (the request id in it). */
type Attempt<T extends Workflow> = (client: Client) => Promise<AttemptOutcome<T>>;

/**
 * Starts workflows through the supervised connection, exactly once per request (see `start`). Get one
 * with `supervisor.creator(name)`; configure it with the supervisor's `creators` option.
 */
export class WorkflowCreator {
  private accepting = true;
  /**
   * One stop signal per request in flight, aborted by `settle()`. Not one shared signal that every request
   * listens on: Node's EventTarget adds and removes a listener in O(listeners), so 10,000 requests on one
   * signal took seconds of blocked event loop (measured by the outage benchmark: 3 s deadlines fired ~1.9 s
   * late). And a `StopSignal`, not an `AbortController` (see stop-signal.ts).
   */
  private readonly inFlight = new Set<StopSignal>();
  private stopReason: unknown;
  /** How its requests are counted (`noteRequest`, `noteRejected`). */
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
   *
   * Typed as the SDK's `client.workflow.start`: given the workflow function (or its type as `T`), `args` must
   * match its parameters and `handle.result()` is its result.
   */
  start<T extends Workflow>(
    workflowTypeOrFunc: string | T,
    options: WorkflowStartOptions<T>,
    call: CreatorCallOptions = {},
  ): Promise<StartOutcome<T>> {
    const admitted = this.admit(options.workflowId, call);
    if (admitted instanceof Promise) return admitted;
    const [requestId, deadline] = admitted;
    return this.run(options.workflowId, call, requestId, deadline, async (client) => {
      const handle = await client.workflow.start<T>(workflowTypeOrFunc, withRequestId(options, requestId));
      return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, handle };
    });
  }

  /**
   * Signals a workflow, starting it first if it is not running, exactly once: every attempt carries one
   * request id (the server delivers no second signal for a repeated request id, measured), so a retried
   * call never signals twice. Waits, retries and rejects as `start` does; `runId` is the signaled run.
   * Typed as the SDK's `client.workflow.signalWithStart` (workflow `args`, signal `signalArgs`, the result).
   */
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's own constraint, which makes `signal` infer `signalArgs`
  signalWithStart<T extends Workflow, SignalArgs extends any[] = []>(
    workflowTypeOrFunc: string | T,
    options: WithWorkflowArgs<T, WorkflowSignalWithStartOptions<SignalArgs>>,
    call: CreatorCallOptions = {},
  ): Promise<StartOutcome<T>> {
    const admitted = this.admit(options.workflowId, call);
    if (admitted instanceof Promise) return admitted;
    const [requestId, deadline] = admitted;
    return this.run(options.workflowId, call, requestId, deadline, async (client) => {
      // The SDK draws a random request id for this call; requestIdInterceptor puts ours on the wire.
      const handle = await signalWithStartRequestId.run(requestId, () =>
        client.workflow.signalWithStart<T, SignalArgs>(workflowTypeOrFunc, options),
      );
      return { workflowId: handle.workflowId, runId: handle.signaledRunId, handle };
    });
  }

  /**
   * Admission of one logical request: its call options checked once, its request id and deadline; or the
   * rejection (bad options, stopped, `queue_full`). Then `run` makes the attempts.
   */
  private admit(workflowId: string, call: CreatorCallOptions): [string, number] | Promise<never> {
    let requestId: string;
    let deadline: number;
    try {
      if (call === null || typeof call !== 'object') {
        throw new SupervisorOptionsError(
          'call',
          `Expected call options as an object, received ${typeof call}.`,
        );
      }
      requestId = callRequestId(call.requestId) ?? newRequestId();
      callBoolean('failFast', call.failFast);
      callSignal(call.signal);
      deadline = deadlineOf(this.#runner.clock, call, this.options.deadlineMs);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.accepting) return this.refuse('stopped', requestId, workflowId);
    if (this.outstanding >= this.options.maxPending) return this.refuse('queue_full', requestId, workflowId);
    return [requestId, deadline];
  }

  /**
   * The request's attempts, in one async function: each suspended one keeps a generator, a promise and its
   * registers while the request waits, and thousands wait at once during an outage. Counted and reported
   * here: no handlers and no derived promise per request.
   */
  private async run<T extends Workflow>(
    workflowId: string,
    call: CreatorCallOptions,
    requestId: string,
    deadline: number,
    attempt: Attempt<T>,
  ): Promise<StartOutcome<T>> {
    this.outstanding++;
    const signal = new StopSignal();
    const unlink = call.signal ? linkCallerSignal(call.signal, signal) : undefined;
    if (this.stopReason !== undefined) signal.abort(this.stopReason);
    this.inFlight.add(signal);
    const failFast = call.failFast ?? this.options.failFast;
    try {
      // Whether any attempt so far may have reached the server: the request's answer, not only the last one's.
      let maybeApplied = false;
      for (let attempts = 1; ; attempts++) {
        try {
          const outcome = await this.#runner.attempt(attempt, { deadline, failFast, signal });
          return this.succeeded(outcome, workflowId, requestId, attempts);
        } catch (error) {
          maybeApplied = this.retryOrThrow(
            error,
            { requestId, workflowId, attempts },
            deadline,
            maybeApplied,
          );
        }
        try {
          await sleep(this.#runner.clock, this.options.retryDelayMs, signal);
        } catch (aborted) {
          throw isTemporalUnavailableError(aborted)
            ? withRequest(aborted, { requestId, workflowId, attempts }, maybeApplied)
            : aborted;
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

  private succeeded<T extends Workflow>(
    outcome: AttemptOutcome<T>,
    workflowId: string,
    requestId: string,
    attempts: number,
  ): StartOutcome<T> {
    if (attempts > 1) {
      this.log.log('info', 'Workflow request succeeded after retry', { workflowId, attempt: attempts });
    }
    this.#runner.noteRequest(this.source, attempts > 1 ? 'late' : 'started');
    return { ...outcome, requestId, attempts };
  }

  /**
   * After a failed attempt: throws the request's answer, or logs the retry and returns whether any attempt so
   * far may have reached the server. (Out of `run`: every local of an async function is kept in its suspended
   * frame, for each of the thousands that wait during an outage.)
   */
  private retryOrThrow(
    error: unknown,
    request: { requestId: string; workflowId: string; attempts: number },
    deadline: number,
    maybeAppliedBefore: boolean,
  ): boolean {
    const { requestId, workflowId, attempts } = request;
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new WorkflowConflictError(
        `Workflow id '${workflowId}' is already taken by an execution this request did not start (request ${requestId}); nothing was started. Use another workflow id, or workflowIdConflictPolicy 'USE_EXISTING' to attach to it.`,
        { workflowId, requestId, cause: error },
      );
    }
    if (!isTemporalUnavailableError(error)) throw error;
    const maybeApplied = maybeAppliedBefore || error.maybeApplied;
    const retryable =
      isRetryableReason(error.reason) && this.#runner.clock.now() + this.options.retryDelayMs < deadline;
    if (!retryable) throw withRequest(error, request, maybeApplied);
    this.log.log('warn', 'Workflow request lost its connection; retrying', {
      workflowId,
      attempt: attempts,
      delayMs: this.options.retryDelayMs,
    });
    return maybeApplied;
  }

  /** A request refused at admission, counted. */
  private refuse(reason: 'stopped' | 'queue_full', requestId: string, workflowId: string): Promise<never> {
    const error = this.reject(reason, requestId, workflowId, 0);
    this.#runner.noteRejected(error, this.source);
    return Promise.reject(error);
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
 * A new request id, as a flat string. `randomUUID()` returns a rope of ~16 concatenated pieces (~500 bytes of
 * heap, seen in a heap snapshot of 10,000 waiting requests); reading it once makes V8 flatten it in place.
 */
function newRequestId(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}
