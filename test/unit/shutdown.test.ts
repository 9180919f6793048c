/**
 * `supervisor.shutdown({ readinessDelay })`, the Kubernetes shutdown (docs/operations.md): readiness fails at
 * once, requests are still served for the delay, then the supervisor stops. On the real runtime (fake Temporal,
 * manual clock), the probes served by a real node:http server and read with fetch.
 */
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHealthHandler,
  createSupervisor,
  isSupervisorOptionsError,
  type Supervisor,
} from '../../src/index.js';
import { FakeConnector, flush, startConnected, stopOnFakes } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function connected() {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  connector.answerProbes = 3; // a healthy server: the connection stays `connected` while time passes
  const supervisor = createSupervisor({ envConfig: false, connector, clock, reachabilityInterval: false });
  cleanups.push(() => stopOnFakes(supervisor, connector, clock));
  await startConnected(supervisor, connector);
  return { clock, connector, supervisor };
}

async function serve(supervisor: Supervisor): Promise<(path: '/livez' | '/readyz') => Promise<number>> {
  const live = createHealthHandler(supervisor, 'live');
  const ready = createHealthHandler(supervisor, 'ready');
  const server = createServer((req, res) => (req.url === '/livez' ? live(req, res) : ready(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return async (path) => (await fetch(`${base}${path}`)).status;
}

describe('supervisor.shutdown', () => {
  it('fails readiness at once, serves requests through the delay, then stops', async () => {
    const { clock, supervisor } = await connected();
    const probe = await serve(supervisor);
    expect(await probe('/readyz')).toBe(200);

    let stopped = false;
    const shutdown = supervisor.shutdown({ readinessDelay: '10s' }).then(() => {
      stopped = true;
    });
    expect(supervisor.shuttingDown).toBe(true);
    expect(await probe('/readyz')).toBe(503);
    expect(await probe('/livez')).toBe(200);

    // Traffic still routed here during the delay is served.
    await clock.run(9_999);
    expect(supervisor.state).toBe('connected');
    expect(await supervisor.withClient(async () => 'served')).toBe('served');
    expect(await probe('/readyz')).toBe(503);
    expect(stopped).toBe(false);

    clock.advance(1);
    await flush();
    clock.advance(60_000); // past the stop's own bounds
    await shutdown;
    expect(supervisor.state).toBe('disconnected');
    await expect(supervisor.withClient(async () => 'late')).rejects.toMatchObject({ reason: 'stopped' });
  });

  it('waits 5 s by default', async () => {
    const { clock, supervisor } = await connected();
    const shutdown = supervisor.shutdown();
    await clock.run(4_999);
    expect(supervisor.state).toBe('connected');
    clock.advance(1);
    await flush();
    expect(supervisor.state).not.toBe('connected');
    clock.advance(60_000);
    await shutdown;
    expect(supervisor.state).toBe('disconnected');
  });

  it('is idempotent, and stop() during the delay stops at once, leaving no timer behind', async () => {
    const { clock, supervisor } = await connected();
    const first = supervisor.shutdown({ readinessDelay: '1h' });
    const second = supervisor.shutdown({ readinessDelay: 1 });
    const stopping = supervisor.stop();
    await flush();
    clock.advance(60_000); // the stop's bounds; far from the hour
    await Promise.all([first, second, stopping]);
    expect(supervisor.state).toBe('disconnected');
    expect(clock.pending).toBe(0);
    await supervisor.shutdown(); // after the stop: resolves
  });

  it('runs beforeStop after the delay and before the stop; one that fails is logged and the stop goes on', async () => {
    const { clock, supervisor } = await connected();
    const seen: string[] = [];
    const shutdown = supervisor.shutdown({
      readinessDelay: 100,
      beforeStop: async () => {
        seen.push(`beforeStop in ${supervisor.state} at ${clock.now()}`);
        throw new Error('server would not close');
      },
    });
    clock.advance(99);
    await flush();
    expect(seen).toEqual([]);
    clock.advance(1);
    await flush();
    expect(seen).toEqual(['beforeStop in connected at 100']);
    clock.advance(60_000);
    await shutdown;
    expect(supervisor.state).toBe('disconnected');
  });

  it('does not run beforeStop when stop() came first', async () => {
    const { clock, supervisor } = await connected();
    let ran = false;
    const shutdown = supervisor.shutdown({ readinessDelay: '1h', beforeStop: () => (ran = true) });
    const stopping = supervisor.stop();
    await flush();
    clock.advance(60_000);
    await Promise.all([shutdown, stopping]);
    expect(ran).toBe(false);
  });

  it('rejects a beforeStop that is not a function', async () => {
    const { supervisor } = await connected();
    const beforeStop = 'close' as unknown as () => void;
    await expect(supervisor.shutdown({ beforeStop })).rejects.toMatchObject({
      name: 'SupervisorOptionsError',
      field: 'shutdown.beforeStop',
    });
  });

  it('rejects a readinessDelay that is not a duration, naming the field, and stays ready', async () => {
    const { supervisor } = await connected();
    const error = await supervisor.shutdown({ readinessDelay: 'soon' }).catch((e: unknown) => e);
    expect(isSupervisorOptionsError(error)).toBe(true);
    expect(error).toMatchObject({ field: 'shutdown.readinessDelay' });
    expect((error as Error).message).toMatch(/Invalid option `shutdown.readinessDelay`.*"soon"/);
    await expect(supervisor.shutdown({ readinessDelay: -1 })).rejects.toMatchObject({
      field: 'shutdown.readinessDelay',
    });
    expect(supervisor.shuttingDown).toBe(false);
  });
});
