/**
 * The worker and creator statecharts pinned with concrete numbers, written from docs/states.md ("A worker",
 * "A creator") and docs/api.md (restart intensity: `maxRestarts` 5 within 1 min, `delay` 1 s), on the whole
 * runtime: the connection machine spawns and notifies the children, the restart window is counted on the
 * supervisor's clock. Only the SDK side of a worker (create, run, shutdown) is a fake the test settles.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionFailureError } from '../../src/errors.js';
import type { SupervisorOptions } from '../../src/index.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { crash, failures, flush, misconfigured, outage, type Rig, rig } from '../model/oracle-rig.js';

// @temporalio/worker is loaded lazily, on the first worker; load it before the manual clock runs the tests.
beforeAll(() => loadWorkerPackage());

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.stop();
});

const W = 'worker:w';

function withWorker(restart: Record<string, unknown> = {}, extra: Partial<SupervisorOptions> = {}) {
  const r = rig({
    // No probe moves the connection while the worker is exercised.
    healthCheck: { interval: '1h' },
    stablePeriod: '1h',
    workers: { w: { taskQueue: 'q', activities: {}, ...(restart ? { restart } : {}) } },
    ...extra,
  } as Partial<SupervisorOptions>);
  rigs.push(r);
  return r;
}

function worker(r: Rig) {
  const { value, context } = r.child(W);
  return {
    state: typeof value === 'string' ? value : Object.keys(value as object)[0],
    value,
    restarts: (context.restarts as number[]).length,
    generation: context.generation as number,
    lastFailure: (context.lastFailure as { code?: string } | undefined)?.code,
  };
}

/** Connects; the worker goes starting, its create succeeds: running. */
async function running(r: Rig) {
  await r.connect();
  expect(worker(r).state).toBe('starting');
  r.workers.get('w')?.settle('creates');
  await flush();
  expect(worker(r).state).toBe('running');
}

/** The running worker fails with `error` (or its run() resolves by itself). */
async function runEnds(r: Rig, error?: unknown) {
  r.workers.get('w')?.settle('runs', error);
  await flush();
}

/** From restarting: the restart delay passes, the new worker is created. */
async function restarted(r: Rig, delayMs: number) {
  expect(worker(r).state).toBe('restarting');
  await r.advance(delayMs);
  expect(worker(r).state).toBe('starting');
  r.workers.get('w')?.settle('creates');
  await flush();
  expect(worker(r).state).toBe('running');
}

describe('worker restart intensity: maxRestarts within restart.within', () => {
  it('defaults (5 in 1 min, delay 1 s): five crashes restart, the sixth gives up', async () => {
    const r = withWorker();
    await running(r);
    for (let n = 1; n <= 5; n++) {
      await runEnds(r, crash());
      expect(worker(r)).toMatchObject({ state: 'restarting', restarts: n, lastFailure: 'UNKNOWN' });
      await restarted(r, 1_000);
    }
    expect(r.clock.now()).toBeLessThan(60_000);
    await runEnds(r, crash());
    expect(worker(r)).toMatchObject({ state: 'givenUp', restarts: 6 });
    expect(r.supervisor.snapshot().children[W]).toBe('givenUp');
  });

  it('maxRestarts 2 within 10 s: restarts older than the window do not count (third crash at 10.5 s restarts)', async () => {
    const r = withWorker({ maxRestarts: 2, within: '10s', delay: '1s' });
    await running(r);
    await runEnds(r, crash()); // t = 0
    await restarted(r, 1_000);
    await runEnds(r, crash()); // t = 1000
    await restarted(r, 1_000);
    await r.advance(8_500); // t = 10 500: the restart at 0 is out of the window, the one at 1000 is in
    await runEnds(r, crash());
    expect(worker(r).state).toBe('restarting');
  });

  it('maxRestarts 2 within 10 s: a third crash inside the window (t = 9999 ms) gives up', async () => {
    const r = withWorker({ maxRestarts: 2, within: '10s', delay: '1s' });
    await running(r);
    await runEnds(r, crash());
    await restarted(r, 1_000);
    await runEnds(r, crash());
    await restarted(r, 1_000);
    await r.advance(7_999);
    expect(r.clock.now()).toBe(9_999);
    await runEnds(r, crash());
    expect(worker(r).state).toBe('givenUp');
  });

  it('maxRestarts 1 within 10 s: a restart exactly 10 000 ms old has left the window (the window is [now − within, now))', async () => {
    const r = withWorker({ maxRestarts: 1, within: '10s', delay: '1s' });
    await running(r);
    await runEnds(r, crash()); // t = 0
    await restarted(r, 1_000);
    await r.advance(8_999);
    expect(r.clock.now()).toBe(9_999);
    // Not yet: at 9999 ms the restart at 0 still counts.
    const probe = withWorker({ maxRestarts: 1, within: '10s', delay: '1s' });
    await running(probe);
    await runEnds(probe, crash());
    await restarted(probe, 1_000);
    await probe.advance(8_999);
    await runEnds(probe, crash());
    expect(worker(probe).state).toBe('givenUp');
    await r.advance(1);
    await runEnds(r, crash());
    expect(worker(r).state).toBe('restarting');
  });

  it('maxRestarts 0: the first crash gives up', async () => {
    const r = withWorker({ maxRestarts: 0 });
    await running(r);
    await runEnds(r, crash());
    expect(worker(r).state).toBe('givenUp');
  });

  it("a running worker's outage (UNAVAILABLE) is not counted: maxRestarts 1, three outages all restart", async () => {
    const r = withWorker({ maxRestarts: 1, delay: '1s' });
    await running(r);
    for (let i = 0; i < 3; i++) {
      await runEnds(r, outage());
      expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 0, lastFailure: 'UNAVAILABLE' });
      await restarted(r, 1_000);
    }
    await runEnds(r, crash());
    expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 1 });
    await restarted(r, 1_000);
    await runEnds(r, crash());
    expect(worker(r).state).toBe('givenUp');
  });

  it('an outage while starting (DEADLINE_EXCEEDED) is not counted either: maxRestarts 1', async () => {
    const r = withWorker({ maxRestarts: 1, delay: '1s' });
    await r.connect();
    for (let i = 0; i < 3; i++) {
      r.workers.get('w')?.settle('creates', new ConnectionFailureError(failures.deadline));
      await flush();
      expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 0, lastFailure: 'DEADLINE_EXCEEDED' });
      await r.advance(1_000);
      expect(worker(r).state).toBe('starting');
    }
    r.workers.get('w')?.settle('creates', crash());
    await flush();
    expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 1 });
    await r.advance(1_000);
    r.workers.get('w')?.settle('creates', crash());
    await flush();
    expect(worker(r).state).toBe('givenUp');
  });

  it('a permanent create failure gives up at once, whatever the intensity (maxRestarts 5, no restart counted)', async () => {
    const r = withWorker();
    await r.connect();
    r.workers.get('w')?.settle('creates', misconfigured());
    await flush();
    expect(worker(r)).toMatchObject({ state: 'givenUp', restarts: 0, lastFailure: 'NAMESPACE_NOT_FOUND' });
  });

  it('run() resolving by itself is a failure counted as a restart (WORKER_EXITED)', async () => {
    const r = withWorker({ maxRestarts: 1 });
    await running(r);
    await runEnds(r);
    expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 1, lastFailure: 'WORKER_EXITED' });
    await restarted(r, 1_000);
    await runEnds(r);
    expect(worker(r).state).toBe('givenUp');
  });

  it('a worker the server no longer sees polling (WORKER_NOT_POLLING) is a counted failure: maxRestarts 1', async () => {
    const r = withWorker({ maxRestarts: 1 });
    const notPolling = () =>
      new ConnectionFailureError({
        kind: 'transient',
        code: 'WORKER_NOT_POLLING',
        name: 'WorkerNotPolling',
        message: 'no poll recorded',
      });
    await running(r);
    await runEnds(r, notPolling());
    expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 1, lastFailure: 'WORKER_NOT_POLLING' });
    await restarted(r, 1_000);
    await runEnds(r, notPolling());
    expect(worker(r)).toMatchObject({ state: 'givenUp', lastFailure: 'WORKER_NOT_POLLING' });
  });

  it('restartWorker() from givenUp starts again with the history cleared', async () => {
    const r = withWorker({ maxRestarts: 1 });
    await running(r);
    await runEnds(r, crash());
    await restarted(r, 1_000);
    await runEnds(r, crash());
    expect(worker(r).state).toBe('givenUp');
    r.supervisor.restartWorker('w');
    await flush();
    expect(worker(r)).toMatchObject({ state: 'starting', restarts: 0 });
    r.workers.get('w')?.settle('creates');
    await flush();
    await runEnds(r, crash());
    expect(worker(r)).toMatchObject({ state: 'restarting', restarts: 1 });
  });

  it('restartWorker() anywhere but givenUp is ignored', async () => {
    const r = withWorker();
    await running(r);
    r.supervisor.restartWorker('w');
    await flush();
    expect(worker(r)).toMatchObject({ state: 'running', generation: 1 });
  });
});

describe('worker: restart.delay, connection tracking, refresh', () => {
  it('restart.delay 2 s: still restarting at 1999 ms, starting at 2000 (connected)', async () => {
    const r = withWorker({ delay: '2s' });
    await running(r);
    await runEnds(r, crash());
    await r.advance(1_999);
    expect(worker(r).state).toBe('restarting');
    await r.advance(1);
    expect(worker(r).state).toBe('starting');
  });

  it('restart.delay passing while the connection is down goes to idle; CONNECTION_UP then starts it', async () => {
    const r = withWorker({ delay: '1s' });
    await running(r);
    await runEnds(r, crash());
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    await r.advance(1_000);
    expect(worker(r).state).toBe('idle');
    await r.connect();
    expect(worker(r).state).toBe('starting');
  });

  it('idle until the first CONNECTION_UP (nothing attempted while the server is down)', async () => {
    const r = withWorker();
    r.supervisor.start();
    await r.failConnect();
    expect(worker(r).state).toBe('idle');
    expect(r.workers.get('w')?.creates).toHaveLength(0);
    await r.connect();
    expect(worker(r).state).toBe('starting');
  });

  it('a running worker is kept through an outage; back with verdict keep → steady, generation unchanged', async () => {
    const r = withWorker();
    await running(r);
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(worker(r).value).toEqual({ running: 'away' });
    await r.connect();
    expect(worker(r)).toMatchObject({ value: { running: 'steady' }, generation: 1, restarts: 0 });
  });

  it('back with verdict refresh → refreshing → a new worker (generation 2), no restart counted', async () => {
    const r = withWorker();
    await running(r);
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    const side = r.workers.get('w');
    if (!side) throw new Error('no worker side');
    side.verdict = 'refresh';
    await r.connect();
    expect(worker(r).state).toBe('refreshing');
    side.settle('shutdowns');
    await flush();
    expect(worker(r).state).toBe('starting');
    side.settle('creates');
    await flush();
    expect(worker(r)).toMatchObject({ state: 'running', generation: 2, restarts: 0 });
  });

  it('STOP drains a running worker (shutdown) and ends stopped', async () => {
    const r = withWorker();
    await running(r);
    const stopping = r.supervisor.stop();
    await flush();
    expect(worker(r).state).toBe('draining');
    r.workers.get('w')?.settle('shutdowns');
    await flush();
    expect(worker(r).state).toBe('stopped');
    // The runtime disposes of the worker too (a second, idempotent shutdown).
    for (let i = 0; i < 5 && r.supervisor.state === 'stopping'; i++) {
      while (r.workers.get('w')?.shutdowns.length) r.workers.get('w')?.settle('shutdowns');
      await flush();
    }
    await stopping;
    expect(r.supervisor.state).toBe('disconnected');
  });
});

describe('creator: waiting ⇄ ready, one binding per connection', () => {
  it('binds to each new connection (bindings 1, 2), unbinds on CONNECTION_DOWN, stops with the supervisor', async () => {
    const r = rig({ creators: { orders: {} } });
    rigs.push(r);
    const creator = () => r.child('creator:orders');
    expect(creator()).toMatchObject({ value: 'waiting', context: { bindings: 0, connectionId: undefined } });
    r.supervisor.start();
    await r.failConnect();
    // DOWN in waiting is ignored.
    expect(creator()).toMatchObject({ value: 'waiting', context: { bindings: 0 } });
    const first = await r.connect();
    expect(creator()).toMatchObject({ value: 'ready', context: { bindings: 1, connectionId: first.id } });
    first.emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(creator()).toMatchObject({ value: 'waiting', context: { bindings: 1, connectionId: undefined } });
    const second = await r.connect();
    expect(second.id).not.toBe(first.id);
    expect(creator()).toMatchObject({ value: 'ready', context: { bindings: 2, connectionId: second.id } });
    await r.supervisor.stop();
    expect(creator().value).toBe('stopped');
    expect(r.supervisor.snapshot().children['creator:orders']).toBe('stopped');
  });
});
