/**
 * The worker statechart as a test model, replayed through the whole supervisor. The Temporal side of the
 * worker (create, run, shut down) is replaced by promises the path settles; everything else — the machine,
 * the connection machine that spawns and notifies it, the restart intensity with the supervisor's clock —
 * is the real runtime.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { type WorkerEvent, workerMachine } from '../../machines/worker.machine.js';
import type { SupervisedWorker } from '../../src/children/worker.js';
import { ConnectionFailureError } from '../../src/errors.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { failures, flush } from '../support/fake-connector.js';
import { childStepMismatch, MODEL_WORKER, ModelDriver } from './connection.model.js';
import { pathsPerTransition, type TransitionPath } from './transition-paths.js';

const MAX_RESTARTS = 2;
const RESTART_DELAY_MS = 100;
const CHILD_ID = `worker:${MODEL_WORKER}`;

type WorkerModelEvent =
  | WorkerEvent
  | { type: 'xstate.done.actor.createWorker'; output: undefined }
  | { type: 'xstate.error.actor.createWorker'; error: Error }
  | { type: 'xstate.done.actor.runWorker'; output: undefined }
  | { type: 'xstate.error.actor.runWorker'; error: Error }
  | { type: 'xstate.done.actor.shutdownWorker'; output: undefined }
  | { type: 'xstate.error.actor.shutdownWorker'; error: Error }
  | { type: 'xstate.after.restartDelay.worker.restarting' }
  | { type: 'xstate.done.actor.untilParkable'; output: undefined }
  | { type: 'xstate.error.actor.untilParkable'; error: Error }
  | { type: 'xstate.done.actor.checkResume'; output: 'keep' | 'refresh' }
  | { type: 'xstate.error.actor.checkResume'; error: Error }
  | { type: 'xstate.done.actor.refreshWorker'; output: undefined }
  | { type: 'xstate.error.actor.refreshWorker'; error: Error };

const failed = new ConnectionFailureError(failures.unavailable);
/** A failure of the worker itself, not of the server: counted against its restart intensity. */
const crashed = new ConnectionFailureError({
  kind: 'transient',
  code: 'UNKNOWN',
  name: 'Error',
  message: 'worker crashed',
});
/** A create that can never succeed as configured (bad options, unknown namespace): given up at once. */
const misconfigured = new ConnectionFailureError(failures.namespaceNotFound);
const EVENTS: readonly WorkerModelEvent[] = [
  { type: 'CONNECTION_UP', connectionId: 1 },
  { type: 'CONNECTION_DOWN' },
  { type: 'xstate.done.actor.createWorker', output: undefined },
  { type: 'xstate.error.actor.createWorker', error: failed },
  { type: 'xstate.error.actor.createWorker', error: crashed },
  { type: 'xstate.error.actor.createWorker', error: misconfigured },
  { type: 'xstate.done.actor.runWorker', output: undefined },
  { type: 'xstate.error.actor.runWorker', error: failed },
  { type: 'xstate.error.actor.runWorker', error: crashed },
  { type: 'xstate.done.actor.shutdownWorker', output: undefined },
  { type: 'xstate.error.actor.shutdownWorker', error: failed },
  { type: 'xstate.after.restartDelay.worker.restarting' },
  { type: 'xstate.done.actor.untilParkable', output: undefined },
  { type: 'xstate.error.actor.untilParkable', error: failed },
  { type: 'xstate.done.actor.checkResume', output: 'keep' },
  { type: 'xstate.done.actor.checkResume', output: 'refresh' },
  { type: 'xstate.error.actor.checkResume', error: failed },
  { type: 'xstate.done.actor.refreshWorker', output: undefined },
  { type: 'xstate.error.actor.refreshWorker', error: failed },
  { type: 'RESTART' },
  { type: 'STOP' },
];

export function workerPaths() {
  return pathsPerTransition<WorkerModelEvent>(workerMachine, {
    input: { name: MODEL_WORKER, maxRestarts: MAX_RESTARTS, restartDelayMs: RESTART_DELAY_MS },
    // The connection machine sends UP only after DOWN (or first), and DOWN only after UP.
    events: (snapshot) => {
      const connected = (snapshot.context as { connected: boolean }).connected;
      return EVENTS.filter((e) =>
        e.type === 'CONNECTION_UP' ? !connected : e.type === 'CONNECTION_DOWN' ? connected : true,
      );
    },
    serializeState: (snapshot) => {
      const c = snapshot.context as { connected: boolean; restarts: readonly number[] };
      return JSON.stringify([snapshot.value, c.connected, c.restarts.length]);
    },
  });
}

function observable(snapshot: AnyMachineSnapshot) {
  const c = snapshot.context as {
    connected: boolean;
    restarts: readonly number[];
    generation: number;
    lastFailure?: { code: string };
    disconnectedAt?: number;
  };
  return {
    value: snapshot.value,
    connected: c.connected,
    restarts: c.restarts.length,
    generation: c.generation,
    lastFailure: c.lastFailure?.code ?? null,
    disconnected: c.disconnectedAt !== undefined,
    status: snapshot.status,
  };
}

/** The worker's Temporal side, answered by the path. */
class FakeWorkerSide {
  readonly pending = {
    create: [] as Deferred[],
    run: [] as Deferred[],
    shutdown: [] as Deferred[],
    park: [] as Deferred[],
  };
  private readonly checks: ((verdict: 'keep' | 'refresh' | Error) => void)[] = [];

  install(worker: SupervisedWorker): void {
    worker.create = () => this.next('create');
    worker.run = () => this.next('run');
    worker.shutdown = () => this.next('shutdown');
    worker.handOver = () => this.next('shutdown');
    worker.untilParkable = () => this.next('park');
    worker.checkResume = () =>
      this.released
        ? Promise.resolve('keep')
        : new Promise((resolve, reject) =>
            this.checks.push((verdict) => (verdict instanceof Error ? reject(verdict) : resolve(verdict))),
          );
  }

  answerCheck(verdict: 'keep' | 'refresh' | Error): void {
    const answer = this.checks.shift();
    if (!answer) throw new Error('no resume check in flight');
    answer(verdict);
  }

  private released = false;

  private next(kind: 'create' | 'run' | 'shutdown' | 'park'): Promise<void> {
    // After the path, creates fail and the rest succeed at once, so that stop() can finish.
    if (this.released) {
      if (kind === 'park') return new Promise(() => {});
      return kind === 'create' ? Promise.reject(new Error('test over')) : Promise.resolve();
    }
    const d = deferred();
    this.pending[kind].push(d);
    return d.promise;
  }

  settle(kind: 'create' | 'run' | 'shutdown' | 'park', error?: Error): void {
    const d = this.pending[kind].shift();
    if (!d) throw new Error(`no ${kind} in flight`);
    if (error) d.reject(error);
    else d.resolve();
  }

  releaseAll(): void {
    this.released = true;
    for (const answer of this.checks.splice(0)) answer('keep');
    // A pending park is left pending: the worker is stopping, not parking.
    const { park: _parks, ...settled } = this.pending;
    for (const list of Object.values(settled)) for (const d of list.splice(0)) d.resolve();
  }
}

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}

async function perform(driver: ModelDriver, side: FakeWorkerSide, event: WorkerModelEvent): Promise<void> {
  const { supervisor, connector } = driver;
  switch (event.type) {
    case 'CONNECTION_UP':
      await driver.connectionUp();
      break;
    case 'CONNECTION_DOWN':
      driver.connectionDown();
      break;
    case 'STOP':
      for (const attempt of connector.attempts) attempt.reject(new Error('abandoned'));
      void supervisor.stop();
      break;
    case 'RESTART':
      supervisor.restartWorker(MODEL_WORKER);
      break;
    case 'xstate.done.actor.createWorker':
      side.settle('create');
      break;
    case 'xstate.error.actor.createWorker':
      side.settle('create', event.error);
      break;
    case 'xstate.done.actor.runWorker':
      side.settle('run');
      break;
    case 'xstate.error.actor.runWorker':
      side.settle('run', event.error);
      break;
    case 'xstate.done.actor.shutdownWorker':
      side.settle('shutdown');
      break;
    case 'xstate.error.actor.shutdownWorker':
      side.settle('shutdown', failed);
      break;
    case 'xstate.done.actor.untilParkable':
      side.settle('park');
      break;
    case 'xstate.error.actor.untilParkable':
      side.settle('park', failed);
      break;
    case 'xstate.done.actor.checkResume':
      side.answerCheck(event.output);
      break;
    case 'xstate.error.actor.checkResume':
      side.answerCheck(failed);
      break;
    case 'xstate.done.actor.refreshWorker':
      side.settle('shutdown');
      break;
    case 'xstate.error.actor.refreshWorker':
      side.settle('shutdown', failed);
      break;
    case 'xstate.after.restartDelay.worker.restarting':
      await driver.runTimersUntil(event.type, CHILD_ID);
      break;
  }
  await flush();
}

export async function replayWorker(
  path: TransitionPath<WorkerModelEvent>,
): Promise<{ problem: string } | undefined> {
  // @temporalio/worker is loaded lazily, on the first worker: loaded before the manual clock drives the path.
  await loadWorkerPackage();
  const driver = new ModelDriver({ worker: { maxRestarts: MAX_RESTARTS, restartDelayMs: RESTART_DELAY_MS } });
  const side = new FakeWorkerSide();
  side.install(runtimeOf(driver.supervisor).workers.get(MODEL_WORKER) as SupervisedWorker);
  try {
    for (const [i, step] of path.steps.entries()) {
      await perform(driver, side, step.event);
      const mismatch = await childStepMismatch(driver, CHILD_ID, i, step, observable);
      if (mismatch) return { problem: mismatch };
    }
    return undefined;
  } finally {
    side.releaseAll();
    await driver.finish();
  }
}

export type { WorkerModelEvent };
