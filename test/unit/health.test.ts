/**
 * Health endpoints on the real runtime (fake Temporal, manual clock), served by a real node:http server on
 * 127.0.0.1 and read with fetch.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHealthHandler, createSupervisor, healthOf, type Supervisor } from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { FakeConnector, failures, flush, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

// @temporalio/worker is loaded lazily, on the first worker; load it before the manual clock runs the tests.
beforeAll(() => loadWorkerPackage());

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(workerRestart?: { maxRestarts: number }) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    reachabilityInterval: false,
    apiKey: 'health-secret-key-42',
    ...(workerRestart
      ? {
          workers: {
            w: {
              taskQueue: 'q',
              activities: {},
              restart: { maxRestarts: workerRestart.maxRestarts, delay: 10 },
            },
          },
        }
      : {}),
  });
  cleanups.push(() => stopOnFakes(supervisor, connector, clock));
  return { clock, connector, supervisor };
}

async function serve(supervisor: Supervisor): Promise<string> {
  const live = createHealthHandler(supervisor, 'live');
  const ready = createHealthHandler(supervisor, 'ready');
  const server: Server = createServer((req, res) =>
    req.url === '/livez' ? live(req, res) : ready(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

describe('health endpoints', () => {
  it('not ready but live while Temporal is down; ready once connected; JSON detail without secrets', async () => {
    const { connector, supervisor } = setup();
    const base = await serve(supervisor);
    supervisor.start();
    connector.fail(failures.unavailable);
    await flush();

    let res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      live: true,
      ready: false,
      state: 'backoff',
      lastFailure: { code: 'UNAVAILABLE' },
    });
    expect((await fetch(`${base}/livez`)).status).toBe(200);

    // Connected: ready.
    supervisor.retryNow();
    await flush();
    connector.succeed();
    await flush();
    res = await fetch(`${base}/readyz`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ ready: true, state: 'connected' });
    expect(text).not.toContain('health-secret-key-42');
  });

  it('degraded counts as ready by default, and not with readyWhenDegraded: false', async () => {
    const { connector, supervisor } = setup();
    supervisor.start();
    await flush();
    const connection = connector.succeed();
    await flush();
    connection.emit({ type: 'unavailable', failure: failures.unavailable });
    await flush();
    expect(supervisor.state).toBe('degraded');
    expect(healthOf(supervisor).ready).toBe(true);
    expect(healthOf(supervisor, { readyWhenDegraded: false }).ready).toBe(false);
  });

  it('liveness fails only when a child has given up beyond its restart intensity', async () => {
    const { clock, connector, supervisor } = setup({ maxRestarts: 1 });
    const worker = runtimeOf(supervisor).workers.get('w');
    if (!worker) throw new Error('no worker');
    worker.create = () => Promise.reject(new Error('refused by the SDK'));
    const base = await serve(supervisor);
    supervisor.start();
    await flush();
    connector.succeed();
    await flush(); // first failure: restarting
    expect(healthOf(supervisor).live).toBe(true);
    clock.advance(10);
    await flush(); // second failure: beyond maxRestarts 1
    const res = await fetch(`${base}/livez`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ live: false, givenUp: ['worker:w'] });
  });

  it('refuses an unknown check with a clear error', () => {
    const { supervisor } = setup();
    expect(() => createHealthHandler(supervisor, 'alive' as never)).toThrow(
      /expected check 'live' or 'ready', received "alive"/,
    );
  });
});
