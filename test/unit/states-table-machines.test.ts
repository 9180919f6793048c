/**
 * Guards of the statecharts that the runtime backs up with a check of its own, pinned on the bare machines
 * (machines/*.machine.ts provided with fakes, time on the ManualClock), so that each layer is right by itself:
 * docs/states.md, "backoff" (`mayRetryEarly`: an operator always, the reachability watcher only after a
 * transient failure) and "A worker" (`isBeyondIntensity`: the restarts so far, plus this one, exceed
 * `maxRestarts`; the runtime replaces it with one that also prunes the window). The worker machine's defaults
 * are what test/model replays the machine with.
 */

import { beforeAll, describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import type { FailureInfo } from '../../machines/failure.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { ConnectionFailureError } from '../../src/errors.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { MODEL_CONFIG } from '../model/connection.model.js';
import { crash } from '../model/oracle-rig.js';
import { failures, flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

// @temporalio/worker is loaded lazily, on the first worker; load it before the manual clock runs the tests.
beforeAll(() => loadWorkerPackage());

function connectionFailingWith(failure: FailureInfo, reconnectSpreadMs = 0) {
  const clock = new ManualClock();
  const machine = connectionMachine.provide({
    actors: {
      connect: fromPromise(() => Promise.reject(new ConnectionFailureError(failure))),
      probe: fromPromise(async () => ({ latencyMs: 1 })),
      watchConnection: fromCallback(() => () => {}),
      watchReachability: fromCallback(() => () => {}),
      disconnect: fromPromise(async () => {}),
      stopChildren: fromPromise(async () => {}),
    },
  });
  const actor = createActor(machine, {
    input: { config: { ...MODEL_CONFIG, reconnectSpreadMs }, seed: 1 },
    clock,
  });
  actor.start();
  return Object.assign(actor, { clock });
}

describe('connection machine: mayRetryEarly', () => {
  it('after a permanent failure, RETRY_NOW from the reachability watcher is refused, from an operator taken', async () => {
    const actor = connectionFailingWith(failures.namespaceNotFound);
    actor.send({ type: 'START' });
    await flush();
    expect(actor.getSnapshot().value).toStrictEqual({ backoff: 'waiting' });
    actor.send({ type: 'RETRY_NOW', reason: 'server_reachable' });
    expect(actor.getSnapshot().value).toStrictEqual({ backoff: 'waiting' });
    actor.send({ type: 'RETRY_NOW', reason: 'operator' });
    expect(actor.getSnapshot().value).toBe('connecting');
    actor.stop();
  });

  it('after a transient failure, RETRY_NOW from the reachability watcher is taken, with attempt reset', async () => {
    const actor = connectionFailingWith(failures.unavailable);
    actor.send({ type: 'START' });
    await flush();
    expect(actor.getSnapshot()).toMatchObject({ value: { backoff: 'waiting' }, context: { attempt: 1 } });
    actor.send({ type: 'RETRY_NOW', reason: 'server_reachable' });
    expect(actor.getSnapshot()).toMatchObject({ value: 'connecting', context: { attempt: 0 } });
    actor.stop();
  });
});

describe('connection machine: reconnectSpreadMs (docs/states.md, "backoff")', () => {
  it("10 s: the watcher's RETRY_NOW draws a delay in [0, 10 s) that replaces the ~100 ms backoff", async () => {
    const actor = connectionFailingWith(failures.unavailable, 10_000);
    actor.send({ type: 'START' });
    await flush();
    // Attempt 1's backoff: 100 ms ± 20 % (MODEL_CONFIG).
    const { retryDelayMs } = actor.getSnapshot().context;
    expect(retryDelayMs).toBeGreaterThanOrEqual(80);
    expect(retryDelayMs).toBeLessThanOrEqual(120);
    actor.send({ type: 'RETRY_NOW', reason: 'server_reachable' });
    const spreading = actor.getSnapshot();
    expect(spreading.value).toStrictEqual({ backoff: 'spreading' });
    const delay = spreading.context.spreadDelayMs as number;
    expect(delay).toBeGreaterThanOrEqual(0);
    expect(delay).toBeLessThan(10_000);
    // The backoff's timer falls due inside the spread and is ignored; the drawn delay starts the attempt.
    expect(delay).toBeGreaterThan(retryDelayMs);
    actor.clock.advance(delay - 1);
    expect(actor.getSnapshot()).toMatchObject({ value: { backoff: 'spreading' }, context: { attempt: 1 } });
    actor.clock.advance(1);
    expect(actor.getSnapshot()).toMatchObject({ value: 'connecting', context: { attempt: 0 } });
    actor.stop();
  });

  it('0 (the default): RETRY_NOW from the watcher connects at once, as without a spread', async () => {
    const actor = connectionFailingWith(failures.unavailable, 0);
    actor.send({ type: 'START' });
    await flush();
    actor.send({ type: 'RETRY_NOW', reason: 'server_reachable' });
    expect(actor.getSnapshot()).toMatchObject({ value: 'connecting', context: { spreadDelayMs: undefined } });
    actor.stop();
  });

  it('while spreading, an operator RETRY_NOW connects at once; a new backoff forgets the drawn delay', async () => {
    const actor = connectionFailingWith(failures.unavailable, 10_000);
    actor.send({ type: 'START' });
    await flush();
    actor.send({ type: 'RETRY_NOW', reason: 'server_reachable' });
    expect(actor.getSnapshot().value).toStrictEqual({ backoff: 'spreading' });
    actor.send({ type: 'RETRY_NOW', reason: 'operator' });
    expect(actor.getSnapshot().value).toBe('connecting');
    await flush();
    // The attempt failed again: a fresh backoff, waiting, nothing drawn.
    expect(actor.getSnapshot()).toMatchObject({
      value: { backoff: 'waiting' },
      context: { spreadDelayMs: undefined, attempt: 1 },
    });
    actor.stop();
  });
});

describe("worker machine's own isBeyondIntensity (no window): maxRestarts failures restart, one more gives up", () => {
  for (const maxRestarts of [0, 1, 2, 4]) {
    it(`maxRestarts ${maxRestarts}: ${maxRestarts} crashes restart, crash ${maxRestarts + 1} gives up`, async () => {
      const clock = new ManualClock();
      const machine = workerMachine.provide({
        actors: {
          createWorker: fromPromise(async () => {}),
          runWorker: fromPromise(() => Promise.reject(crash())),
        },
      });
      const actor = createActor(machine, { input: { name: 'w', maxRestarts, restartDelayMs: 10 }, clock });
      actor.start();
      actor.send({ type: 'CONNECTION_UP', connectionId: 1 });
      let crashes = 0;
      for (let i = 0; i < 20; i++) {
        await flush();
        const state = actor.getSnapshot().value;
        if (state === 'givenUp') break;
        if (state === 'restarting') {
          crashes++;
          expect(actor.getSnapshot().context.restarts).toHaveLength(crashes);
          clock.fireNext();
        }
      }
      expect(actor.getSnapshot().value).toBe('givenUp');
      expect(crashes).toBe(maxRestarts);
      expect(actor.getSnapshot().context.restarts).toHaveLength(maxRestarts + 1);
      actor.stop();
    });
  }

  it('only the first CONNECTION_DOWN of an outage marks it (each failed reconnect sends DOWN again)', async () => {
    const machine = workerMachine.provide({
      actors: {
        createWorker: fromPromise(async () => {}),
        runWorker: fromPromise(() => new Promise(() => {})),
      },
    });
    const actor = createActor(machine, { input: { name: 'w', maxRestarts: 5, restartDelayMs: 10 } });
    actor.start();
    actor.send({ type: 'CONNECTION_UP', connectionId: 1 });
    await flush();
    expect(actor.getSnapshot().value).toEqual({ running: 'steady' });
    actor.send({ type: 'CONNECTION_DOWN' });
    const first = actor.getSnapshot().context.disconnectedAt;
    expect(first).toBeDefined();
    actor.send({ type: 'CONNECTION_DOWN' });
    actor.send({ type: 'CONNECTION_DOWN' });
    expect(actor.getSnapshot().context).toMatchObject({ connected: false, disconnectedAt: first });
    actor.stop();
  });
});
