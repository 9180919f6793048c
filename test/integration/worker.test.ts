/**
 * Supervised workers against the real dev server: created once the connection is up, kept through a
 * SIGKILL and restart of the server, restarted within their intensity, drained by stop().
 */
import { Client, Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { activities, expectedGreetings, workflowsPath } from '../fixtures/index.js';
import { DevServer, findFreePort } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

function supervise(address: string, taskQueue: string, extra: Partial<SupervisorOptions> = {}): Supervisor {
  const supervisor = createSupervisor({
    address,
    envConfig: false,
    workers: { greeter: { taskQueue, workflowsPath, activities } },
    ...extra,
  });
  cleanups.push(() => supervisor.stop());
  return supervisor;
}

const workerState = (supervisor: Supervisor) => supervisor.snapshot().children['worker:greeter'];

async function untilWorker(supervisor: Supervisor, state: string, timeoutMs = 30_000) {
  await waitUntil(() => (workerState(supervisor) === state ? true : undefined), {
    timeoutMs,
    intervalMs: 20,
    what: `worker state ${state} (is ${workerState(supervisor)})`,
  });
}

async function client(address: string): Promise<Client> {
  const connection = await Connection.connect({ address });
  cleanups.push(() => connection.close());
  return new Client({ connection });
}

describe('supervised worker on a real Temporal server', () => {
  it('waits for Temporal, is created once the connection is up, and runs workflows', async () => {
    const port = await findFreePort();
    const taskQueue = `worker-late-${Date.now()}`;
    const supervisor = supervise(`127.0.0.1:${port}`, taskQueue);
    supervisor.start();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // Nothing is attempted while the server is down: the SDK would take 10-15 s to refuse.
    expect(workerState(supervisor)).toBe('idle');

    const server = await DevServer.start({ port });
    cleanups.push(() => server.dispose());
    await supervisor.waitFor('connected', { timeout: '30s' });
    await untilWorker(supervisor, 'running');
    const c = await client(server.address);
    const result = await c.workflow.execute('greetAfterSleep', {
      taskQueue,
      workflowId: `late-${Date.now()}`,
      args: ['late', 10],
    });
    expect(result).toEqual(expectedGreetings('late'));
  });

  it('keeps running through SIGKILL and restart of the server, and polls again once the connection is back', async () => {
    const server = await DevServer.start();
    cleanups.push(() => server.dispose());
    const taskQueue = `worker-kill-${Date.now()}`;
    const supervisor = supervise(server.address, taskQueue);
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    await untilWorker(supervisor, 'running');

    const resumed: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      await server.kill();
      await supervisor.waitFor('backoff', { timeout: '10s' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // The outage does not touch the worker.
      expect(workerState(supervisor)).toBe('running');
      await server.startAgain();
      await supervisor.waitFor('connected', { timeout: '30s' });
      const back = performance.now();
      // A workflow started now completes only if the worker polls again (its activity runs on it too).
      const c = await client(server.address);
      const result = await c.workflow.execute('greetAfterSleep', {
        taskQueue,
        workflowId: `after-kill-${trial}-${Date.now()}`,
        args: [`t${trial}`, 1],
      });
      resumed.push(performance.now() - back);
      expect(result).toEqual(expectedGreetings(`t${trial}`));
      expect(workerState(supervisor)).toBe('running');
    }
    console.log(
      `connection back → workflow with one activity completed (ms): ${resumed.map((r) => r.toFixed(0)).join(', ')}`,
    );
  });

  it('restarts a worker that fails, and gives it up beyond its restart intensity', async () => {
    const server = await DevServer.start();
    cleanups.push(() => server.dispose());
    const supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      workers: {
        broken: {
          taskQueue: 'broken',
          activities,
          // Refused by the SDK at Worker.create: every attempt fails the same way.
          worker: { maxConcurrentActivityTaskExecutions: -1 },
          restart: { maxRestarts: 2, within: '1m', delay: 50 },
        },
      },
    });
    cleanups.push(() => supervisor.stop());
    const seen: string[] = [];
    const poll = setInterval(() => {
      const state = supervisor.snapshot().children['worker:broken'];
      if (state && seen.at(-1) !== state) seen.push(state);
    }, 5);
    cleanups.push(async () => clearInterval(poll));
    supervisor.start();
    await waitUntil(
      () => (supervisor.snapshot().children['worker:broken'] === 'givenUp' ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 20,
        what: 'the broken worker to be given up',
      },
    );
    expect(seen.filter((s) => s === 'restarting').length).toBeGreaterThanOrEqual(2);
    // An operator can give it another chance; it fails again and is given up again.
    supervisor.restartWorker('broken');
    await waitUntil(
      () => (supervisor.snapshot().children['worker:broken'] === 'starting' ? true : undefined),
      {
        timeoutMs: 5_000,
        intervalMs: 1,
        what: 'the restarted worker to start',
      },
    ).catch(() => {});
    await waitUntil(
      () => (supervisor.snapshot().children['worker:broken'] === 'givenUp' ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 20,
        what: 'the broken worker to be given up again',
      },
    );
  });

  it('stop() drains the worker and closes its native connection: nothing is left running', async () => {
    const server = await DevServer.start();
    cleanups.push(() => server.dispose());
    const supervisor = supervise(server.address, `worker-stop-${Date.now()}`);
    supervisor.start();
    await untilWorker(supervisor, 'running');
    await supervisor.stop();
    expect(supervisor.snapshot().children).toEqual({ 'worker:greeter': 'stopped' });
    expect(supervisor.state).toBe('disconnected');
  });
});
