/**
 * Supervised workers against the real dev server: created once the connection is up, kept through a
 * SIGKILL and restart of the server, restarted within their intensity, drained by stop().
 */
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { activities, expectedGreetings, workflowsPath } from '../fixtures/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer, findFreePort } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';

const defer = useCleanups();

function supervise(address: string, taskQueue: string, extra: Partial<SupervisorOptions> = {}): Supervisor {
  const supervisor = createSupervisor({
    address,
    envConfig: false,
    workers: { greeter: { taskQueue, workflowsPath, activities } },
    ...extra,
  });
  defer(() => supervisor.stop());
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
  defer(() => connection.close());
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
    defer(() => server.dispose());
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

  it('survives SIGKILL and restart of the server; an idle worker is refreshed and polls again at once', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const taskQueue = `worker-kill-${Date.now()}`;
    const verdicts: string[] = [];
    const note = (message: string) => {
      if (/Temporal worker (refreshed|kept) after outage/.test(message)) verdicts.push(message);
    };
    const supervisor = supervise(server.address, taskQueue, {
      logger: { debug: () => {}, info: note, warn: () => {}, error: () => {} },
    });
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    await untilWorker(supervisor, 'running');

    const polling: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      await server.kill();
      await supervisor.waitFor('backoff', { timeout: '10s' });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      // The outage itself does not touch the worker.
      expect(workerState(supervisor)).toBe('running');
      await server.startAgain();
      await supervisor.waitFor('connected', { timeout: '30s' });
      const back = Date.now();
      const c = await client(server.address);
      const handle = await c.workflow.start('greetAfterSleep', {
        taskQueue,
        workflowId: `after-kill-${trial}-${Date.now()}`,
        args: [`t${trial}`, 1],
      });
      expect(await handle.result()).toEqual(expectedGreetings(`t${trial}`));
      // When a worker polled again: its first workflow task started (server time, same machine).
      const history = await handle.fetchHistory();
      const firstTask = history.events?.find((e) => e.eventType === 6); // WORKFLOW_TASK_STARTED
      const startedAt =
        Number(firstTask?.eventTime?.seconds) * 1000 + Math.floor((firstTask?.eventTime?.nanos ?? 0) / 1e6);
      polling.push(startedAt - back);
      expect(workerState(supervisor)).toBe('running');
    }
    // Each time, the worker had nothing in flight after a ~3 s outage: it was refreshed, not left to core's backoff.
    expect(verdicts).toEqual([
      'Temporal worker refreshed after outage',
      'Temporal worker refreshed after outage',
      'Temporal worker refreshed after outage',
    ]);
    console.log(`connection back → first workflow task started (ms): ${polling.join(', ')}`);
  });

  it('restarts a worker that fails, and gives it up beyond its restart intensity', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    // Every state the worker goes through, from XState's inspection (sampling could miss a short state).
    const seen: string[] = [];
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
      inspect: (event) => {
        const ref = event.actorRef as { id?: string };
        if (event.type === '@xstate.snapshot' && ref.id === 'worker:broken') {
          const value = (event.snapshot as { value?: unknown }).value;
          if (typeof value === 'string' && seen.at(-1) !== value) seen.push(value);
        }
      },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    await waitUntil(
      () => (supervisor.snapshot().children['worker:broken'] === 'givenUp' ? true : undefined),
      {
        timeoutMs: 30_000,
        intervalMs: 20,
        what: 'the broken worker to be given up',
      },
    );
    // maxRestarts 2: two restarts, and the third failure gives it up.
    expect(seen).toEqual(['idle', 'starting', 'restarting', 'starting', 'restarting', 'starting', 'givenUp']);
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
    defer(() => server.dispose());
    const supervisor = supervise(server.address, `worker-stop-${Date.now()}`);
    supervisor.start();
    await untilWorker(supervisor, 'running');
    await supervisor.stop();
    expect(supervisor.snapshot().children).toEqual({ 'worker:greeter': 'stopped' });
    expect(supervisor.state).toBe('disconnected');
  });
});
