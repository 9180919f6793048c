/**
 * A whole supervisor on fakes, for the oracle tests (states-table, properties): the real machines and the real
 * `src/` actors, Temporal replaced by `FakeConnector` (and, for workers, the `SupervisedWorker`'s SDK side by
 * promises the test settles), time by `ManualClock`. The helpers only perform events; every expectation lives
 * in the tests, written from docs/states.md and docs/guarantees.md.
 */

import { afterEach } from 'vitest';
import type { FailureInfo } from '../../machines/failure.js';
import type { SupervisedWorker } from '../../src/children/worker.js';
import { ConnectionFailureError } from '../../src/errors.js';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { type FakeConnection, FakeConnector, failures, flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

export { failures, flush };

/** A failure of the worker itself (not an outage, not permanent): counted against its restart intensity. */
export const crash = () =>
  new ConnectionFailureError({
    kind: 'transient',
    code: 'UNKNOWN',
    name: 'Error',
    message: 'worker crashed',
  });
/** The server did not answer: an outage, not counted. */
export const outage = () => new ConnectionFailureError(failures.unavailable);
/** Bad options, an unknown namespace: given up at once. */
export const misconfigured = () => new ConnectionFailureError(failures.namespaceNotFound);

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

/** The SDK side of one worker: each create/run/shutdown waits for the test; checkResume answers `verdict`. */
export class WorkerSide {
  readonly creates: Deferred[] = [];
  readonly runs: Deferred[] = [];
  readonly shutdowns: Deferred[] = [];
  verdict: 'keep' | 'refresh' = 'keep';
  /** Whether the worker has work in flight or workflows cached (what parking during an outage waits for). */
  busy = false;
  private released = false;

  constructor(worker: SupervisedWorker) {
    worker.create = () => this.next(this.creates, 'create');
    worker.run = () => this.next(this.runs, 'run');
    worker.shutdown = () => this.next(this.shutdowns, 'shutdown');
    worker.handOver = () => this.next(this.shutdowns, 'shutdown');
    worker.checkResume = async () => this.verdict;
    worker.replaceable = () => !this.busy;
  }

  private next(list: Deferred[], kind: string): Promise<void> {
    if (this.released) return kind === 'create' ? Promise.reject(new Error('test over')) : Promise.resolve();
    const d = deferred();
    list.push(d);
    return d.promise;
  }

  /** Settles the oldest pending call of `kind`. */
  settle(kind: 'creates' | 'runs' | 'shutdowns', error?: unknown): void {
    const d = this[kind].shift();
    if (!d) throw new Error(`no ${kind} call in flight`);
    if (error === undefined) d.resolve();
    else d.reject(error);
  }

  release(): void {
    this.released = true;
    for (const list of [this.creates, this.runs, this.shutdowns]) for (const d of list.splice(0)) d.resolve();
  }
}

export interface Rig {
  readonly clock: ManualClock;
  readonly connector: FakeConnector;
  readonly supervisor: Supervisor;
  /** The SDK side of each configured worker, by name. */
  readonly workers: Map<string, WorkerSide>;
  /** The live connection (the last one made, if open). */
  live(): FakeConnection;
  /** start() (or retryNow()) and answer the attempt with a connection. */
  connect(): Promise<FakeConnection>;
  /** Fails the attempt in flight. */
  failConnect(failure?: FailureInfo): Promise<void>;
  /** Answers the probe in flight with `latencyMs`, or fails it. */
  probe(outcome: number | 'fail'): Promise<void>;
  /** Fires timers one at a time (letting async work run between) up to `ms` from now. */
  advance(ms: number): Promise<void>;
  /** Fires timers until `until()` holds (at most `limitMs` of clock time); throws if it never does. */
  advanceUntil(until: () => boolean, limitMs?: number): Promise<void>;
  /** The connection machine's state value as a dotted path. */
  path(): string;
  /** A child's state and context (`worker:<name>`, `creator:<name>`). */
  child(id: string): { value: unknown; context: Record<string, unknown> };
  stop(): Promise<void>;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function dotted(value: unknown): string {
  if (typeof value === 'string') return value;
  const [key, inner] = Object.entries(value as Record<string, unknown>)[0] ?? ['?', undefined];
  return inner === undefined ? key : `${key}.${dotted(inner)}`;
}

/** A supervisor on fakes. Defaults: no reachability watcher, no logging; everything else as given. */
export function rig(options: Partial<SupervisorOptions> = {}): Rig {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
    logger: quiet,
    ...options,
  } as SupervisorOptions);
  const runtime = runtimeOf(supervisor);
  const workers = new Map<string, WorkerSide>();
  for (const [name, worker] of runtime.workers) workers.set(name, new WorkerSide(worker as SupervisedWorker));

  const live = () => {
    const connection = connector.connections.at(-1);
    if (!connection || connection.closed) throw new Error('no live connection');
    return connection;
  };
  const advance = (ms: number) => clock.run(ms);
  return {
    clock,
    connector,
    supervisor,
    workers,
    live,
    async connect() {
      if (supervisor.state === 'disconnected') supervisor.start();
      else if (supervisor.state === 'backoff') supervisor.retryNow();
      await flush();
      const connection = connector.succeed();
      await flush();
      return connection;
    },
    async failConnect(failure: FailureInfo = failures.unavailable) {
      await flush();
      connector.fail(failure);
      await flush();
    },
    async probe(outcome) {
      await flush();
      const pending = live().pendingProbe;
      if (!pending) throw new Error('no probe in flight');
      if (outcome === 'fail') pending.reject(new ConnectionFailureError(failures.deadline));
      else pending.resolve({ latencyMs: outcome });
      await flush();
    },
    advance,
    async advanceUntil(until, limitMs = 600_000) {
      const end = clock.now() + limitMs;
      for (;;) {
        await flush();
        if (until()) return;
        const due = clock.nextDue;
        if (due === undefined || due > end) throw new Error(`condition not reached by t=${end}`);
        clock.fireNext();
      }
    },
    path: () => dotted(runtime.machineSnapshot().value),
    child(id) {
      const actor = runtime.child(id);
      if (!actor) throw new Error(`no child ${id}`);
      const snapshot = actor.getSnapshot() as { value: unknown; context: Record<string, unknown> };
      return { value: snapshot.value, context: snapshot.context };
    },
    async stop() {
      for (const side of workers.values()) side.release();
      for (const attempt of connector.attempts) attempt.reject(new Error('test over'));
      for (const connection of connector.connections) {
        for (const probe of connection.probes) probe.reject(new Error('test over'));
      }
      const stopping = supervisor.stop();
      for (let i = 0; i < 20; i++) {
        await flush();
        if (!clock.fireNext()) break;
      }
      await stopping;
    },
  };
}

/** A `rig` factory for one test file: every rig it makes is stopped after each test. */
export function rigsStoppedAfterEach(): (options?: Partial<SupervisorOptions>) => Rig {
  const made: Rig[] = [];
  afterEach(async () => {
    for (const r of made.splice(0)) await r.stop();
  });
  return (options = {}) => {
    const r = rig(options);
    made.push(r);
    return r;
  };
}
