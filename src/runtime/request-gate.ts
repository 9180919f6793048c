import type { Client } from '@temporalio/client';
import type { FailureInfo } from '../../machines/failure.js';
import { TemporalUnavailableError, type UnavailableReason } from '../errors.js';
import { classifyCall } from './call-failure.js';
import { classifyFailure, grpcStatusOf } from './classify.js';
import type { Clock } from './clock.js';
import type { LiveConnection } from './connector.js';
import type { AbortLike } from './stop-signal.js';
import { type TimeBound, withTimeout } from './timers.js';
import { type AvailabilityView, type UnavailableExtra, unavailableError } from './unavailable.js';
import { WaitQueue } from './wait-queue.js';

/** How long a request may take, and what it does while the connection is not serving. */
export interface RequestCallOptions extends TimeBound {
  /** Reject at once when the connection is not serving, instead of waiting. @default `requests.failFast` */
  failFast?: boolean;
  /** Abandons the request (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The options the gate takes: a request's own stop signal may be a `StopSignal` (the creator's). */
export interface GateCallOptions extends Omit<RequestCallOptions, 'signal'> {
  signal?: AbortLike;
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
  /** The connection's state of the moment, for the wording of rejections. */
  view(): AvailabilityView;
  /** Backing off after a permanent failure (what `view()` would say, without building the whole view). */
  permanentlyFailed(): boolean;
  /** A call failed with UNAVAILABLE: the connection machine should hear of it. */
  unavailableSeen(failure: FailureInfo): void;
  readonly redact: (text: string) => string;
}

export interface GateLimits {
  readonly deadlineMs: number;
  readonly maxPending: number;
  /**
   * Calls that may run on the connection at once (`requests.maxInFlight`); more wait in the queue, in order,
   * for a slot. Without a bound, a burst of thousands goes onto one HTTP/2 channel at once: when that
   * connection dies, each of them fails in the same few milliseconds with a gRPC error, a stack trace and the
   * SDK's retry (profiled: 10,000 such failures held the event loop for 3.5 s, so that requests due meanwhile
   * were rejected late); and when a connection comes back, a released backlog lands on the server at the same
   * moment and is timed out there. Fail-fast requests are not held back (they do not wait by definition).
   */
  readonly maxInFlight: number;
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
  /**
   * Calls running on `slotsOf` (at most `maxInFlight`, fail-fast ones aside). Counted per connection: calls
   * still hanging on a connection that was lost (a black hole holds them to their deadlines) take no slot of
   * the next one.
   */
  private running = 0;
  private slotsOf: LiveConnection | undefined;
  private admission: Admission = 'not_started';

  constructor(
    private readonly host: GateHost,
    private readonly limits: GateLimits,
  ) {
    this.waiters = new WaitQueue(host.clock, limits.maxPending, (waitedMs) =>
      this.unavailable('deadline', { waitedMs }),
    );
  }

  /** The deadline of a request that gives none. */
  get defaultDeadlineMs(): number {
    return this.limits.deadlineMs;
  }

  /** Requests waiting for a connection (or, while it serves, for one of its `maxInFlight` slots). */
  get pending(): number {
    return this.waiters.size;
  }

  /** Calls running on the serving connection now. */
  get inFlight(): number {
    const serving = this.host.serving();
    return serving !== undefined && serving === this.slotsOf ? this.running : 0;
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
  run<T>(
    fn: (client: Client, context: RequestContext) => Promise<T>,
    options: GateCallOptions,
    deadline: number,
    seen?: { queued?: boolean },
  ): Promise<T> {
    // The common case, without a promise: serving, nobody queued ahead.
    const now = this.servingNow(options);
    if (now) {
      if (seen) seen.queued = false;
      // A fail-fast call takes no slot: it was not held back by them either.
      if (options.failFast ?? this.limits.failFast) return this.runOn(now, deadline, fn);
      return this.runInSlot(now, deadline, fn);
    }
    // No async frame while it waits (thousands may wait at once): one reaction, and a frame once released.
    return this.queue(deadline, options).then((live) => {
      if (seen) seen.queued = true;
      return this.runReleased(live, deadline, fn);
    });
  }

  private async runInSlot<T>(
    live: LiveConnection,
    deadline: number,
    fn: (client: Client, context: RequestContext) => Promise<T>,
  ): Promise<T> {
    this.take(live, 1);
    try {
      return await this.runOn(live, deadline, fn);
    } finally {
      this.settled(live);
    }
  }

  /** A request released from the queue: it holds a slot `flush` took for it. */
  private async runReleased<T>(
    live: LiveConnection,
    deadline: number,
    fn: (client: Client, context: RequestContext) => Promise<T>,
  ): Promise<T> {
    try {
      // Released from the queue after its deadline (the release and the deadline timer raced): nothing was sent.
      if (this.host.clock.now() >= deadline)
        throw this.unavailable('deadline', { maybeApplied: false, waitedMs: 0 });
      return await this.runOn(live, deadline, fn);
    } finally {
      this.settled(live);
    }
  }

  /** The serving connection's client, waiting for one as `run` does. */
  async client(options: GateCallOptions, deadline: number): Promise<Client> {
    const now = this.servingNow(options);
    if (now) return now.client;
    const live = await this.queue(deadline, options);
    this.settled(live);
    return live.client;
  }

  /**
   * For a request that cannot run at once (`servingNow` said no): a rejection, or the serving connection once
   * it is its turn in the queue. Then the caller holds one of the `maxInFlight` slots and must call
   * `settled()` when its call settles.
   */
  private queue(deadline: number, options: GateCallOptions): Promise<LiveConnection> {
    if (this.admission !== 'open') return Promise.reject(this.unavailable(this.closedReason));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const failFast = options.failFast ?? this.limits.failFast;
    if (this.host.permanentlyFailed()) return Promise.reject(this.unavailable('permanent_failure'));
    if (failFast) return Promise.reject(this.unavailable('fail_fast'));
    const waitMs = deadline - this.host.clock.now();
    if (waitMs <= 0) return Promise.reject(this.unavailable('deadline', { waitedMs: 0 }));
    if (this.waiters.full) return Promise.reject(this.unavailable('queue_full'));

    const waiting = this.waiters.wait(waitMs, options.signal);
    // Serving, with a backlog draining ahead of it: let the drain move on.
    if (this.host.serving()) this.flush();
    return waiting;
  }

  /**
   * The serving connection if a request with `options` runs at once: open, not aborted, serving, nobody
   * queued ahead and a slot free (a fail-fast request takes neither into account).
   */
  private servingNow(options: GateCallOptions): LiveConnection | undefined {
    if (this.admission !== 'open' || options.signal?.aborted) return undefined;
    const serving = this.host.serving();
    return serving && this.mayRunNow(serving, options.failFast ?? this.limits.failFast) ? serving : undefined;
  }

  /** While a backlog drains or every slot is taken, a new request queues (a fail-fast one does not wait). */
  private mayRunNow(serving: LiveConnection, failFast: boolean): boolean {
    return failFast || (this.waiters.size === 0 && this.freeSlots(serving) > 0);
  }

  /** Slots of `serving` not taken (a connection new to the gate has them all). */
  private freeSlots(serving: LiveConnection): number {
    if (serving !== this.slotsOf) {
      this.slotsOf = serving;
      this.running = 0;
    }
    return this.limits.maxInFlight - this.running;
  }

  private take(live: LiveConnection, count: number): void {
    if (live === this.slotsOf) this.running += count;
  }

  /** Releases the oldest waiters to the serving connection, as many as the free slots. */
  flush(): void {
    const serving = this.host.serving();
    if (!serving) return;
    const free = this.freeSlots(serving);
    if (free > 0) this.take(serving, this.waiters.release(serving, free));
  }

  /** Rejects every waiting request with `reason`. */
  rejectWaiters(reason: UnavailableReason): void {
    this.waiters.rejectAll(() => this.unavailable(reason));
  }

  /** A call on `live` settled: its slot (if `live` still has the gate's slots) goes to the next waiter. */
  private settled(live: LiveConnection): void {
    if (live !== this.slotsOf) return;
    this.running--;
    if (this.waiters.size > 0) this.flush();
  }

  private async runOn<T>(
    live: LiveConnection,
    deadline: number,
    fn: (client: Client, context: RequestContext) => Promise<T>,
  ): Promise<T> {
    const remainingMs = Math.max(0, deadline - this.host.clock.now());
    const wallDeadline = Date.now() + remainingMs;
    const deadlineSignal = new DeadlineSignal();
    const context = callContext(live.connection, deadline, deadlineSignal);
    const call = live.withDeadline(wallDeadline, () => fn(live.client, context));
    try {
      return await withTimeout(this.host.clock, remainingMs, call, () => {
        deadlineSignal.expire();
        return this.unavailable('deadline', { maybeApplied: true, waitedMs: remainingMs });
      });
    } catch (error) {
      if (error instanceof TemporalUnavailableError) throw error;
      const classified = classifyFailure(error, this.host.redact);
      const failure = classifyCall({
        status: grpcStatusOf(error),
        closedChannel: isClosedChannel(error),
        namespaceNotFound: classified.code === 'NAMESPACE_NOT_FOUND',
        // gRPC's wall-clock deadline and our timer are the same instant: under load gRPC's may fire first.
        deadlinePassed: deadlineSignal.expired || this.host.clock.now() >= deadline,
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

/**
 * A call's deadline signal, made only once the call reads it: an `AbortController` is the largest cost of a
 * call on the hot path (profiled: `createAbortSignal` took more CPU than the rest of `withClient` together,
 * ~1 µs and a GC-heavy object per call), and most calls never look at it. Read after the deadline, the signal
 * is already aborted; read before, it aborts at the deadline, as an eager one would.
 */
class DeadlineSignal {
  private controller: AbortController | undefined;
  /** Whether the deadline passed (the call's timer fired). */
  expired = false;

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.expired) this.controller.abort(new Error('deadline passed'));
    }
    return this.controller.signal;
  }

  expire(): void {
    this.expired = true;
    this.controller?.abort(new Error('deadline passed'));
  }
}

/** What the call sees: its connection, deadline and signal, as plain enumerable properties. */
function callContext(
  connection: LiveConnection['connection'],
  deadline: number,
  deadlineSignal: DeadlineSignal,
): RequestContext {
  return {
    connection,
    deadline,
    get signal() {
      return deadlineSignal.signal;
    },
  };
}

/** A call ended by our closed-channel guard (src/temporal/grpc-guard.ts): the connection was closed under it. */
function isClosedChannel(error: unknown): boolean {
  const messages =
    String((error as Error)?.message ?? '') +
    String((error as { cause?: { message?: string } })?.cause?.message ?? '');
  return /channel has been shut down/i.test(messages);
}
