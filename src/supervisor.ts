import type { Client, Connection } from '@temporalio/client';
import { msToNumber } from '@temporalio/common/lib/time.js';
import {
  type Actor,
  type AnyActorRef,
  type AnyEventObject,
  assign,
  createActor,
  fromCallback,
  fromPromise,
  type SnapshotFrom,
} from 'xstate';
import {
  CONNECTION_STATES,
  type ConnectionEvent,
  type ConnectionHandle,
  type ConnectionMachine,
  type ConnectionState,
  connectionMachine,
} from '../machines/connection.machine.js';
import { creatorMachine } from '../machines/creator.machine.js';
import type { FailureInfo } from '../machines/failure.js';
import { workerMachine } from '../machines/worker.machine.js';
import type { Clock } from './clock.js';
import type { ConnectionSignal, Connector, LiveConnection } from './connector.js';
import { CoreLogForwarder, ensureRuntimeWithoutSignalHandlers } from './core-logs.js';
import { WorkflowCreator } from './creator.js';
import {
  ConnectionFailureError,
  classifyFailure,
  createRedactor,
  GRPC_UNAVAILABLE,
  grpcStatusOf,
  isUnavailableStatus,
  redactFailure,
  SupervisorTimeoutError,
  TemporalUnavailableError,
  type UnavailableReason,
} from './errors.js';
import type { LogLevel, SupervisorLogger } from './logger.js';
import { type Duration, type ResolvedOptions, resolveOptions, type SupervisorOptions } from './options.js';
import { createTemporalConnector } from './temporal-connector.js';
import { childTransitionEntry } from './transition-log.js';
import { WaitQueue } from './wait-queue.js';
import { SupervisedWorker } from './worker.js';

/** What `onStateChange` listeners receive. */
export interface StateChange {
  readonly from: ConnectionState;
  readonly to: ConnectionState;
  /** The event that caused the change (`START`, `xstate.after.retryDelay.connection.backoff`, …). */
  readonly event: string;
  readonly snapshot: SupervisorSnapshot;
}

/**
 * One state transition of one of the supervisor's actors: the connection machine (`actor: 'connection'`)
 * or a supervised child (`worker:<name>`, `creator:<name>`). Emitted on every change of the actor's state
 * value, substates included (`online.connected.idle` → `online.connected.probing`), for logs, metrics and
 * the inspector. Secret-free by construction: it carries names, states and event types only.
 */
export interface ActorTransition {
  /** `connection`, `worker:<name>` or `creator:<name>`. */
  readonly actor: string;
  /** The coarse state before and after: a `ConnectionState`, a `WorkerState` or a `CreatorState`. */
  readonly from: string;
  readonly to: string;
  /** The full state value as a dotted path before and after, e.g. `online.connected.probing`. */
  readonly fromPath: string;
  readonly toPath: string;
  /** The type of the event that caused it. */
  readonly event: string;
  /** When it happened, ms on the supervisor's clock. */
  readonly at: number;
}

/** A plain, serializable, secret-free view of the supervisor. */
export interface SupervisorSnapshot {
  readonly state: ConnectionState;
  /** The machine's full state value, e.g. `{ online: { connected: 'probing' } }`. */
  readonly value: unknown;
  /** When the current state was entered (clock time, ms). */
  readonly since: number;
  readonly attempt: number;
  readonly retryDelayMs: number;
  /** While backing off: time left before the next attempt. */
  readonly retryAfterMs: number | undefined;
  readonly lastFailure: FailureInfo | undefined;
  readonly connection: unknown;
  readonly lastProbeLatencyMs: number | undefined;
  readonly probeFailures: number;
  readonly probeSuccesses: number;
  /** Requests waiting for a connection. */
  readonly pendingRequests: number;
  /** The supervised children and their states, by id (`creator:<name>`). */
  readonly children: Readonly<Record<string, string>>;
}

/** Settles a subscription. */
export interface Disposable {
  dispose(): void;
}

/**
 * @internal What the metrics observe that the transition stream does not carry: each health check, and
 * each request rejected with `TemporalUnavailableError` (`source`: `client`, or `creator:<name>`).
 */
export interface SupervisorObserver {
  probe?(result: { readonly ok: boolean; readonly seconds: number }): void;
  rejected?(reason: UnavailableReason, source: string): void;
}

/** How long a request may take, and what it does while the connection is not serving. */
export interface RequestCallOptions {
  /** Absolute deadline (a Date, or epoch ms on the supervisor's clock). Wins over `timeout`. */
  deadline?: Date | number;
  /** Relative deadline. @default `requests.deadline` (10 s) */
  timeout?: Duration;
  /** Reject at once when the connection is not serving, instead of waiting. @default `requests.failFast` */
  failFast?: boolean;
  /** Abandons the request (rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** What `withClient` hands the callback besides the client. */
export interface RequestContext {
  /** The live connection (raw gRPC services). Do not keep it: it is closed when the connection drops. */
  readonly connection: Connection;
  /** The request's deadline, epoch ms on the supervisor's clock. */
  readonly deadline: number;
  /** Aborted when the deadline passes: pass it to anything that takes one. */
  readonly signal: AbortSignal;
}

type ConnectionSnapshot = SnapshotFrom<ConnectionMachine>;

/**
 * Requests released from the wait queue that may be running at once. Released all together, a backlog of
 * thousands lands on the server (and on one HTTP/2 channel) at the same moment a connection comes back: the
 * server times most of them out, and each call holds its buffers, deadline timers and, on failure, errors
 * with causes while the rest queue behind it. The rest of the queue follows as these settle, in order.
 */
const DRAIN_CONCURRENCY = 64;

const LEVEL_BY_STATE: Readonly<Record<ConnectionState, LogLevel>> = {
  disconnected: 'info',
  connecting: 'debug',
  connected: 'info',
  degraded: 'warn',
  backoff: 'warn',
  stopping: 'info',
};

/**
 * Keeps one Temporal connection alive through outages: a running connection statechart plus the request
 * gate in front of it. Create it with {@link createSupervisor}.
 */
export class Supervisor {
  readonly options: ResolvedOptions;
  private readonly clock: Clock;
  private readonly log: SupervisorLogger;
  private readonly redact: (text: string) => string;
  private readonly connector: Connector;
  private readonly actor: Actor<ConnectionMachine>;
  /** Connections opened and not yet released, by id. */
  private readonly live = new Map<number, LiveConnection>();
  /** Closes in flight. */
  private readonly closing = new Set<Promise<void>>();
  /** The supervised workflow creators, by name. */
  private readonly creators = new Map<string, WorkflowCreator>();
  /** The supervised workers, by name. */
  private readonly workers = new Map<string, SupervisedWorker>();
  /** Connection attempts in flight (an abandoned one still has to settle before `stop()` is done). */
  private readonly attempts = new Set<Promise<LiveConnection>>();
  private readonly listeners = new Set<(change: StateChange) => void>();
  private readonly transitionListeners = new Set<(transition: ActorTransition) => void>();
  /** The last state seen of each actor (`connection`, `worker:<name>`, …): coarse state and path. */
  private readonly lastSeen = new Map<string, { state: string; path: string }>();
  /** The last context seen of each supervised child, for its transition log lines. */
  private readonly childContexts = new Map<string, unknown>();
  /** A child logger per supervised child (`worker: <name>` / `creator: <name>` bindings). */
  private readonly childLogs = new Map<string, SupervisorLogger>();
  private readonly observers = new Set<SupervisorObserver>();
  private readonly coreLogs: CoreLogForwarder | undefined;
  private readonly waiters: WaitQueue<LiveConnection>;
  /** Requests released from the wait queue and not yet settled (at most `DRAIN_CONCURRENCY`). */
  private draining = 0;
  private nextConnectionId = 1;
  private current: ConnectionState = 'disconnected';
  private since: number;
  private started = false;
  private stopPromise: Promise<void> | undefined;

  constructor(options: SupervisorOptions = {}) {
    this.options = resolveOptions(options);
    this.clock = this.options.clock;
    this.redact = createRedactor(this.options.secrets);
    this.log = this.options.logger.child({ component: 'temporal-supervisor', address: this.options.address });
    this.connector = this.options.connector ?? createTemporalConnector(this.options, this.redact);
    this.since = this.clock.now();
    this.waiters = new WaitQueue(this.clock, this.options.requests.maxPending);
    this.coreLogs = this.options.coreLogs
      ? new CoreLogForwarder(this.options.coreLogs, this.options.logger, this.redact)
      : undefined;
    for (const [name, workerOptions] of this.options.workers) {
      this.workers.set(
        name,
        new SupervisedWorker(
          name,
          workerOptions,
          this.options,
          this.clock,
          this.log.child({ worker: name }),
          this.redact,
        ),
      );
    }
    for (const [name, creatorOptions] of this.options.creators) {
      this.creators.set(
        name,
        new WorkflowCreator(name, creatorOptions, this, this.log.child({ creator: name })),
      );
    }
    this.actor = createActor(this.provideMachine(), {
      input: {
        config: this.options.machine,
        seed: this.options.seed,
        children: {
          creators: [...this.creators.keys()],
          workers: [...this.workers.values()].map((w) => ({
            name: w.name,
            maxRestarts: w.config.maxRestarts,
            restartDelayMs: w.config.restartDelayMs,
          })),
        },
      },
      clock: this.clock,
      inspect: (inspection) => {
        if (inspection.type === '@xstate.snapshot') {
          if (inspection.actorRef === this.actor) {
            const snapshot = inspection.snapshot as ConnectionSnapshot;
            this.noteTransition('connection', connectionStateOf(snapshot), snapshot.value, inspection.event);
            this.onSnapshot(snapshot, inspection.event);
          } else if (isSupervisedChild((inspection.actorRef as AnyActorRef).id)) {
            const snapshot = inspection.snapshot as ChildSnapshot;
            this.childContexts.set((inspection.actorRef as AnyActorRef).id, snapshot.context);
            this.noteTransition(
              (inspection.actorRef as AnyActorRef).id,
              childStateOf(snapshot),
              snapshot.value,
              inspection.event,
            );
          }
        }
        this.options.inspect?.(inspection);
      },
    });
    // Before the start, so that the children's first states are logged too.
    this.onTransition((transition) => this.logChildTransition(transition));
    this.actor.start();
  }

  private provideMachine(): ConnectionMachine {
    const { clock, connector } = this;
    const { machine: config, reachabilityIntervalMs } = this.options;
    return connectionMachine.provide({
      actors: {
        connect: fromPromise(({ input, signal }) => {
          const id = this.nextConnectionId++;
          // Registration happens in the same chain as the attempt, so that `closeAll` (which waits for
          // attempts in flight) always sees the connection of an attempt that settles after STOP.
          const attempt = connector
            .connect({ id, attempt: input.attempt, timeoutMs: config.connectTimeoutMs, signal })
            .then((live) => {
              this.live.set(live.id, live);
              if (signal.aborted) {
                this.release(live);
                throw new Error('Connection attempt abandoned');
              }
              return live;
            });
          const settled = () => void this.attempts.delete(attempt);
          this.attempts.add(attempt);
          attempt.then(settled, settled);
          return attempt;
        }),
        probe: fromPromise(async ({ input, signal }) => {
          const live = this.liveOf(input.connection);
          if (!live) throw new ConnectionFailureError(NO_CONNECTION);
          const started = clock.now();
          try {
            const result = await live.probe({ timeoutMs: config.healthCheck.timeoutMs, signal });
            this.notify((o) => o.probe?.({ ok: true, seconds: result.latencyMs / 1000 }));
            return result;
          } catch (error) {
            if (!signal.aborted) {
              this.notify((o) => o.probe?.({ ok: false, seconds: (clock.now() - started) / 1000 }));
            }
            throw error;
          }
        }),
        watchConnection: fromCallback<ConnectionEvent, { connection: ConnectionHandle | undefined }>(
          ({ input, sendBack }) => {
            const live = this.liveOf(input.connection);
            if (!live) return;
            return live.watch((signal) => sendBack(toEvent(signal)));
          },
        ),
        watchReachability: fromCallback<ConnectionEvent, { lastFailure: FailureInfo | undefined }>(
          ({ input, sendBack }) => {
            if (reachabilityIntervalMs === false || input.lastFailure?.kind === 'permanent') return;
            let stopped = false;
            let sawUnreachable = false;
            let timer: unknown;
            const tick = async () => {
              const reachable = await connector.isReachable(Math.min(reachabilityIntervalMs, 1_000));
              if (stopped) return;
              if (!reachable) sawUnreachable = true;
              else if (sawUnreachable) {
                sendBack({ type: 'RETRY_NOW', reason: 'server_reachable' });
                return;
              }
              timer = clock.setTimeout(() => void tick(), reachabilityIntervalMs);
            };
            void tick();
            return () => {
              stopped = true;
              clock.clearTimeout(timer);
            };
          },
        ),
        disconnect: fromPromise(() => this.closeAllWithin(this.options.closeTimeoutMs)),
        stopChildren: fromPromise(() =>
          this.stopChildren(
            Object.values(this.actor.getSnapshot().children) as AnyActorRef[],
            // Workers drain for up to their drainTimeout: the bound of the whole stop leaves them that time.
            this.options.closeTimeoutMs +
              Math.max(0, ...[...this.workers.values()].map((worker) => worker.config.drainTimeoutMs)),
          ),
        ),
        worker: workerMachine.provide({
          actors: {
            createWorker: fromPromise<void, { readonly name: string }>(({ input, signal }) => {
              // The process-global Runtime must exist, with forwarding, before the worker's native objects.
              if (this.coreLogs) this.coreLogs.ensureInstalled();
              else ensureRuntimeWithoutSignalHandlers();
              return this.workerNamed(input.name).create(signal).catch(this.noteWorkerOutage);
            }),
            runWorker: fromPromise<void, { readonly name: string }>(({ input }) =>
              this.workerNamed(input.name).run().catch(this.noteWorkerOutage),
            ),
            shutdownWorker: fromPromise<void, { readonly name: string }>(({ input }) =>
              this.workerNamed(input.name).shutdown(),
            ),
            refreshWorker: fromPromise<void, { readonly name: string }>(async ({ input }) =>
              this.workerNamed(input.name).handOver(),
            ),
            checkResume: fromPromise<
              'keep' | 'refresh',
              { readonly name: string; readonly disconnectedAt: number | undefined }
            >(({ input }) => this.workerNamed(input.name).checkResume(input.disconnectedAt)),
          },
          actions: {
            // Restarts older than the worker's window no longer count (OTP's restart intensity).
            recordRestart: assign(({ context }) => ({
              restarts: [...this.recentRestarts(context), clock.now()],
            })),
            // Only the first DOWN of an outage counts: each failed reconnect attempt sends DOWN again.
            markDisconnected: assign({
              connected: false,
              disconnectedAt: ({ context }) => (context.connected ? clock.now() : context.disconnectedAt),
            }),
          },
          guards: {
            isBeyondIntensity: ({ context }) => this.recentRestarts(context).length + 1 > context.maxRestarts,
          },
        }),
        creator: creatorMachine.provide({
          actors: {
            settleRequests: fromPromise<void, { readonly name: string }>(async ({ input }) => {
              await this.creators.get(input.name)?.settle();
            }),
          },
        }),
      },
      actions: {
        releaseConnection: (_args, params) => {
          const live = this.liveOf(params.connection);
          if (live) this.release(live);
        },
      },
    });
  }

  /**
   * Starts connecting. Never throws because Temporal is down: watch `state` or `waitFor('connected')`.
   * @throws {Error} after `stop()`: a stopped supervisor cannot be restarted.
   */
  start(): void {
    if (this.stopPromise) {
      throw new Error(
        'This supervisor was stopped: its workers and creators are gone for good. Create a new supervisor with createSupervisor() to start again.',
      );
    }
    this.started = true;
    this.actor.send({ type: 'START' });
  }

  /**
   * Stops for good: rejects every waiting request (reason `stopped`), ends every timer, probe and watcher,
   * and closes every connection. Idempotent; afterwards nothing of the supervisor keeps the process alive.
   */
  stop(): Promise<void> {
    // The machine itself ignores STOP while stopping or stopped: that is what makes stop() idempotent.
    this.actor.send({ type: 'STOP' });
    if (this.stopPromise) return this.stopPromise;
    this.started = false;
    this.rejectWaiters('stopped');
    this.stopPromise = (
      this.current === 'disconnected' ? this.closeAll() : this.untilState(['disconnected'])
    ).finally(() => this.coreLogs?.release());
    return this.stopPromise;
  }

  /**
   * The supervised workflow creator configured under `name` (option `creators`).
   * @throws {TypeError} when no creator has that name.
   */
  creator(name: string): WorkflowCreator {
    const creator = this.creators.get(name);
    if (!creator) {
      const known = [...this.creators.keys()];
      throw new TypeError(
        `No workflow creator named ${JSON.stringify(name)}. ${
          known.length ? `Configured creators: ${known.join(', ')}.` : 'None is configured:'
        } Configure it with createSupervisor({ creators: { ${JSON.stringify(name)}: {} } }).`,
      );
    }
    return creator;
  }

  /** Gives a worker that was given up (beyond its restart intensity) a fresh start. */
  restartWorker(name: string): void {
    this.workerNamed(name);
    (this.actor.getSnapshot().children[`worker:${name}`] as AnyActorRef | undefined)?.send({
      type: 'RESTART',
    });
  }

  /** A worker's restarts still inside its restart window. */
  private recentRestarts(context: { readonly name: string; readonly restarts: readonly number[] }): number[] {
    const now = this.clock.now();
    const windowMs = this.workerNamed(context.name).config.restartWindowMs;
    return context.restarts.filter((at) => now - at < windowMs);
  }

  private workerNamed(name: string): SupervisedWorker {
    const worker = this.workers.get(name);
    if (!worker) {
      throw new TypeError(
        `No worker named ${JSON.stringify(name)}. Configured workers: ${[...this.workers.keys()].join(', ') || 'none'}.`,
      );
    }
    return worker;
  }

  /** Skips the rest of a backoff delay and tries to connect now (for operators). */
  retryNow(): void {
    this.actor.send({ type: 'RETRY_NOW', reason: 'operator' });
  }

  /** The lifecycle state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** A plain, serializable, secret-free view of the supervisor. */
  snapshot(): SupervisorSnapshot {
    const snapshot = this.actor.getSnapshot();
    const { context } = snapshot;
    const retryAfterMs =
      this.current === 'backoff'
        ? Math.max(0, this.since + context.retryDelayMs - this.clock.now())
        : undefined;
    return {
      state: this.current,
      value: snapshot.value,
      since: this.since,
      attempt: context.attempt,
      retryDelayMs: context.retryDelayMs,
      retryAfterMs,
      // Redacted again: a custom connector's failures may not have been.
      lastFailure: context.lastFailure && redactFailure(context.lastFailure, this.redact),
      connection: context.connection?.toJSON(),
      lastProbeLatencyMs: context.lastProbeLatencyMs,
      probeFailures: context.probeFailures,
      probeSuccesses: context.probeSuccesses,
      pendingRequests: this.waiters.size,
      children: Object.fromEntries(
        Object.entries(snapshot.children)
          .filter(([id]) => isSupervisedChild(id))
          .map(([id, child]) => [id, childState(child as AnyActorRef)]),
      ),
    };
  }

  /**
   * Calls `listener` on every state transition of every actor: the connection machine's substates included,
   * and each worker and creator. Listeners run synchronously; one that throws is logged and kept.
   */
  onTransition(listener: (transition: ActorTransition) => void): Disposable {
    this.transitionListeners.add(listener);
    return { dispose: () => void this.transitionListeners.delete(listener) };
  }

  /** Calls `listener` on every lifecycle state change. */
  onStateChange(listener: (change: StateChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => void this.listeners.delete(listener) };
  }

  /**
   * Resolves with the snapshot once the state is one of `states` (at once if it already is); rejects with
   * a `SupervisorTimeoutError` after `timeout`.
   */
  waitFor(
    states: ConnectionState | readonly ConnectionState[],
    options: { timeout?: Duration } = {},
  ): Promise<SupervisorSnapshot> {
    const wanted = typeof states === 'string' ? [states] : states;
    for (const state of wanted) {
      if (!CONNECTION_STATES.includes(state)) {
        return Promise.reject(
          new TypeError(
            `waitFor: unknown state ${JSON.stringify(state)}; expected one of ${CONNECTION_STATES.join(', ')}`,
          ),
        );
      }
    }
    const timeoutMs = options.timeout === undefined ? undefined : msToNumber(options.timeout);
    return this.untilState(wanted, timeoutMs).then(() => this.snapshot());
  }

  /**
   * Runs `fn` with a client of a serving connection, bounded by the request's deadline. While the
   * connection is not serving, waits for it (bounded by the deadline) or, with `failFast`, rejects at once.
   *
   * @throws {TemporalUnavailableError} when no connection serves before the deadline, after a permanent
   * failure, after `stop()`, or when the call itself fails with UNAVAILABLE or passes its deadline (then
   * `maybeApplied` is true: the call may have reached the server).
   */
  async withClient<T>(
    fn: (client: Client, context: RequestContext) => Promise<T>,
    options: RequestCallOptions = {},
  ): Promise<T> {
    try {
      return await this.runWithClient(fn, options);
    } catch (error) {
      this.noteRejected(error, 'client');
      throw error;
    }
  }

  /** @internal `withClient` without counting a rejection: for the creators, which count their requests. */
  async runWithClient<T>(
    fn: (client: Client, context: RequestContext) => Promise<T>,
    options: RequestCallOptions = {},
  ): Promise<T> {
    const deadline = this.deadlineOf(options);
    const { live, queued } = await this.acquire(deadline, options);
    try {
      return await this.runOn(live, deadline, fn);
    } finally {
      if (queued) this.drained();
    }
  }

  private async runOn<T>(
    live: LiveConnection,
    deadline: number,
    fn: (client: Client, context: RequestContext) => Promise<T>,
  ): Promise<T> {
    const controller = new AbortController();
    const remainingMs = Math.max(0, deadline - this.clock.now());
    let timer: unknown;
    const expired = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => {
        controller.abort(new Error('deadline passed'));
        reject(this.unavailable('deadline', { maybeApplied: true, waitedMs: remainingMs }));
      }, remainingMs);
    });
    expired.catch(() => {});
    const wallDeadline = Date.now() + remainingMs;
    try {
      return await Promise.race([
        live.withDeadline(wallDeadline, () =>
          fn(live.client, { connection: live.connection, deadline, signal: controller.signal }),
        ),
        expired,
      ]);
    } catch (error) {
      if (error instanceof TemporalUnavailableError) throw error;
      if (isClosedChannel(error)) {
        throw this.unavailable('connection_lost', { maybeApplied: true, cause: error });
      }
      if (grpcStatusOf(error) === GRPC_CANCELLED) {
        // Cancelled, and not by our deadline: the channel was closed under the call (the connection was
        // released), whatever grpc-js's wording. Seen in the outage benchmark as the SDK's untyped
        // ServiceError('Failed to start Workflow') with status 1.
        if (controller.signal.aborted) {
          throw this.unavailable('deadline', { maybeApplied: true, cause: error, waitedMs: remainingMs });
        }
        throw this.unavailable('connection_lost', { maybeApplied: true, cause: error });
      }
      if (grpcStatusOf(error) === GRPC_RESOURCE_EXHAUSTED) {
        // An overloaded server (rate limits, a flood of starts) that the SDK's retries did not outlast: an
        // availability failure, not the caller's; a creator retries it within the deadline.
        throw this.unavailable('server_busy', { maybeApplied: false, cause: error });
      }
      if (classifyFailure(error, this.redact).code === 'NAMESPACE_NOT_FOUND') {
        // The namespace existed when this connection was made (connecting checks it): a server that does not
        // know it now is one restarting (the dev server answers NOT_FOUND while it loads its namespaces; seen
        // in the soak). Nothing was applied; a creator retries it within the deadline.
        throw this.unavailable('connection_lost', {
          maybeApplied: false,
          cause: error,
          detail: 'the server answered that the namespace does not exist (restarting?)',
        });
      }
      if (isUnavailableStatus(error)) {
        const failure = classifyFailure(error, this.redact);
        if (grpcStatusOf(error) === GRPC_UNAVAILABLE) {
          this.actor.send({ type: 'UNAVAILABLE_SEEN', source: 'request', failure });
          throw this.unavailable('connection_lost', { maybeApplied: true, cause: error });
        }
        throw this.unavailable('deadline', { maybeApplied: true, cause: error, waitedMs: remainingMs });
      }
      throw error;
    } finally {
      this.clock.clearTimeout(timer);
    }
  }

  /**
   * A client of the serving connection, waiting for one as `withClient` does. The client is bound to the
   * connection of the moment: after a reconnection its calls fail, so prefer `withClient` for each use.
   */
  async getClient(options: RequestCallOptions = {}): Promise<Client> {
    try {
      const { live, queued } = await this.acquire(this.deadlineOf(options), options);
      if (queued) this.drained();
      return live.client;
    } catch (error) {
      this.noteRejected(error, 'client');
      throw error;
    }
  }

  /** @internal Registers an observer of health checks and rejections (see `registerMetrics`). */
  observe(observer: SupervisorObserver): Disposable {
    this.observers.add(observer);
    return { dispose: () => void this.observers.delete(observer) };
  }

  /** @internal Reports a request that ended with `error`, if it is a `TemporalUnavailableError`. */
  noteRejected(error: unknown, source: string): void {
    if (error instanceof TemporalUnavailableError) this.notify((o) => o.rejected?.(error.reason, source));
  }

  // ——— internals ———

  /**
   * A worker failed because the server did not answer: the connection machine may not know yet (it may
   * still be `connected` between probes), so it is told, as for a request that failed the same way.
   */
  private readonly noteWorkerOutage = (error: unknown): never => {
    const failure = classifyFailure(error, this.redact);
    if (failure.code === 'UNAVAILABLE')
      this.actor.send({ type: 'UNAVAILABLE_SEEN', source: 'request', failure });
    throw error;
  };

  private notify(call: (observer: SupervisorObserver) => void): void {
    for (const observer of [...this.observers]) {
      try {
        call(observer);
      } catch (error) {
        this.log.log('error', 'Supervisor observer threw', { error: this.describe(error) });
      }
    }
  }

  private logChildTransition(transition: ActorTransition): void {
    const entry = childTransitionEntry(transition, this.childContexts.get(transition.actor), this.redact);
    if (!entry) return;
    let log = this.childLogs.get(transition.actor);
    if (!log) {
      const [kind, name] = splitChildId(transition.actor);
      log = this.log.child({ [kind]: name });
      this.childLogs.set(transition.actor, log);
    }
    log.log(entry.level, entry.message, entry.fields);
  }

  private noteTransition(actor: string, state: string, value: unknown, event: AnyEventObject): void {
    const path = statePath(value) || state;
    const previous = this.lastSeen.get(actor);
    if (previous && previous.path === path) return;
    this.lastSeen.set(actor, { state, path });
    if (this.transitionListeners.size === 0) return;
    const transition: ActorTransition = {
      actor,
      from: previous?.state ?? 'none',
      to: state,
      fromPath: previous?.path ?? 'none',
      toPath: path,
      event: event.type,
      at: this.clock.now(),
    };
    for (const listener of [...this.transitionListeners]) {
      try {
        listener(transition);
      } catch (error) {
        this.log.log('error', 'Transition listener threw', { error: this.describe(error) });
      }
    }
  }

  private onSnapshot(snapshot: ConnectionSnapshot, event: AnyEventObject): void {
    const next = connectionStateOf(snapshot);
    const previous = this.current;
    if (next === previous) {
      if (next === 'backoff' || next === 'connecting') return;
      if (snapshot.hasTag('serving')) this.flushWaiters();
      return;
    }
    this.current = next;
    this.since = this.clock.now();
    const view = this.snapshot();
    this.logTransition(previous, next, event, view);
    if (snapshot.hasTag('serving')) this.flushWaiters();
    else if (next === 'backoff' && view.lastFailure?.kind === 'permanent')
      this.rejectWaiters('permanent_failure');
    else if (next === 'stopping' || next === 'disconnected')
      this.rejectWaiters(this.started ? 'stopped' : 'not_started');
    const change: StateChange = { from: previous, to: next, event: event.type, snapshot: view };
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        this.log.log('error', 'State change listener threw', { error: this.describe(error) });
      }
    }
  }

  private logTransition(
    from: ConnectionState,
    to: ConnectionState,
    event: AnyEventObject,
    view: SupervisorSnapshot,
  ) {
    const permanent = to === 'backoff' && view.lastFailure?.kind === 'permanent';
    const level: LogLevel = permanent ? 'error' : LEVEL_BY_STATE[to];
    const fields: Record<string, unknown> = { from, to, event: event.type, attempt: view.attempt };
    if (to === 'backoff') fields.delayMs = view.retryDelayMs;
    if ((to === 'backoff' || to === 'degraded') && view.lastFailure) {
      fields.code = view.lastFailure.code;
      fields.kind = view.lastFailure.kind;
      fields.cause = this.redact(view.lastFailure.message);
    }
    if (to === 'connected' && view.lastProbeLatencyMs !== undefined)
      fields.latencyMs = view.lastProbeLatencyMs;
    this.log.log(level, 'Temporal connection state changed', fields);
  }

  private liveOf(handle: ConnectionHandle | undefined): LiveConnection | undefined {
    return handle === undefined ? undefined : this.live.get(handle.id);
  }

  private servingConnection(): LiveConnection | undefined {
    const snapshot = this.actor.getSnapshot();
    return snapshot.hasTag('serving') ? this.liveOf(snapshot.context.connection) : undefined;
  }

  private release(live: LiveConnection): void {
    if (!this.live.delete(live.id)) return;
    const closing = live
      .close()
      .catch((error: unknown) => {
        this.log.log('warn', 'Closing a Temporal connection failed', {
          id: live.id,
          error: this.describe(error),
        });
      })
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  private async closeAll(): Promise<void> {
    for (;;) {
      for (const live of [...this.live.values()]) this.release(live);
      if (this.closing.size === 0 && this.attempts.size === 0) return;
      await Promise.allSettled([...this.closing, ...this.attempts]);
    }
  }

  /** `closeAll`, bounded: rejects (and logs) when a close hangs past `timeoutMs`. */
  private closeAllWithin(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        const stuck = this.closing.size;
        this.log.log('error', 'Temporal connections did not close in time', { timeoutMs, stuck });
        reject(new Error(`${stuck} connection(s) did not close within closeTimeout (${timeoutMs} ms)`));
      }, timeoutMs);
      this.closeAll().then(
        () => {
          this.clock.clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          this.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private deadlineOf(options: RequestCallOptions): number {
    if (options.deadline !== undefined) {
      return options.deadline instanceof Date ? options.deadline.getTime() : options.deadline;
    }
    const timeoutMs =
      options.timeout === undefined ? this.options.requests.deadlineMs : msToNumber(options.timeout);
    return this.clock.now() + timeoutMs;
  }

  /**
   * The serving connection, at once or after waiting in the queue (`queued`: then the caller holds one of
   * the `DRAIN_CONCURRENCY` slots and must call `drained()` when its call settles).
   */
  private acquire(
    deadline: number,
    options: RequestCallOptions,
  ): Promise<{ live: LiveConnection; queued: boolean }> {
    if (!this.started) {
      return Promise.reject(this.unavailable(this.stopPromise ? 'stopped' : 'not_started'));
    }
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    const failFast = options.failFast ?? this.options.requests.failFast;
    const serving = this.servingConnection();
    // While a backlog drains, a new request queues behind it (a fail-fast one does not wait).
    if (serving && (this.waiters.size === 0 || failFast))
      return Promise.resolve({ live: serving, queued: false });
    const { lastFailure } = this.actor.getSnapshot().context;
    if (this.current === 'backoff' && lastFailure?.kind === 'permanent') {
      return Promise.reject(this.unavailable('permanent_failure'));
    }
    if (failFast) return Promise.reject(this.unavailable('fail_fast'));
    const waitMs = deadline - this.clock.now();
    if (waitMs <= 0) return Promise.reject(this.unavailable('deadline', { waitedMs: 0 }));
    if (this.waiters.full) return Promise.reject(this.unavailable('queue_full'));

    const waiting = this.waiters.wait(waitMs, options.signal, () =>
      this.unavailable('deadline', { waitedMs: waitMs }),
    );
    if (serving) this.flushWaiters();
    return waiting.then((live) => ({ live, queued: true }));
  }

  /** Releases the oldest waiters to the serving connection, as many as `DRAIN_CONCURRENCY` leaves room for. */
  private flushWaiters(): void {
    const serving = this.servingConnection();
    if (serving) this.draining += this.waiters.release(serving, DRAIN_CONCURRENCY - this.draining);
  }

  /** A request released from the queue settled: its slot goes to the next waiter. */
  private drained(): void {
    this.draining--;
    this.flushWaiters();
  }

  private rejectWaiters(reason: UnavailableReason): void {
    this.waiters.rejectAll(() => this.unavailable(reason));
  }

  private untilState(states: readonly ConnectionState[], timeoutMs?: number): Promise<void> {
    if (states.includes(this.current)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let timer: unknown;
      const subscription = this.onStateChange(({ to }) => {
        if (!states.includes(to)) return;
        subscription.dispose();
        this.clock.clearTimeout(timer);
        resolve();
      });
      if (timeoutMs !== undefined) {
        timer = this.clock.setTimeout(() => {
          subscription.dispose();
          reject(
            new SupervisorTimeoutError(
              `Timed out after ${timeoutMs} ms waiting for state ${states.join(' or ')}; the state is ${this.current}`,
              { expected: states, state: this.current, timeoutMs, snapshot: this.snapshot() },
            ),
          );
        }, timeoutMs);
      }
    });
  }

  /** @internal For the supervised children: a rejection in the supervisor's terms. */
  createUnavailableError(
    reason: UnavailableReason,
    extra: { detail?: string } = {},
  ): TemporalUnavailableError {
    return this.unavailable(reason, extra);
  }

  /** Stops the children in reverse order of start (creators first, then the rest), bounded by `timeoutMs`. */
  private async stopChildren(all: readonly AnyActorRef[], timeoutMs: number): Promise<void> {
    let children = all;
    // Only the supervised children: the actor's other children are its own invocations (this one included).
    const order = [
      all.filter((child) => child.id.startsWith('creator:')),
      all.filter((child) => child.id.startsWith('worker:')),
    ];
    children = order.flat();
    let timer: unknown;
    const expired = new Promise<never>((_, reject) => {
      timer = this.clock.setTimeout(() => {
        const left = children.filter((child) => child.getSnapshot().status === 'active').map((c) => c.id);
        this.log.log('error', 'Supervised children did not stop in time', { timeoutMs, children: left });
        reject(new Error(`children did not stop within ${timeoutMs} ms: ${left.join(', ')}`));
      }, timeoutMs);
    });
    expired.catch(() => {});
    try {
      for (const group of order) {
        await Promise.race([Promise.all(group.map((child) => untilDone(child))), expired]);
      }
    } finally {
      this.clock.clearTimeout(timer);
      // Out of time with a group still stopping: the later groups still get their STOP (a worker must not
      // keep polling after stop() because a creator was slow to settle).
      for (const child of children) if (child.getSnapshot().status === 'active') child.send({ type: 'STOP' });
      // Workers keep their last native connection open for handover to the next worker: no next now.
      await Promise.all([...this.workers.values()].map((worker) => worker.dispose()));
    }
  }

  private unavailable(
    reason: UnavailableReason,
    extra: { maybeApplied?: boolean; cause?: unknown; waitedMs?: number; detail?: string } = {},
  ): TemporalUnavailableError {
    const view = this.snapshot();
    const failure = view.lastFailure;
    const why: Record<UnavailableReason, string> = {
      not_started: 'the supervisor was not started (call start())',
      stopped: 'the supervisor is stopped',
      fail_fast: `the connection is ${view.state} and the request asked not to wait (failFast)`,
      deadline:
        extra.maybeApplied === true
          ? `the call did not finish within its deadline (${extra.waitedMs ?? '?'} ms); it may or may not have reached the server`
          : `no connection was serving within the request's deadline (waited ${extra.waitedMs ?? 0} ms)`,
      permanent_failure: 'the last connection attempt failed permanently; an operator must fix the cause',
      queue_full: `${this.options.requests.maxPending} requests already wait for the connection (requests.maxPending)`,
      connection_lost:
        'the call failed with UNAVAILABLE: the server went away while it ran; it may or may not have reached the server',
      server_busy:
        'the server refused the call for lack of resources (RESOURCE_EXHAUSTED); nothing was applied',
    };
    const detail = [
      `state ${view.state}`,
      `attempt ${view.attempt}`,
      failure ? `last failure ${failure.code}: ${failure.message}` : undefined,
      view.retryAfterMs !== undefined ? `next attempt in ~${view.retryAfterMs} ms` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return new TemporalUnavailableError(
      `Temporal is unavailable: ${extra.detail ?? why[reason]} (${detail})`,
      {
        reason,
        state: view.state,
        attempt: view.attempt,
        lastFailure: failure,
        retryAfterMs: view.retryAfterMs,
        maybeApplied: extra.maybeApplied ?? false,
        cause: extra.cause,
      },
    );
  }

  private describe(error: unknown): string {
    return this.redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
}

const GRPC_CANCELLED = 1;
const GRPC_RESOURCE_EXHAUSTED = 8;

const NO_CONNECTION: FailureInfo = {
  kind: 'transient',
  code: 'NO_CONNECTION',
  name: 'NoConnection',
  message: 'There is no live connection to probe',
};

/** Sends STOP to a child and resolves once it has reached its final state. */
function untilDone(child: AnyActorRef): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.getSnapshot().status !== 'active') {
      resolve();
      return;
    }
    const subscription = child.subscribe({
      next: (snapshot: { status: string }) => {
        if (snapshot.status !== 'active') {
          subscription.unsubscribe();
          resolve();
        }
      },
      complete: () => resolve(),
      error: () => resolve(),
    });
    child.send({ type: 'STOP' });
  });
}

/** Supervised children have fixed ids `creator:<name>` and `worker:<name>`; other children are invocations. */
function connectionStateOf(snapshot: ConnectionSnapshot): ConnectionState {
  return CONNECTION_STATES.find((state) => snapshot.hasTag(state)) ?? 'disconnected';
}

/** A state value as a dotted path: `{ online: { connected: 'probing' } }` → `online.connected.probing`. */
export function statePath(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return '';
  return Object.entries(value)
    .map(([key, inner]) => {
      const rest = statePath(inner);
      return rest ? `${key}.${rest}` : key;
    })
    .join(',');
}

/** `worker:orders` → `['worker', 'orders']`. */
function splitChildId(id: string): [string, string] {
  const at = id.indexOf(':');
  return [id.slice(0, at), id.slice(at + 1)];
}

function isSupervisedChild(id: string): boolean {
  return id.startsWith('creator:') || id.startsWith('worker:');
}

/** The state of a child actor: its first tag, else its state value. */
function childState(child: AnyActorRef): string {
  return childStateOf(child.getSnapshot() as ChildSnapshot);
}

type ChildSnapshot = { tags?: Set<string>; value?: unknown; status: string; context?: unknown };

function childStateOf(snapshot: ChildSnapshot): string {
  const tag = snapshot.tags ? [...snapshot.tags][0] : undefined;
  return tag ?? (typeof snapshot.value === 'string' ? snapshot.value : snapshot.status);
}

/** A call ended by our closed-channel guard: the connection was closed under it. */
function isClosedChannel(error: unknown): boolean {
  return (
    grpcStatusOf(error) === 1 &&
    /channel has been shut down/i.test(
      String((error as Error)?.message ?? '') +
        String((error as { cause?: { message?: string } })?.cause?.message ?? ''),
    )
  );
}

function toEvent(signal: ConnectionSignal): ConnectionEvent {
  switch (signal.type) {
    case 'check':
      return { type: 'CHECK_NOW' };
    case 'unavailable':
      return { type: 'UNAVAILABLE_SEEN', source: 'channel', failure: signal.failure };
    case 'lost':
      return { type: 'CONNECTION_LOST', failure: signal.failure };
  }
}

/** Creates a supervisor; call `start()` to begin connecting. Throws `SupervisorOptionsError` on bad options. */
export function createSupervisor(options?: SupervisorOptions): Supervisor {
  return new Supervisor(options);
}
