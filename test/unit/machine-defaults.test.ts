/**
 * The bare statecharts as machines/ ships them, before `src/` provides anything: each says what it needs
 * (docs/architecture.md: "topology only"), and the worker and creator machines run on their own with
 * deterministic defaults (what test/model replays them with): a worker whose SDK side does nothing, a creator
 * with no request to settle.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise } from 'xstate';
import { type ConnectionHandle, connectionMachine } from '../../machines/connection.machine.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { MODEL_CONFIG } from '../model/connection.model.js';
import { flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

describe('the connection machine without its actors', () => {
  it('fails the attempt with a message naming the missing actor and how to provide it; after connectDeadline it is CONNECT_TIMEOUT', async () => {
    const clock = new ManualClock();
    // Only the backoff's watcher is provided (it would throw the same way on entering backoff).
    const machine = connectionMachine.provide({
      actors: { watchReachability: fromCallback(() => () => {}) },
    });
    const actor = createActor(machine, { input: { config: MODEL_CONFIG, seed: 1 }, clock });
    actor.start();
    actor.send({ type: 'START' });
    await flush();
    const { value, context } = actor.getSnapshot();
    expect(value).toStrictEqual({ backoff: 'waiting' });
    expect(context.lastFailure?.message).toContain(
      "The connection machine's 'connect' actor was not provided",
    );
    expect(context.lastFailure?.message).toContain('createSupervisor()');
    expect(context.lastFailure?.message).toContain('machine.provide({ actors: { connect } })');
    actor.stop();
  });

  it('an attempt that never settles ends at connectDeadline with the documented CONNECT_TIMEOUT failure', async () => {
    const clock = new ManualClock();
    const machine = connectionMachine.provide({
      actors: {
        connect: fromPromise(() => new Promise<ConnectionHandle>(() => {})),
        watchReachability: fromCallback(() => () => {}),
      },
    });
    const actor = createActor(machine, { input: { config: MODEL_CONFIG, seed: 1 }, clock });
    actor.start();
    actor.send({ type: 'START' });
    clock.advance(MODEL_CONFIG.connectTimeoutMs + 1_000);
    expect(actor.getSnapshot().context.lastFailure).toEqual({
      kind: 'transient',
      code: 'CONNECT_TIMEOUT',
      name: 'ConnectTimeout',
      message: 'The connection attempt did not finish within connectTimeout',
    });
    actor.stop();
  });

  it('spawns its children with fixed ids, workers first, and tells them CONNECTION_DOWN on a failed attempt', async () => {
    const actor = createActor(connectionMachine, {
      input: {
        config: MODEL_CONFIG,
        seed: 1,
        children: { creators: ['orders'], workers: [{ name: 'w', maxRestarts: 1, restartDelayMs: 10 }] },
      },
      clock: new ManualClock(),
    });
    actor.start();
    expect(Object.keys(actor.getSnapshot().children)).toEqual(['worker:w', 'creator:orders']);
    actor.stop();
  });
});

describe('the worker machine with its defaults', () => {
  it('starts on CONNECTION_UP, runs (generation 1); run() ending by itself restarts with WORKER_EXITED', async () => {
    const clock = new ManualClock();
    const actor = createActor(workerMachine, {
      input: { name: 'w', maxRestarts: 3, restartDelayMs: 10 },
      clock,
    });
    actor.start();
    expect(actor.getSnapshot()).toMatchObject({
      value: 'idle',
      context: { name: 'w', generation: 0, restarts: [] },
    });
    actor.send({ type: 'CONNECTION_UP', connectionId: 1 });
    await flush();
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('restarting');
    expect(snapshot.context).toMatchObject({
      connected: true,
      generation: 1,
      restarts: [0],
      lastFailure: {
        kind: 'transient',
        code: 'WORKER_EXITED',
        name: 'WorkerExited',
        message: 'The worker stopped by itself (run() resolved without a shutdown)',
      },
    });
    clock.fireNext();
    await flush();
    expect(actor.getSnapshot().context).toMatchObject({ generation: 2, restarts: [0, 1] });
    actor.stop();
  });

  it('the default resume check keeps the worker; the default outage marks count the outages', async () => {
    const machine = workerMachine.provide({
      actors: {
        runWorker: fromPromise(() => new Promise<void>(() => {})),
      },
    });
    const actor = createActor(machine, { input: { name: 'w', maxRestarts: 3, restartDelayMs: 10 } });
    actor.start();
    actor.send({ type: 'CONNECTION_UP', connectionId: 1 });
    await flush();
    actor.send({ type: 'CONNECTION_DOWN' });
    expect(actor.getSnapshot().context).toMatchObject({ connected: false, disconnectedAt: 1 });
    actor.send({ type: 'CONNECTION_UP', connectionId: 2 });
    expect(actor.getSnapshot().value).toEqual({ running: 'resuming' });
    await flush();
    expect(actor.getSnapshot()).toMatchObject({ value: { running: 'steady' }, context: { generation: 1 } });
    actor.send({ type: 'CONNECTION_DOWN' });
    expect(actor.getSnapshot().context.disconnectedAt).toBe(2);
    actor.send({ type: 'STOP' });
    await flush();
    expect(actor.getSnapshot()).toMatchObject({ value: 'stopped', status: 'done' });
  });
});

describe('the creator machine with its defaults', () => {
  it('waiting → ready (connectionId, bindings 1) → stopping → stopped (nothing to settle)', async () => {
    const actor = createActor(creatorMachine, { input: { name: 'orders' } });
    actor.start();
    expect(actor.getSnapshot()).toMatchObject({ value: 'waiting', context: { name: 'orders', bindings: 0 } });
    actor.send({ type: 'CONNECTION_DOWN' });
    expect(actor.getSnapshot().value).toBe('waiting');
    actor.send({ type: 'CONNECTION_UP', connectionId: 7 });
    expect(actor.getSnapshot()).toMatchObject({ value: 'ready', context: { connectionId: 7, bindings: 1 } });
    actor.send({ type: 'CONNECTION_UP', connectionId: 8 });
    expect(actor.getSnapshot().context).toMatchObject({ connectionId: 7, bindings: 1 });
    actor.send({ type: 'STOP' });
    expect(actor.getSnapshot()).toMatchObject({ value: 'stopping', context: { connectionId: undefined } });
    await flush();
    expect(actor.getSnapshot()).toMatchObject({ value: 'stopped', status: 'done' });
  });
});
