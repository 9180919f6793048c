/**
 * A worker stopped during an outage rather than at the connection's return, pinned with the numbers of
 * docs/states.md ("A worker", `running.away`) and docs/api.md (`refreshAfterOutage` 1 s): once the outage has
 * lasted 1 s with nothing in flight (checked then and every 250 ms after), the worker goes `refreshing` and,
 * still disconnected, `idle`; its shutdown is called while the server is away; the connection's return then
 * creates a new one. On the whole runtime with the manual clock; only the SDK side of the worker is a fake.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SupervisorOptions } from '../../src/index.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { failures, flush, type Rig, rigsStoppedAfterEach, type WorkerSide } from '../model/oracle-rig.js';

beforeAll(() => loadWorkerPackage());

const rig = rigsStoppedAfterEach();

function withWorker(worker: Record<string, unknown> = {}) {
  return rig({
    healthCheck: { interval: '1h' },
    stablePeriod: '1h',
    workers: { w: { taskQueue: 'q', activities: {}, ...worker } },
  } as Partial<SupervisorOptions>);
}

function side(r: Rig): WorkerSide {
  const found = r.workers.get('w');
  if (!found) throw new Error('no worker side');
  return found;
}

const value = (r: Rig) => r.child('worker:w').value;

/** Connected, the worker created and running; then the connection is lost (the outage's t = 0). */
async function runningThenLost(r: Rig) {
  await r.connect();
  side(r).settle('creates');
  await flush();
  expect(value(r)).toEqual({ running: 'steady' });
  r.live().emit({ type: 'lost', failure: failures.unavailable });
  await flush();
  expect(value(r)).toEqual({ running: 'away' });
}

describe('worker: stopped during the outage (running.away)', () => {
  it('idle: still running at 999 ms into the outage; at 1000 ms refreshing, shut down, then idle', async () => {
    const r = withWorker();
    await runningThenLost(r);
    await r.advance(999);
    expect(value(r)).toEqual({ running: 'away' });
    expect(side(r).shutdowns).toHaveLength(0);
    await r.advance(1);
    expect(value(r)).toBe('refreshing');
    expect(side(r).shutdowns).toHaveLength(1);
    side(r).settle('shutdowns');
    await flush();
    expect(value(r)).toBe('idle');
    // Back: a new worker (generation 2), no restart counted.
    await r.connect();
    expect(value(r)).toBe('starting');
    side(r).settle('creates');
    await flush();
    expect(r.child('worker:w').context).toMatchObject({ generation: 2, restarts: [] });
  });

  it('busy at 1000 ms: kept, and stopped at the first check (every 250 ms) with nothing in flight', async () => {
    const r = withWorker();
    await runningThenLost(r);
    side(r).busy = true;
    await r.advance(1_000);
    expect(value(r)).toEqual({ running: 'away' });
    await r.advance(250);
    expect(value(r)).toEqual({ running: 'away' });
    side(r).busy = false;
    await r.advance(249);
    expect(value(r)).toEqual({ running: 'away' });
    await r.advance(1);
    expect(value(r)).toBe('refreshing');
  });

  it('refreshAfterOutage 3 s: still running at 2999 ms, stopped at 3000 ms', async () => {
    const r = withWorker({ refreshAfterOutage: '3s' });
    await runningThenLost(r);
    await r.advance(2_999);
    expect(value(r)).toEqual({ running: 'away' });
    await r.advance(1);
    expect(value(r)).toBe('refreshing');
  });

  it('back after 999 ms: resuming then kept (verdict keep), never shut down', async () => {
    const r = withWorker();
    await runningThenLost(r);
    await r.advance(999);
    await r.connect();
    expect(value(r)).toEqual({ running: 'steady' });
    await r.advance(5_000);
    expect(side(r).shutdowns).toHaveLength(0);
    expect(r.child('worker:w').context).toMatchObject({ generation: 1 });
  });

  it('refreshAfterOutage false: never stopped during an outage', async () => {
    const r = withWorker({ refreshAfterOutage: false });
    await runningThenLost(r);
    await r.advance(60_000);
    expect(value(r)).toEqual({ running: 'away' });
    expect(side(r).shutdowns).toHaveLength(0);
  });

  it('lost again while resuming: back to away, and stopped 1 s after the first loss', async () => {
    const r = withWorker();
    await runningThenLost(r);
    await r.advance(400);
    side(r).verdict = 'keep';
    await r.connect();
    r.live().emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(value(r)).toEqual({ running: 'away' });
    // `disconnectedAt` is the second loss (400 ms): stopped at 1400 ms, not at 1000.
    await r.advance(999);
    expect(value(r)).toEqual({ running: 'away' });
    await r.advance(1);
    expect(value(r)).toBe('refreshing');
  });
});
