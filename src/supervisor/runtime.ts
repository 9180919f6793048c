import { inspect } from 'node:util';
import type { Client } from '@temporalio/client';
import { type Actor, type AnyActorRef, type AnyEventObject, createActor, type InspectionEvent } from 'xstate';
import type { ConnectionMachine } from '../../machines/connection.machine.js';
import { CONNECTION_STATES, type ConnectionState } from '../../machines/connection.types.js';
import type { FailureInfo } from '../../machines/failure.js';
import { type RequestRunner, WorkflowCreator } from '../children/creator.js';
import { SupervisedWorker } from '../children/worker.js';
import { SupervisorOptionsError, TemporalUnavailableError, type UnavailableReason } from '../errors.js';
import { catchAsync, describeThrown, FaultReporter } from '../logging/faults.js';
import type { SupervisorLogger } from '../logging/logger.js';
import { redactFailure } from '../logging/redact.js';
import { childTransitionEntry, connectionTransitionEntry } from '../logging/transition-log.js';
import { tlsEnabled } from '../options/connection.js';
import { resolveCall } from '../options/per-call.js';
import type { ResolvedOptions } from '../options/types.js';
import type { Clock } from '../runtime/clock.js';
import { ConnectionRegistry } from '../runtime/connection-registry.js';
import type { Connector, LiveConnection } from '../runtime/connector.js';
import {
  type GateCallOptions,
  type RequestCallOptions,
  type RequestContext,
  RequestGate,
} from '../runtime/request-gate.js';
import { stopChildren } from '../runtime/stop-children.js';
import {
  type ActorTransition,
  type ChildSnapshot,
  childStateOf,
  isSupervisedChild,
  Listeners,
  splitChildId,
  TransitionHub,
} from '../runtime/transition-hub.js';
import type { AvailabilityView } from '../runtime/unavailable.js';
import { createTemporalConnector } from '../temporal/connector.js';
import { CoreLogForwarder, ensureRuntimeWithoutSignalHandlers } from '../temporal/core-logs.js';
import { loadWorkerPackage } from '../temporal/worker-package.js';
import { Credentials } from './credentials.js';
import { DispatcherRegistry } from './dispatchers.js';
import { type Draining, drainThenStop } from './draining.js';
import { escalation } from './escalation.js';
import { provideConnectionMachine, type WiringHost } from './machine-wiring.js';
import type { RequestOutcome, StateChange, SupervisorObserver, SupervisorSnapshot } from './types.js';
import { untilState } from './until-state.js';

type ConnectionSnapshot = ReturnType<Actor<ConnectionMachine>['getSnapshot']>;

/**
 * Everything behind the public `Supervisor`: the running connection statechart and its children, the request
 * gate, the connection registry and the transition stream, wired together. It is the host each part depends on
 * through a narrow interface (`GateHost`, `WiringHost`, `RequestRunner`); none of them knows this class.
 */
export class SupervisorRuntime implements WiringHost, RequestRunner {
  readonly clock: Clock;
  readonly redact: (text: string) => string;
  readonly log: SupervisorLogger;
  readonly connector: Connector;
  readonly registry: ConnectionRegistry;
  readonly gate: RequestGate;
  readonly hub: TransitionHub;
  readonly stateListeners: Listeners<StateChange>;
  readonly observers: Listeners<(observer: SupervisorObserver) => void>;
  /** How each request ended (`onRequest`). */
  readonly requestListeners: Listeners<RequestOutcome>;
  readonly creators = new Map<string, WorkflowCreator>();
  readonly workers = new Map<string, SupervisedWorker>();
  /** The outbox dispatchers attached (`dispatcher:<name>` children). */
  readonly dispatchers: DispatcherRegistry = new DispatcherRegistry(this);
  readonly config: ResolvedOptions['machine'];
  readonly reachabilityIntervalMs: number | false;
  readonly closeTimeoutMs: number;
  readonly address: string;
  readonly namespace: string;
  /** Whether connections use TLS. */
  readonly tls: boolean;
  /** The credentials' strings, for redaction by the package's own tools: #private, never serialized. */
  readonly #credentials: Credentials;
  private readonly coreLogs: CoreLogForwarder | undefined;
  /** Faults in user code (connector, connection, inspect observer), reported rate-limited to the logger. */
  private readonly faults: FaultReporter;
  private readonly inspect: ((event: InspectionEvent) => void) | undefined;
  private readonly actor: Actor<ConnectionMachine>;
  /** The last context seen of each supervised child, for its transition log lines. */
  private readonly childContexts = new Map<string, unknown>();
  /** A child logger per supervised child (`worker: <name>` / `creator: <name>` bindings). */
  private readonly childLogs = new Map<string, SupervisorLogger>();
  private current: ConnectionState = 'disconnected';
  private since: number;
  private stopping: Promise<void> | undefined;
  /** Set by `shutdown()`: readiness fails from then on, while requests are still served until the stop. */
  private draining: Draining | undefined;

  constructor(options: ResolvedOptions) {
    this.clock = options.clock;
    this.config = options.machine;
    this.reachabilityIntervalMs = options.reachabilityIntervalMs;
    this.closeTimeoutMs = options.closeTimeoutMs;
    this.address = options.address;
    this.namespace = options.namespace;
    this.tls = tlsEnabled(options);
    this.log = options.logger.child({ component: 'temporal-supervisor', address: options.address });
    const fault = (kind: string, error: unknown) => this.faults.report(kind, error);
    this.#credentials = new Credentials(options, this.clock, this.log, fault);
    this.inspect = options.inspect;
    this.redact = this.#credentials.redact;
    this.connector = options.connector ?? createTemporalConnector(options, this.#credentials);
    this.registry = new ConnectionRegistry(this.connector, this.clock, this.log, this.describe);
    this.gate = new RequestGate(this, options.requests);
    this.hub = new TransitionHub(this.clock, this.log, this.describe);
    this.stateListeners = new Listeners(this.log, 'State change listener', this.describe);
    this.observers = new Listeners(this.log, 'Supervisor observer', this.describe);
    this.requestListeners = new Listeners(this.log, 'Request listener', this.describe);
    this.faults = new FaultReporter(
      (kind, error, suppressed) => {
        this.log.log('error', 'User code threw; the supervisor carries on', {
          where: kind,
          error: this.describe(error),
          ...(suppressed > 0 ? { suppressed } : {}),
        });
      },
      () => this.clock.now(),
    );
    this.since = this.clock.now();
    this.coreLogs = options.coreLogs
      ? new CoreLogForwarder(options.coreLogs, options.logger, this.redact)
      : undefined;
    for (const [name, workerOptions] of options.workers) {
      const log = this.log.child({ worker: name });
      const worker = new SupervisedWorker(name, workerOptions, options, this.#credentials, this.clock, log);
      this.workers.set(name, worker);
    }
    // Workers are configured: start loading @temporalio/worker now, off the path of the first connection.
    if (options.workers.size > 0) loadWorkerPackage().catch(() => {});
    for (const [name, creatorOptions] of options.creators) {
      this.creators.set(
        name,
        new WorkflowCreator(name, creatorOptions, this, this.log.child({ creator: name })),
      );
    }
    this.actor = createActor(provideConnectionMachine(this), {
      input: {
        config: options.machine,
        seed: options.seed,
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
      inspect: (inspection) => this.onInspection(inspection),
    });
    // Before the start, so that the children's first states are logged too.
    this.hub.listeners.add((transition) => this.logChildTransition(transition));
    this.hub.listeners.add(escalation(this, options.escalation));
    this.actor.start();
  }

  /** Never the options: `JSON.stringify` of the runtime is the supervisor's snapshot. */
  toJSON(): SupervisorSnapshot {
    return this.snapshot();
  }

  [inspect.custom](): string {
    return `SupervisorRuntime ${inspect({ state: this.current, address: this.address })}`;
  }

  readonly describe = (error: unknown): string => this.redact(describeThrown(error));

  get state(): ConnectionState {
    return this.current;
  }

  /** Every secret of the options (API key, TLS key, authorization metadata), for redaction. */
  secrets(): readonly string[] {
    return this.#credentials.secrets();
  }

  /** A rotated API key: redacted, read by the client connections per call, set on every worker's. */
  async setApiKey(apiKey: string): Promise<void> {
    await this.#credentials.rotate(apiKey);
    this.log.log('info', 'API key rotated', { workers: this.workers.size });
  }

  get stopped(): boolean {
    return this.stopping !== undefined;
  }

  send(event: Parameters<Actor<ConnectionMachine>['send']>[0]): void {
    this.actor.send(event);
  }

  start(): void {
    this.gate.open();
    this.#credentials.start();
    this.actor.send({ type: 'START' });
  }

  /** Whether `shutdown()` (or `stop()`) was called: readiness is off for good. */
  get shuttingDown(): boolean {
    return this.draining !== undefined || this.stopping !== undefined;
  }

  /** Readiness off now, requests still served for `readinessDelayMs`, then `beforeStop`, then `stop()`. */
  shutdown(readinessDelayMs: number, beforeStop?: () => unknown): Promise<void> {
    if (this.stopping) return this.stopping;
    this.draining ??= drainThenStop(this.clock, this.log, this.describe, readinessDelayMs, beforeStop, () =>
      this.stop(),
    );
    return this.draining.done;
  }

  stop(): Promise<void> {
    this.draining?.cancel();
    // The machine itself ignores STOP while stopping or stopped: that is what makes stop() idempotent.
    this.actor.send({ type: 'STOP' });
    if (this.stopping) return this.stopping;
    this.gate.close();
    this.#credentials.stop();
    this.stopping = (
      this.current === 'disconnected' ? this.registry.closeAll() : this.untilState(['disconnected'])
    ).finally(() => this.coreLogs?.release());
    return this.stopping;
  }

  /** The connection machine's snapshot (for the model tests and the inspector). */
  machineSnapshot(): ConnectionSnapshot {
    return this.actor.getSnapshot();
  }

  /** The supervised child actor `worker:<name>` / `creator:<name>`, if it runs. */
  child(id: string): AnyActorRef | undefined {
    return this.actor.getSnapshot().children[id] as AnyActorRef | undefined;
  }

  // ——— GateHost ———

  serving(): LiveConnection | undefined {
    const snapshot = this.actor.getSnapshot();
    return snapshot.hasTag('serving') ? this.registry.get(snapshot.context.connection) : undefined;
  }

  view(): AvailabilityView {
    return this.snapshot();
  }

  permanentlyFailed(): boolean {
    return this.current === 'backoff' && this.actor.getSnapshot().context.lastFailure?.kind === 'permanent';
  }

  unavailableSeen(failure: FailureInfo): void {
    this.actor.send({ type: 'UNAVAILABLE_SEEN', source: 'request', failure });
  }

  // ——— WiringHost / WorkerHost ———

  worker(name: string): SupervisedWorker {
    const worker = this.workers.get(name);
    if (!worker) {
      throw new TypeError(
        `No worker named ${JSON.stringify(name)}. Configured workers: ${[...this.workers.keys()].join(', ') || 'none'}.`,
      );
    }
    return worker;
  }

  async beforeCreate(): Promise<void> {
    // The process-global Runtime must exist, with forwarding, before the worker's native objects.
    if (this.coreLogs) await this.coreLogs.ensureInstalled();
    else await ensureRuntimeWithoutSignalHandlers();
  }

  async stopChildren(): Promise<void> {
    const all = Object.values(this.actor.getSnapshot().children) as AnyActorRef[];
    // Workers drain for up to their drainTimeout: the bound of the whole stop leaves them that time.
    const drainMs = Math.max(
      this.dispatchers.settleBoundMs(),
      ...[...this.workers.values()].map((worker) => worker.config.drainTimeoutMs),
    );
    try {
      await stopChildren(all, this.closeTimeoutMs + drainMs, this.clock, this.log);
    } finally {
      // Workers keep their last native connection open for handover to the next worker: no next now.
      await Promise.all([...this.workers.values()].map((worker) => worker.dispose()));
    }
  }

  async settleCreator(name: string): Promise<void> {
    await this.creators.get(name)?.settle();
  }

  probed(result: { readonly ok: boolean; readonly seconds: number }): void {
    this.observers.emit((observer) => observer.probe?.(result));
  }

  fault(kind: string, error: unknown): void {
    this.faults.report(kind, error);
  }

  guard(kind: string, fn: () => unknown): void {
    try {
      catchAsync(fn(), (error) => this.fault(kind, error));
    } catch (error) {
      this.fault(kind, error);
    }
  }

  // ——— RequestRunner ———

  run<T>(
    fn: (client: Client, context: RequestContext) => Promise<T>,
    options: RequestCallOptions,
    seen?: { queued?: boolean },
  ): Promise<T> {
    let call: ReturnType<typeof resolveCall>;
    try {
      if (typeof fn !== 'function') {
        throw new SupervisorOptionsError(
          'fn',
          `Expected a function (client, context) => …, received ${typeof fn}.`,
        );
      }
      call = resolveCall(this.clock, options ?? {}, this.gate.defaultDeadlineMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.gate.run(fn, { failFast: call.failFast, signal: call.signal }, call.deadline, seen);
  }

  /** Reports how a request ended, to `onRequest` listeners (the inspector's request marks). */
  noteRequest(source: string, outcome: 'started' | 'late'): void {
    if (this.requestListeners.size > 0) this.requestListeners.emit({ source, outcome, at: this.clock.now() });
  }

  /** A creator's attempt: its options were checked once, when the request was made. */
  attempt<T>(
    fn: (client: Client) => Promise<T>,
    options: GateCallOptions & { deadline: number },
  ): Promise<T> {
    return this.gate.run(fn, options, options.deadline);
  }

  /** The serving connection's client, waiting as `run` does. */
  async client(options: RequestCallOptions): Promise<Client> {
    const call = resolveCall(this.clock, options ?? {}, this.gate.defaultDeadlineMs);
    return this.gate.client({ failFast: call.failFast, signal: call.signal }, call.deadline);
  }

  noteRejected(error: unknown, source: string): void {
    if (error instanceof TemporalUnavailableError) {
      this.observers.emit((observer) => observer.rejected?.(error.reason, source));
      if (this.requestListeners.size > 0) {
        this.requestListeners.emit({
          source,
          outcome: 'rejected',
          reason: error.reason,
          at: this.clock.now(),
        });
      }
    }
  }

  unavailable(reason: UnavailableReason, detail?: string) {
    return this.gate.unavailable(reason, { detail });
  }

  // ——— snapshots and transitions ———

  snapshot(): SupervisorSnapshot {
    const snapshot = this.actor.getSnapshot();
    const { context } = snapshot;
    const retryAt =
      this.spreadingSince !== undefined
        ? this.spreadingSince + (context.spreadDelayMs ?? 0)
        : this.since + context.retryDelayMs;
    const retryAfterMs = this.current === 'backoff' ? Math.max(0, retryAt - this.clock.now()) : undefined;
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
      pendingRequests: this.gate.pending,
      children: Object.fromEntries(
        Object.entries(snapshot.children)
          .filter(([id]) => isSupervisedChild(id))
          .map(([id, child]) => [id, childStateOf((child as AnyActorRef).getSnapshot() as ChildSnapshot)]),
      ),
      outboxes: this.dispatchers.views(),
    };
  }

  /** Resolves once the state is one of `states` (see until-state.ts). */
  untilState(states: readonly ConnectionState[], timeoutMs?: number): Promise<void> {
    return untilState(this, states, timeoutMs);
  }

  private onInspection(inspection: InspectionEvent): void {
    if (inspection.type === '@xstate.snapshot') {
      const ref = inspection.actorRef as AnyActorRef;
      if (ref === this.actor) {
        const snapshot = inspection.snapshot as ConnectionSnapshot;
        this.hub.note('connection', connectionStateOf(snapshot), snapshot.value, inspection.event.type);
        this.onSnapshot(snapshot, inspection.event);
      } else if (isSupervisedChild(ref.id)) {
        const snapshot = inspection.snapshot as ChildSnapshot;
        this.childContexts.set(ref.id, snapshot.context);
        this.hub.note(ref.id, childStateOf(snapshot), snapshot.value, inspection.event.type);
      }
    }
    const { inspect } = this;
    if (inspect) this.guard('inspect', () => inspect(inspection));
  }

  /** When `backoff.spreading` began (the server seen back, the retry drawn over `reconnectSpread`). */
  private spreadingSince: number | undefined;

  private noteSpreading(snapshot: ConnectionSnapshot): void {
    const spreading = snapshot.matches({ backoff: 'spreading' });
    if (!spreading) this.spreadingSince = undefined;
    else if (this.spreadingSince === undefined) {
      this.spreadingSince = this.clock.now();
      this.log.log('debug', 'Temporal server reachable again; reconnecting after a spread', {
        delayMs: snapshot.context.spreadDelayMs,
      });
    }
  }

  private onSnapshot(snapshot: ConnectionSnapshot, event: AnyEventObject): void {
    const next = connectionStateOf(snapshot);
    const previous = this.current;
    this.noteSpreading(snapshot);
    if (next === previous) {
      if (next === 'backoff' || next === 'connecting') return;
      if (snapshot.hasTag('serving')) this.gate.flush();
      return;
    }
    this.current = next;
    this.since = this.clock.now();
    const view = this.snapshot();
    const entry = connectionTransitionEntry(previous, next, event.type, view, this.redact);
    this.log.log(entry.level, entry.message, entry.fields);
    if (snapshot.hasTag('serving')) this.gate.flush();
    else if (next === 'backoff' && view.lastFailure?.kind === 'permanent')
      this.gate.rejectWaiters('permanent_failure');
    else if (next === 'stopping' || next === 'disconnected') this.gate.rejectWaiters(this.gate.closedReason);
    this.stateListeners.emit({ from: previous, to: next, event: event.type, snapshot: view });
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
}

function connectionStateOf(snapshot: ConnectionSnapshot): ConnectionState {
  return CONNECTION_STATES.find((state) => snapshot.hasTag(state)) ?? 'disconnected';
}
