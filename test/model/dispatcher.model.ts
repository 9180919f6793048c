/**
 * The outbox dispatcher's statechart as a test model, replayed on the real runtime: a real `Outbox` over a
 * store whose answers the path gives (a drain settles when the path says), its dispatcher the child
 * `dispatcher:outbox` of a real supervisor (fake connector, manual clock) and told of the connection by
 * the connection statechart, woken by the store's NOTIFY callback, its timers on the supervisor's clock. After every step the dispatcher actor must have processed
 * that event and match the model.
 */
import { isDeepStrictEqual } from 'node:util';
import type { AnyMachineSnapshot } from 'xstate';
import { type DispatcherEvent, dispatcherMachine } from '../../machines/dispatcher.machine.js';
import { OutboxUnavailableError } from '../../src/outbox/errors.js';
import { createOutbox, type Outbox } from '../../src/outbox/outbox.js';
import type { OutboxStore } from '../../src/outbox/store.js';
import type { ClaimedIntent } from '../../src/outbox/types.js';
import { flush } from '../support/fake-connector.js';
import { MODEL_CREATOR, ModelDriver } from './connection.model.js';
import { pathsPerTransition, type TransitionPath } from './transition-paths.js';

type DispatcherModelEvent =
  | DispatcherEvent
  | { type: 'xstate.done.actor.drain'; output: { dispatched: number; nextDueInMs: undefined } }
  | { type: 'xstate.error.actor.drain'; error: Error }
  | { type: 'xstate.done.actor.settle'; output: undefined }
  | { type: 'xstate.error.actor.settle'; error: Error }
  | { type: 'xstate.after.pollDelay.dispatcher.idle' }
  | { type: 'xstate.after.retryDelay.dispatcher.backoff' };

const storeDown = new OutboxUnavailableError('The outbox database failed during claim: model', {
  operation: 'claim',
});
const EVENTS: readonly DispatcherModelEvent[] = [
  { type: 'CONNECTION_UP', connectionId: 1 },
  { type: 'CONNECTION_DOWN' },
  { type: 'WAKE' },
  { type: 'STOP' },
  { type: 'xstate.done.actor.drain', output: { dispatched: 0, nextDueInMs: undefined } },
  { type: 'xstate.error.actor.drain', error: storeDown },
  { type: 'xstate.done.actor.settle', output: undefined },
  { type: 'xstate.error.actor.settle', error: storeDown },
  { type: 'xstate.after.pollDelay.dispatcher.idle' },
  { type: 'xstate.after.retryDelay.dispatcher.backoff' },
];

const INPUT = { name: 'outbox', pollIntervalMs: 50, retryBaseMs: 20, retryMaxMs: 80, maxFailures: 2 };

export function dispatcherPaths() {
  return pathsPerTransition<DispatcherModelEvent>(dispatcherMachine, {
    input: INPUT,
    // The supervisor says UP only when the connection starts serving, DOWN only when it stops.
    events: (snapshot) => {
      const connected = (snapshot.context as { connected: boolean }).connected;
      return EVENTS.filter((e) =>
        e.type === 'CONNECTION_UP' ? !connected : e.type === 'CONNECTION_DOWN' ? connected : true,
      );
    },
    // `failures` is read by `isExhausted`: bounded by maxFailures (a settled drain resets it).
    serializeState: (snapshot) => {
      const c = snapshot.context as { connected: boolean; woken: boolean; failures: number };
      return JSON.stringify([snapshot.value, c.connected, c.woken, c.failures, snapshot.status]);
    },
  });
}

function observable(snapshot: AnyMachineSnapshot) {
  const c = snapshot.context as {
    connected: boolean;
    woken: boolean;
    failures: number;
    drains: number;
    lastFailure?: { code: string };
  };
  return {
    value: snapshot.value,
    connected: c.connected,
    woken: c.woken,
    failures: c.failures,
    drains: c.drains,
    lastFailure: c.lastFailure?.code ?? null,
    status: snapshot.status,
  };
}

interface Deferred<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A store whose claims and final release the path answers; nothing is ever due. */
class ScriptedStore implements OutboxStore {
  readonly kind = 'embedded' as const;
  readonly claims: Deferred<ClaimedIntent[]>[] = [];
  readonly releases: Deferred<void>[] = [];
  wake: (() => void) | undefined;
  private over = false;

  private next<T>(list: Deferred<T>[], empty: T): Promise<T> {
    if (this.over) return Promise.resolve(empty);
    return new Promise<T>((resolve, reject) => list.push({ resolve, reject }));
  }

  open = async () => {};
  enqueue = async () => ({ id: 'x', duplicate: false });
  claim = () => this.next(this.claims, []);
  releaseOwner = () => this.next(this.releases, undefined);
  recordStarted = async () => {};
  recordFailed = async () => {};
  release = async () => {};
  status = async () => undefined;
  depth = async () => ({ pending: 0, started: 0, failed: 0, oldestPendingAgeMs: 0 });
  nextDueInMs = async () => undefined;
  purge = async () => 0;
  listen = async (onWake: () => void) => {
    this.wake = onWake;
    return async () => {};
  };
  close = async () => {};

  answer(list: 'claims' | 'releases', error?: Error): void {
    const d = this[list].shift();
    if (!d) throw new Error(`no ${list} pending`);
    if (error) d.reject(error);
    else d.resolve([] as never);
  }

  finish(): void {
    this.over = true;
    for (const d of this.claims.splice(0)) d.resolve([]);
    for (const d of this.releases.splice(0)) d.resolve();
  }
}

const CHILD = 'dispatcher:outbox';

async function perform(
  driver: ModelDriver,
  store: ScriptedStore,
  outbox: Outbox,
  event: DispatcherModelEvent,
): Promise<void> {
  switch (event.type) {
    case 'CONNECTION_UP':
      await driver.connectionUp();
      break;
    case 'CONNECTION_DOWN':
      driver.connectionDown();
      break;
    case 'WAKE':
      store.wake?.();
      break;
    case 'STOP':
      void outbox.stop();
      break;
    case 'xstate.done.actor.drain':
      await flush();
      store.answer('claims');
      break;
    case 'xstate.error.actor.drain':
      await flush();
      store.answer('claims', storeDown);
      break;
    case 'xstate.done.actor.settle':
      await flush();
      store.answer('releases');
      break;
    case 'xstate.error.actor.settle':
      await flush();
      store.answer('releases', storeDown);
      break;
    case 'xstate.after.pollDelay.dispatcher.idle':
    case 'xstate.after.retryDelay.dispatcher.backoff':
      await driver.runTimersUntil(event.type, CHILD);
      break;
  }
  await flush();
}

export async function replayDispatcher(
  path: TransitionPath<DispatcherModelEvent>,
): Promise<{ problem: string } | undefined> {
  const driver = new ModelDriver();
  const store = new ScriptedStore();
  // The dispatcher is the supervisor's child `dispatcher:outbox`: its events and timers are the supervisor's.
  const outbox = await createOutbox({
    supervisor: driver.supervisor,
    creator: MODEL_CREATOR,
    store,
    pollInterval: INPUT.pollIntervalMs,
    drainRetry: {
      initialDelay: INPUT.retryBaseMs,
      maxDelay: INPUT.retryMaxMs,
      maxFailures: INPUT.maxFailures,
    },
  });
  try {
    for (const [i, step] of path.steps.entries()) {
      await perform(driver, store, outbox, step.event);
      const name = `step ${i} ${step.event.type}`;
      const seen = driver.take(CHILD);
      if (!seen.includes(step.event.type)) {
        await flush();
        seen.push(...driver.take(CHILD));
        if (!seen.includes(step.event.type))
          return { problem: `${name}: never processed (${seen.join(', ')})` };
      }
      const expected = observable(step.state);
      const actual = observable(dispatcherSnapshot(outbox));
      if (!isDeepStrictEqual(expected, actual)) {
        return { problem: `${name}: model ${JSON.stringify(expected)} ≠ runtime ${JSON.stringify(actual)}` };
      }
    }
    return undefined;
  } finally {
    store.finish();
    await outbox.stop();
    await driver.finish();
  }
}

/** The dispatcher actor's snapshot, read through the outbox's internal accessor. */
function dispatcherSnapshot(outbox: Outbox): AnyMachineSnapshot {
  return outbox.dispatcherSnapshot() as AnyMachineSnapshot;
}

export type { DispatcherModelEvent };
