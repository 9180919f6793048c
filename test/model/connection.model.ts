/**
 * The connection statechart as a test model: the events (with payload variants) that drive it, and a
 * driver that performs each model event for real on a `Supervisor` — the real machine with the real
 * `src/` actors, Temporal replaced by `FakeConnector`, time by `ManualClock` — and checks after every step
 * that the runtime is where the model says (state, counters, jitter-derived delay, request gate, log lines).
 */
import { isDeepStrictEqual } from 'node:util';
import type { AnyMachineSnapshot, InspectionEvent } from 'xstate';
import {
  type ConnectionConfig,
  type ConnectionEvent,
  type ConnectionInput,
  connectionMachine,
} from '../../machines/connection.machine.js';
import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError, isTemporalUnavailableError } from '../../src/errors.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { createSupervisor, type Supervisor } from '../../src/supervisor/supervisor.js';
import { FakeConnector, failures, flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';
import { pathsPerTransition, type TransitionPath } from './transition-paths.js';

/**
 * Timings chosen so that timers which run together never tie: in `connected`, `stablePeriod` (300) falls
 * before `healthInterval` (1000); the reachability watcher (10 ms) ticks well inside any backoff delay.
 */
export const MODEL_CONFIG: ConnectionConfig = {
  connectTimeoutMs: 2_000,
  backoff: { initialDelayMs: 100, maxDelayMs: 400, multiplier: 2, jitter: 0.2 },
  permanentRetryDelayMs: 5_000,
  stablePeriodMs: 300,
  // Below the shortest backoff (80 ms): a path through `backoff.spreading` is never overtaken by the backoff.
  reconnectSpreadMs: 50,
  healthCheck: {
    intervalMs: 1_000,
    degradedIntervalMs: 200,
    timeoutMs: 800,
    slowThresholdMs: 500,
    failuresToDisconnect: 3,
    successesToRecover: 2,
  },
};
export const MODEL_SEED = 7;
const REACHABILITY_INTERVAL_MS = 10;
const CLOSE_TIMEOUT_MS = 3_000;
/** One creator child, so that the connection machine's notifications and draining have someone to reach. */
export const MODEL_CREATOR = 'model';
/** The worker child of the worker model (the connection model has none). */
export const MODEL_WORKER = 'model';

export const MODEL_INPUT: ConnectionInput = { config: MODEL_CONFIG, seed: MODEL_SEED };

/** The dispatcher the connection model attaches: its own timers are far beyond any path's. */
const MODEL_DISPATCHER = { name: 'model', pollIntervalMs: 1e9, retryBaseMs: 1e9, retryMaxMs: 1e9 };
/** Work behind it that has nothing to dispatch. */
const IDLE_WORK = {
  drain: async () => ({ dispatched: 0, nextDueInMs: undefined }),
  settle: async () => {},
  settleTimeoutMs: 0,
  view: () => ({
    name: MODEL_DISPATCHER.name,
    store: 'model',
    outcomes: { started: 0, failed: 0, retried: 0, deferred: 0, failedByReason: {} },
    depth: undefined,
  }),
};

/** Internal events carry payloads; these are the variants that matter to guards. */
type ModelEvent =
  | ConnectionEvent
  | { type: 'xstate.done.actor.connect'; output: { id: number; toJSON(): unknown } }
  | { type: 'xstate.error.actor.connect'; error: ConnectionFailureError }
  | { type: 'xstate.done.actor.probe'; output: { latencyMs: number } }
  | { type: 'xstate.error.actor.probe'; error: ConnectionFailureError }
  | { type: 'xstate.done.actor.stopChildren'; output: undefined }
  | { type: 'xstate.error.actor.stopChildren'; error: Error }
  | { type: 'xstate.done.actor.disconnect'; output: undefined }
  | { type: 'xstate.error.actor.disconnect'; error: Error }
  | { type: `xstate.after.${string}` };

const handle = { id: 1, toJSON: () => ({ id: 1 }) };
const FAST_MS = 5;
const SLOW_MS = 600;

const MODEL_EVENTS: readonly ModelEvent[] = [
  { type: 'START' },
  // Instant events first, so that breadth-first search prefers them over timers where both lead somewhere.
  { type: 'CHECK_NOW' },
  { type: 'xstate.done.actor.connect', output: handle },
  { type: 'xstate.error.actor.connect', error: new ConnectionFailureError(failures.unavailable) },
  { type: 'xstate.error.actor.connect', error: new ConnectionFailureError(failures.namespaceNotFound) },
  { type: 'xstate.done.actor.probe', output: { latencyMs: FAST_MS } },
  { type: 'xstate.done.actor.probe', output: { latencyMs: SLOW_MS } },
  { type: 'xstate.error.actor.probe', error: new ConnectionFailureError(failures.deadline) },
  { type: 'UNAVAILABLE_SEEN', source: 'request', failure: failures.unavailable },
  { type: 'UNAVAILABLE_SEEN', source: 'channel', failure: failures.unavailable },
  { type: 'CONNECTION_LOST', failure: failures.unavailable },
  { type: 'RETRY_NOW', reason: 'operator' },
  { type: 'RETRY_NOW', reason: 'server_reachable' },
  { type: 'ATTACH_DISPATCHER', dispatcher: MODEL_DISPATCHER },
  { type: 'xstate.after.stablePeriod.connection.online.connected' },
  { type: 'xstate.after.healthInterval.connection.online.connected.idle' },
  { type: 'xstate.after.degradedInterval.connection.online.degraded.idle' },
  { type: 'xstate.after.retryDelay.connection.backoff' },
  { type: 'xstate.after.spreadDelay.connection.backoff.spreading' },
  { type: 'xstate.after.connectDeadline.connection.connecting' },
  { type: 'STOP' },
  { type: 'xstate.done.actor.stopChildren', output: undefined },
  { type: 'xstate.error.actor.stopChildren', error: new Error('a child did not stop') },
  { type: 'xstate.done.actor.disconnect', output: undefined },
  { type: 'xstate.error.actor.disconnect', error: new Error('close timed out') },
];

/** Guards read only these, so they are the state's identity for the traversal (counters stay bounded). */
export function serializeState(snapshot: AnyMachineSnapshot): string {
  const c = snapshot.context as {
    probeFailures: number;
    probeSuccesses: number;
    lastFailure?: FailureInfo;
    stopped: boolean;
  };
  return JSON.stringify([
    snapshot.value,
    c.probeFailures,
    c.probeSuccesses,
    c.lastFailure?.kind ?? null,
    c.stopped,
  ]);
}

export function connectionPaths() {
  return pathsPerTransition<ModelEvent>(connectionMachine, {
    input: MODEL_INPUT,
    // STOP is offered once started: it is the root's one STOP transition from every state, and a stopping
    // phase can be held open (and so observed step by step) only when there is something to wait for.
    events: (snapshot) =>
      snapshot.value === 'disconnected' && !(snapshot.context as { stopped: boolean }).stopped
        ? MODEL_EVENTS.filter((e) => e.type !== 'STOP')
        : MODEL_EVENTS,
    serializeState,
  });
}

export function describeEvent(event: ModelEvent): string {
  if (event.type === 'RETRY_NOW') return `RETRY_NOW(${event.reason})`;
  if (event.type === 'UNAVAILABLE_SEEN') return `UNAVAILABLE_SEEN(${event.source})`;
  if (event.type === 'xstate.done.actor.probe') return `probe ok ${event.output.latencyMs} ms`;
  if (event.type === 'xstate.error.actor.connect') return `connect failed (${event.error.failure.kind})`;
  return event.type;
}

/** What of a snapshot the runtime must reproduce exactly. */
function observable(snapshot: AnyMachineSnapshot) {
  const c = snapshot.context as {
    attempt: number;
    retryDelayMs: number;
    spreadDelayMs: number | undefined;
    probeFailures: number;
    probeSuccesses: number;
    lastFailure?: FailureInfo;
    connection?: unknown;
  };
  return {
    value: snapshot.value,
    attempt: c.attempt,
    retryDelayMs: c.retryDelayMs,
    spreadDelayMs: c.spreadDelayMs ?? null,
    probeFailures: c.probeFailures,
    probeSuccesses: c.probeSuccesses,
    lastFailure: c.lastFailure ? `${c.lastFailure.kind}:${c.lastFailure.code}` : null,
    connected: c.connection !== undefined,
  };
}

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** A supervisor wired to fakes, with everything a step needs to observe. */
export class ModelDriver {
  readonly clock = new ManualClock();
  readonly connector = new FakeConnector();
  readonly logs: LogLine[] = [];
  /** Event types each actor (by id; the root is `connection`) processed since the last `take()`. */
  private readonly processedBy = new Map<string, string[]>();
  readonly supervisor: Supervisor;
  private stopping: Promise<void> | undefined;

  constructor(options: { worker?: { maxRestarts: number; restartDelayMs: number } } = {}) {
    const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
      this.logs.push({ level, message, fields: fields ?? {} });
    this.supervisor = createSupervisor({
      envConfig: false,
      connector: this.connector,
      clock: this.clock,
      seed: MODEL_SEED,
      connectTimeout: MODEL_CONFIG.connectTimeoutMs,
      backoff: {
        initialDelay: MODEL_CONFIG.backoff.initialDelayMs,
        maxDelay: MODEL_CONFIG.backoff.maxDelayMs,
        multiplier: MODEL_CONFIG.backoff.multiplier,
        jitter: MODEL_CONFIG.backoff.jitter,
      },
      permanentRetryDelay: MODEL_CONFIG.permanentRetryDelayMs,
      stablePeriod: MODEL_CONFIG.stablePeriodMs,
      reconnectSpread: MODEL_CONFIG.reconnectSpreadMs,
      closeTimeout: CLOSE_TIMEOUT_MS,
      creators: { [MODEL_CREATOR]: {} },
      ...(options.worker
        ? {
            workers: {
              [MODEL_WORKER]: {
                taskQueue: 'model',
                activities: {},
                restart: {
                  maxRestarts: options.worker.maxRestarts,
                  within: '1h',
                  delay: options.worker.restartDelayMs,
                },
              },
            },
          }
        : {}),
      reachabilityInterval: REACHABILITY_INTERVAL_MS,
      healthCheck: {
        interval: MODEL_CONFIG.healthCheck.intervalMs,
        degradedInterval: MODEL_CONFIG.healthCheck.degradedIntervalMs,
        timeout: MODEL_CONFIG.healthCheck.timeoutMs,
        slowThreshold: MODEL_CONFIG.healthCheck.slowThresholdMs,
        failuresToDisconnect: MODEL_CONFIG.healthCheck.failuresToDisconnect,
        successesToRecover: MODEL_CONFIG.healthCheck.successesToRecover,
      },
      logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
      inspect: (inspection: InspectionEvent) => {
        if (inspection.type !== '@xstate.event') return;
        const ref = inspection.actorRef as { sessionId: string; id?: string };
        const id = ref.sessionId === inspection.rootId ? 'connection' : (ref.id ?? ref.sessionId);
        const list = this.processedBy.get(id) ?? [];
        list.push(inspection.event.type);
        this.processedBy.set(id, list);
      },
    });
  }

  /** The event types `actor` processed since the last take (and forgets them). */
  take(actor = 'connection'): string[] {
    const seen = this.processedBy.get(actor) ?? [];
    this.processedBy.delete(actor);
    return seen;
  }

  private processed(actor = 'connection'): readonly string[] {
    return this.processedBy.get(actor) ?? [];
  }

  get live() {
    const connection = this.connector.connections.at(-1);
    if (!connection || connection.closed)
      throw new Error('the path needs a live connection, and there is none');
    return connection;
  }

  /** Brings the connection up at once (starting, or retrying now): no time passes, so no timer moves a child. */
  async connectionUp(): Promise<void> {
    if (this.supervisor.state === 'disconnected') this.supervisor.start();
    else this.supervisor.retryNow();
    await flush();
    this.connector.succeed();
  }

  /** The live connection is lost for good: the supervisor backs off. */
  connectionDown(): void {
    this.live.emit({ type: 'lost', failure: failures.unavailable });
  }

  /** Fires timers one by one (letting async work run between) until `actor` processes `type`. */
  async runTimersUntil(type: string, actor = 'connection'): Promise<void> {
    for (let i = 0; i < 1_000; i++) {
      if (this.processed(actor).includes(type)) return;
      if (!this.clock.fireNext()) break;
      await flush();
    }
    if (!this.processed(actor).includes(type)) throw new Error(`no timer led to ${type}`);
  }

  /**
   * Performs one model event for real and returns the event types the actor processed since the last
   * call (events an actor settles by itself, such as a child stopping, may land between two steps).
   * `next` is the following model event, for the few steps that must prepare it.
   */
  async perform(event: ModelEvent, next?: ModelEvent): Promise<string[]> {
    switch (event.type) {
      case 'START':
        this.supervisor.start();
        break;
      case 'STOP':
        if (next?.type === 'xstate.error.actor.stopChildren') {
          // Fault injection: a creator that never finishes settling, so that draining must time out.
          this.supervisor.creator(MODEL_CREATOR).settle = () => new Promise<void>(() => {});
        }
        this.stopping = this.supervisor.stop();
        // No flush: draining settles by itself on the next turns; the model's next step says so.
        return this.take();
      case 'RETRY_NOW':
        if (event.reason === 'operator') this.supervisor.retryNow();
        else {
          this.connector.reachable = true;
          await this.runTimersUntil('RETRY_NOW');
          this.connector.reachable = false;
        }
        break;
      case 'CHECK_NOW':
        this.live.emit({ type: 'check' });
        break;
      case 'ATTACH_DISPATCHER':
        try {
          // Through the registry (as createOutbox does) while it accepts one ...
          runtimeOf(this.supervisor).dispatchers.attach(event.dispatcher, IDLE_WORK);
        } catch {
          // ... and as the bare event when it refuses (stopped, or attached already): the machine decides.
          runtimeOf(this.supervisor).send(event);
        }
        break;
      case 'UNAVAILABLE_SEEN':
        if (event.source === 'channel') this.live.emit({ type: 'unavailable', failure: event.failure });
        else {
          const unavailable = Object.assign(new Error('14 UNAVAILABLE: Connection dropped'), { code: 14 });
          const outcome = await this.supervisor
            .withClient(() => Promise.reject(unavailable), { failFast: true })
            .then(
              () => 'resolved',
              (error: unknown) => (isTemporalUnavailableError(error) ? error.reason : 'other error'),
            );
          if (outcome !== 'connection_lost')
            throw new Error(`a request failing with UNAVAILABLE gave ${outcome}`);
        }
        break;
      case 'CONNECTION_LOST':
        this.live.emit({ type: 'lost', failure: event.failure });
        break;
      case 'xstate.done.actor.connect':
        this.connector.succeed();
        break;
      case 'xstate.error.actor.connect':
        this.connector.fail(event.error.failure);
        break;
      case 'xstate.done.actor.probe': {
        const probe = this.live.pendingProbe;
        if (!probe) throw new Error('no probe in flight');
        probe.resolve(event.output);
        break;
      }
      case 'xstate.error.actor.probe': {
        const probe = this.live.pendingProbe;
        if (!probe) throw new Error('no probe in flight');
        probe.reject(event.error);
        break;
      }
      case 'xstate.done.actor.stopChildren':
        break;
      case 'xstate.error.actor.stopChildren':
        await this.runTimersUntil('xstate.error.actor.stopChildren');
        break;
      case 'xstate.done.actor.disconnect':
        // The abandoned attempt (if any) settles; closing fakes is immediate.
        this.connector.pendingAttempt?.reject(new Error('abandoned'));
        break;
      case 'xstate.error.actor.disconnect':
        await this.runTimersUntil('xstate.error.actor.disconnect');
        break;
      default:
        await this.runTimersUntil(event.type);
    }
    await flush();
    return this.take();
  }

  /** The runtime's view, in the model's terms. */
  observe() {
    return observable(runtimeOf(this.supervisor).machineSnapshot() as AnyMachineSnapshot);
  }

  /** What `withClient(…, { failFast: true })` does now: 'served', or the rejection reason. */
  async gate(): Promise<string> {
    return this.supervisor
      .withClient(async () => 'served', { failFast: true })
      .catch((error: unknown) =>
        isTemporalUnavailableError(error) ? error.reason : `unexpected ${String(error)}`,
      );
  }

  /** Settles everything and stops; returns what is left behind. */
  async finish(): Promise<{ timers: number; openConnections: number; state: string }> {
    for (const attempt of this.connector.attempts) attempt.reject(new Error('test over'));
    for (const connection of this.connector.connections) {
      for (const probe of connection.probes) probe.reject(new Error('test over'));
    }
    await flush();
    await (this.stopping ?? Promise.resolve());
    await this.supervisor.stop();
    await flush();
    return {
      timers: this.clock.pending,
      openConnections: this.connector.open.length,
      state: this.supervisor.state,
    };
  }
}

/** The request gate's answer the model predicts for a snapshot. */
export function expectedGate(
  snapshot: AnyMachineSnapshot,
  history: { started: boolean; stopped: boolean },
): string {
  if (history.stopped) return 'stopped';
  if (!history.started) return 'not_started';
  if (snapshot.hasTag('serving')) return 'served';
  const lastFailure = (snapshot.context as { lastFailure?: FailureInfo }).lastFailure;
  if (snapshot.hasTag('backoff') && lastFailure?.kind === 'permanent') return 'permanent_failure';
  if (snapshot.hasTag('stopping') || snapshot.hasTag('disconnected')) return 'stopped';
  return 'fail_fast';
}

export interface StepFailure {
  readonly step: number;
  readonly event: string;
  readonly problem: string;
}

/** Replays one path; returns the first mismatch, or undefined when the runtime followed the model. */
export async function replay(path: TransitionPath<ModelEvent>): Promise<StepFailure | undefined> {
  const driver = new ModelDriver();
  let mismatch: StepFailure | undefined;
  try {
    mismatch = await replaySteps(driver, path);
  } catch (error) {
    mismatch = {
      step: -1,
      event: '?',
      problem: `threw ${error instanceof Error ? error.stack : String(error)}`,
    };
  }
  const left = await driver.finish();
  if (!mismatch && (left.timers !== 0 || left.openConnections !== 0 || left.state !== 'disconnected')) {
    mismatch = {
      step: path.steps.length,
      event: 'stop()',
      problem: `left behind: ${left.timers} timers, ${left.openConnections} open connections, state ${left.state}`,
    };
  }
  return mismatch;
}

async function replaySteps(
  driver: ModelDriver,
  path: TransitionPath<ModelEvent>,
): Promise<StepFailure | undefined> {
  let started = false;
  let stopped = false;
  for (const [i, step] of path.steps.entries()) {
    const name = describeEvent(step.event);
    const logsBefore = driver.logs.length;
    const stateBefore = driver.supervisor.state;
    const processed = await driver.perform(step.event, path.steps[i + 1]?.event);
    if (step.event.type === 'START') started = true;
    if (step.event.type === 'STOP') stopped = true;
    if (!processed.includes(step.event.type)) {
      return {
        step: i,
        event: name,
        problem: `the runtime never processed it (processed: ${processed.join(', ') || 'nothing'})`,
      };
    }
    const expected = observable(step.state);
    const actual = driver.observe();
    if (!isDeepStrictEqual(expected, actual)) {
      return {
        step: i,
        event: name,
        problem: `model ${JSON.stringify(expected)} ≠ runtime ${JSON.stringify(actual)}`,
      };
    }
    const open = driver.connector.open.length;
    if (open !== (actual.connected ? 1 : 0)) {
      return {
        step: i,
        event: name,
        problem: `${open} open connections while the model holds ${actual.connected ? 1 : 0}`,
      };
    }
    const gate = await driver.gate();
    const wanted = expectedGate(step.state, { started, stopped });
    if (gate !== wanted)
      return { step: i, event: name, problem: `request gate gave ${gate}, model says ${wanted}` };
    const transitions = driver.logs
      .slice(logsBefore)
      .filter((l) => l.message === 'Temporal connection state changed');
    const stateAfter = driver.supervisor.state;
    const wantedLines = stateAfter === stateBefore ? 0 : 1;
    if (transitions.length !== wantedLines) {
      return {
        step: i,
        event: name,
        problem: `${transitions.length} transition log lines for ${stateBefore} → ${stateAfter}`,
      };
    }
    const [logged] = transitions;
    if (logged && (logged.fields.from !== stateBefore || logged.fields.to !== stateAfter)) {
      return {
        step: i,
        event: name,
        problem: `logged ${String(logged.fields.from)} → ${String(logged.fields.to)}`,
      };
    }
  }
  return undefined;
}

export type { ModelEvent };
export { failures };

/**
 * After a step through the supervisor, a child statechart (`childId`) must have processed the step's event
 * (an event the child settles by itself may land one turn later) and must match the model's snapshot in
 * what `observe` keeps. Returns the mismatch, or undefined.
 */
export async function childStepMismatch(
  driver: ModelDriver,
  childId: string,
  index: number,
  step: { readonly event: { readonly type: string }; readonly state: AnyMachineSnapshot },
  observe: (snapshot: AnyMachineSnapshot) => unknown,
): Promise<string | undefined> {
  const processed = driver.take(childId);
  if (!processed.includes(step.event.type)) {
    await flush();
    processed.push(...driver.take(childId));
  }
  const name = `step ${index} ${step.event.type}`;
  if (!processed.includes(step.event.type)) {
    return `${name}: ${childId} never processed it (${processed.join(', ') || 'nothing'})`;
  }
  const child = runtimeOf(driver.supervisor).child(childId);
  if (!child) return `${name}: no child ${childId}`;
  const expected = observe(step.state);
  const actual = observe(child.getSnapshot() as AnyMachineSnapshot);
  if (!isDeepStrictEqual(expected, actual)) {
    return `${name}: model ${JSON.stringify(expected)} ≠ runtime ${JSON.stringify(actual)}`;
  }
  return undefined;
}
