import type { Client } from '@temporalio/client';
import type { FailureInfo } from '../../machines/failure.js';
import { TemporalUnavailableError, type UnavailableReason } from '../errors.js';
import { classifyCall } from './call-failure.js';
import { classifyFailure, grpcStatusOf } from './classify.js';
import type { Clock } from './clock.js';
import type { LiveConnection } from './connector.js';
import { type TimeBound, withTimeout } from './timers.js';
import { type AvailabilityView, type UnavailableExtra, unavailableError } from './unavailable.js';
import { WaitQueue } from './wait-queue.js';

/**
 * Requests released from the wait queue that may be running at once. Released all together, a backlog of
 * thousands lands on the server (and on one HTTP/2 channel) at the same moment a connection comes back: the
 * server times most of them out, and each call holds its buffers, deadline timers and, on failure, errors
 * with causes while the rest queue behind it. The rest of the queue follows as these settle, in order.
 */
const DRAIN_CONCURRENCY = 64;

/** How long a request may take, and what it does while the connection is not serving. */
export interface RequestCallOptions extends TimeBound {
  /** Reject at once when the connection is not serving, instead of waiting. @default `requests.failFast` */
  failFast?: boolean;
  /** Abandons the request (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** What `withClient` hands the callback besides the client. */
export interface RequestContext {
  /** The live connection (raw gRPC services). Do not keep it: it is closed when the connection drops. */
  readonly connection: LiveConnection['connection'];
  /** The request's deadline, epoch ms on the supervisor's clock. */
  readonly deadline: number;
  /** Aborted when the deadline passes: pass it to anything that takes one. */
  readonly signal: AbortSignal;
}

/** What the gate needs of the supervisor: the serving connection, the state of the moment, and an ear. */
export interface GateHost {
  readonly clock: Clock;
  /** The connection requests run on now, if one is serving. */
  serving(): LiveConnection | undefined;
  /** The connection's state of the moment, for decisions and for the wording of rejections. */
  view(): AvailabilityView;
  /** A call failed with UNAVAILABLE: the connection machine should hear of it. */
  unavailableSeen(failure: FailureInfo): void;
  readonly redact: (text: string) => string;
}

export interface GateLimits {
  readonly deadlineMs: number;
  readonly maxPending: number;
  readonly failFast: boolean;
}

type Admission = 'not_started' | 'open' | 'stopped';

/**
 * The request gate: admission, the bounded wait queue, deadlines, and running a call on the serving connection
 * with its failure read from the one failure table (call-failure.ts). Every request it admits settles by its
 * deadline: it runs, or it rejects with a `TemporalUnavailableError`.
 */
export class RequestGate {
  private readonly waiters: WaitQueue<LiveConnection>;
  /** Requests released from the wait queue and not yet settled (at most `DRAIN_CONCURRENCY`). */
  private draining = 0;
  private admission: Admission = 'not_started';

  constructor(
    private readonly host: GateHost,
    private readonly limits: GateLimits,
  ) {
    this.waiters = new WaitQueue(host.clock, limits.maxPending);
  }

  /** The deadline of a request that gives none. */
  get defaultDeadlineMs(): number {
    return this.limits.deadlineMs;
  }

  /** Requests waiting for a connection. */
  get pending(): number {
    return this.waiters.size;
  }

  open(): void {
    this.admission = 'open';
  }

  /** From now on every request is refused with `stopped`; those waiting are rejected. */
  close(): void {
    this.admission = 'stopped';
    this.rejectWaiters('stopped');
  }

  /** Why a request is refused when the connection is stopping or disconnected. */
  get closedReason(): UnavailableReason {
    return this.admission === 'not_started' ? 'not_started' : 'stopped';
  }

  /** A rejection in the supervisor's terms, worded from the state of the moment. */
  unavailable(reason: UnavailableReason, extra: UnavailableExtra = {}): TemporalUnavailableError {
    return unavailableError(this.host.view(), reason, this.limits.maxPending, extra);
  }

  /** Runs `fn` with a client of the serving connection, waiting for one up to the request's deadline. */
  async run<T>(
    fn: (client: Client, context: RequestContext) => Promise<T>,
    options: RequestCallOptions,
    deadline: number,
    seen?: { queued?: boolean },
  ): Promise<T> {
    const { live, queued } = await this.acquire(deadline, options);
    if (seen) seen.queued = queued;
    try {
      // Released from the queue after its deadline (the release and the deadline timer raced): nothing was sent.
      if (this.host.clock.now() >= deadline)
        throw this.unavailable('deadline', { maybeApplied: false, waitedMs: 0 });
      return await this.runOn(live, deadline, fn);
    } finally {
      if (queued) this.drained();
    }
  }

  /** The serving connection's client, waiting for one as `run` does. */
  async client(options: RequestCallOptions, deadline: number): Promise<Client> {
    const { live, queued } = await this.acquire(deadline, options);
    if (queued) this.drained();
    return live.client;
  }

  /**
   * The serving connection, at once or after waiting in the queue (`queued`: then the caller holds one of
   * the `DRAIN_CONCURRENCY` slots and must call `drained()` when its call settles).
   */
  private acquire(
    deadline: number,
    options: RequestCallOptions,
  ): Promise<{ live: LiveConnection; queued: boolean }> {
    if (this.admission !== 'open') return Promise.reject(this.unavailable(this.closedReason));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const failFast = options.failFast ?? this.limits.failFast;
    const serving = this.host.serving();
    // While a backlog drains, a new request queues behind it (a fail-fast one does not wait).
    if (serving && (this.waiters.size === 0 || failFast))
      return Promise.resolve({ live: serving, queued: false });
    const view = this.host.view();
    if (view.state === 'backoff' && view.lastFailure?.kind === 'permanent') {
      return Promise.reject(this.unavailable('permanent_failure'));
    }
    if (failFast) return Promise.reject(this.unavailable('fail_fast'));
    const waitMs = deadline - this.host.clock.now();
    if (waitMs <= 0) return Promise.reject(this.unavailable('deadline', { waitedMs: 0 }));
    if (this.waiters.full) return Promise.reject(this.unavailable('queue_full'));

    const waiting = this.waiters.wait(waitMs, options.signal, () =>
      this.unavailable('deadline', { waitedMs: waitMs }),
    );
    if (serving) this.flush();
    return waiting.then((live) => ({ live, queued: true }));
  }

  /** Releases the oldest waiters to the serving connection, as many as `DRAIN_CONCURRENCY` leaves room for. */
  flush(): void {
    const serving = this.host.serving();
    if (serving) this.draining += this.waiters.release(serving, DRAIN_CONCURRENCY - this.draining);
  }

  /** Rejects every waiting request with `reason`. */
  rejectWaiters(reason: UnavailableReason): void {
    this.waiters.rejectAll(() => this.unavailable(reason));
  }

  /** A request released from the queue settled: its slot goes to the next waiter. */
  private drained(): void {
    this.draining--;
    this.flush();
  }

  private async runOn<T>(
    live: LiveConnection,
    deadline: number,
    fn: (client: Client, context: RequestContext) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const remainingMs = Math.max(0, deadline - this.host.clock.now());
    const wallDeadline = Date.now() + remainingMs;
    const call = live.withDeadline(wallDeadline, () =>
      fn(live.client, { connection: live.connection, deadline, signal: controller.signal }),
    );
    try {
      return await withTimeout(this.host.clock, remainingMs, call, () => {
        controller.abort(new Error('deadline passed'));
        return this.unavailable('deadline', { maybeApplied: true, waitedMs: remainingMs });
      });
    } catch (error) {
      if (error instanceof TemporalUnavailableError) throw error;
      const classified = classifyFailure(error, this.host.redact);
      const failure = classifyCall({
        status: grpcStatusOf(error),
        closedChannel: isClosedChannel(error),
        namespaceNotFound: classified.code === 'NAMESPACE_NOT_FOUND',
        deadlinePassed: controller.signal.aborted,
      });
      if (!failure) throw error;
      if (failure.reportsUnavailable) this.host.unavailableSeen(classified);
      throw this.unavailable(failure.reason, {
        maybeApplied: failure.maybeApplied,
        cause: error,
        waitedMs: remainingMs,
        detail: failure.detail,
      });
    }
  }
}

/** A call ended by our closed-channel guard (src/temporal/grpc-guard.ts): the connection was closed under it. */
function isClosedChannel(error: unknown): boolean {
  const messages =
    String((error as Error)?.message ?? '') +
    String((error as { cause?: { message?: string } })?.cause?.message ?? '');
  return /channel has been shut down/i.test(messages);
}
