/**
 * `requests.maxInFlight` (docs/api.md, docs/connection.md "Requests"): at most that many calls run on the
 * connection at once (default 64); more wait in order, counted in `requests.maxPending`, each within its own
 * deadline; fail-fast requests are not held back. The numbers come from the docs, not from the gate.
 */
import { describe, expect, it } from 'vitest';
import { isTemporalUnavailableError, type TemporalUnavailableError } from '../../src/index.js';
import { failures, flush, rigsStoppedAfterEach } from '../model/oracle-rig.js';

const make = rigsStoppedAfterEach();

/** A call that runs until `finish(i)`: records when each callback started. */
function calls() {
  const started: number[] = [];
  const finishers = new Map<number, () => void>();
  const fn = (i: number) => () =>
    new Promise<number>((resolve) => {
      started.push(i);
      finishers.set(i, () => resolve(i));
    });
  const finish = async (i: number) => {
    const done = finishers.get(i);
    if (!done) throw new Error(`call ${i} has not started`);
    done();
    await flush();
  };
  return { started, fn, finish };
}

async function rejection(promise: Promise<unknown>): Promise<TemporalUnavailableError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isTemporalUnavailableError(error))
    throw new Error(`expected a TemporalUnavailableError, got ${error}`);
  return error;
}

describe('requests.maxInFlight', () => {
  it('default 64: of 70 concurrent calls on a serving connection, 64 run and 6 wait', async () => {
    const r = make({ healthCheck: { interval: '1h' } });
    await r.connect();
    const { started, fn, finish } = calls();
    const results = Array.from({ length: 70 }, (_, i) => r.supervisor.withClient(fn(i), { timeout: 60_000 }));
    await flush();
    expect(started).toHaveLength(64);
    expect(r.supervisor.snapshot().pendingRequests).toBe(6);
    await finish(0);
    expect(started).toHaveLength(65);
    expect(started.at(-1)).toBe(64);
    for (let i = 1; i < 70; i++) if (started.includes(i)) await finish(i);
    for (let i = 65; i < 70; i++) await finish(i);
    await expect(Promise.all(results)).resolves.toHaveLength(70);
  });

  it('maxInFlight 2: the third call waits, and runs in order when a slot frees', async () => {
    const r = make({ healthCheck: { interval: '1h' }, requests: { maxInFlight: 2 } });
    await r.connect();
    const { started, fn, finish } = calls();
    const results = [0, 1, 2, 3].map((i) => r.supervisor.withClient(fn(i), { timeout: 60_000 }));
    await flush();
    expect(started).toEqual([0, 1]);
    await finish(1);
    expect(started).toEqual([0, 1, 2]);
    await finish(0);
    expect(started).toEqual([0, 1, 2, 3]);
    await finish(2);
    await finish(3);
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3]);
  });

  it('a call waiting for a slot rejects at its 500 ms deadline, maybeApplied false, its callback never run', async () => {
    const r = make({ healthCheck: { interval: '1h' }, requests: { maxInFlight: 1 } });
    await r.connect();
    const { started, fn, finish } = calls();
    const first = r.supervisor.withClient(fn(0), { timeout: 60_000 });
    const second = rejection(r.supervisor.withClient(fn(1), { timeout: 500 }));
    await r.advance(499);
    expect(started).toEqual([0]);
    await r.advance(1);
    const error = await second;
    expect(error.reason).toBe('deadline');
    expect(error.maybeApplied).toBe(false);
    await finish(0);
    await first;
    expect(started).toEqual([0]);
  });

  it('a fail-fast call is not held back by full slots', async () => {
    const r = make({ healthCheck: { interval: '1h' }, requests: { maxInFlight: 1 } });
    await r.connect();
    const { started, fn, finish } = calls();
    const first = r.supervisor.withClient(fn(0), { timeout: 60_000 });
    const fast = r.supervisor.withClient(fn(1), { timeout: 60_000, failFast: true });
    await flush();
    expect(started).toEqual([0, 1]);
    await finish(1);
    await finish(0);
    expect(await Promise.all([first, fast])).toEqual([0, 1]);
  });

  it('waiting for a slot counts in requests.maxPending: with maxPending 1, a third call is queue_full', async () => {
    const r = make({ healthCheck: { interval: '1h' }, requests: { maxInFlight: 1, maxPending: 1 } });
    await r.connect();
    const { started, fn, finish } = calls();
    const first = r.supervisor.withClient(fn(0), { timeout: 60_000 });
    const second = r.supervisor.withClient(fn(1), { timeout: 60_000 });
    const third = await rejection(r.supervisor.withClient(fn(2), { timeout: 60_000 }));
    expect(third.reason).toBe('queue_full');
    expect(third.maybeApplied).toBe(false);
    await finish(0);
    await finish(1);
    expect(await Promise.all([first, second])).toEqual([0, 1]);
    expect(started).toEqual([0, 1]);
  });

  it('a slot held by a call that fails is given back: the waiter runs', async () => {
    const r = make({ healthCheck: { interval: '1h' }, requests: { maxInFlight: 1 } });
    await r.connect();
    let fail!: (error: Error) => void;
    const first = r.supervisor.withClient(
      () =>
        new Promise((_, reject) => {
          fail = reject;
        }),
      { timeout: 60_000 },
    );
    const second = r.supervisor.withClient(async () => 'ran', { timeout: 60_000 });
    await flush();
    fail(new Error('boom'));
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('ran');
  });

  it('a call waiting for a slot when the connection drops waits on, and runs on the next connection', async () => {
    const r = make({ healthCheck: { interval: '1h' }, requests: { maxInFlight: 1 } });
    const firstLive = await r.connect();
    const { started, fn } = calls();
    void r.supervisor.withClient(fn(0), { timeout: 60_000 }).catch(() => {});
    const waiting = r.supervisor.withClient(async (_client, context) => context.connection, {
      timeout: 60_000,
    });
    await flush();
    firstLive.emit({ type: 'lost', failure: failures.unavailable });
    await r.advanceUntil(() => r.supervisor.state === 'backoff');
    const secondLive = await r.connect();
    expect(await waiting).toBe(secondLive.connection);
    expect(started).toEqual([0]);
  });

  it('maxInFlight 0, 1.5 and "8" are refused naming requests.maxInFlight', async () => {
    const { createSupervisor, SupervisorOptionsError } = await import('../../src/index.js');
    for (const maxInFlight of [0, 1.5, '8']) {
      let error: unknown;
      try {
        createSupervisor({ address: '127.0.0.1:1', requests: { maxInFlight: maxInFlight as number } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SupervisorOptionsError);
      expect((error as { field: string }).field).toBe('requests.maxInFlight');
    }
  });
});
