/**
 * The server is SIGKILLed while a workflow sleeps on a durable timer, then restarted on the same port and
 * SQLite file. Nothing is mocked: a real dev server, a real Worker, a real Client.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedGreetings } from '../fixtures/index.js';
import type { greetAfterSleep } from '../fixtures/workflows.js';
import { DevServer } from '../harness/dev-server.js';
import { type RunningWorker, startWorker, waitForHistoryEvent } from '../harness/worker.js';

/** Long enough that the timer is still pending when the restarted server is back (~1–2 s). */
const SLEEP_MS = 4000;

let server: DevServer | undefined;
let worker: RunningWorker | undefined;
let connection: Connection | undefined;

afterEach(async () => {
  // In this order, and each step even if an earlier one failed: the worker needs the server to drain.
  const steps = [() => worker?.shutdown(), () => connection?.close(), () => server?.dispose()];
  const errors: unknown[] = [];
  for (const step of steps) await Promise.resolve(step()).catch((error: unknown) => errors.push(error));
  worker = connection = server = undefined;
  if (errors.length > 0) throw new AggregateError(errors, 'Cleanup after the kill-restart test failed');
});

describe('SIGKILL and restart of the Temporal server', () => {
  it('a workflow sleeping through the outage completes afterwards, its history intact, and new workflows run', async () => {
    server = await DevServer.start();
    const readyAt = performance.now();
    const taskQueue = `kill-restart-${randomUUID()}`;
    worker = await startWorker({ address: server.address, taskQueue, sdkLogs: { level: 'ERROR' } });
    // Default interceptors: the client retries UNAVAILABLE, as an application's would.
    connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });

    const handle = await client.workflow.start<typeof greetAfterSleep>('greetAfterSleep', {
      taskQueue,
      workflowId: `greet-ada-${randomUUID()}`,
      args: ['Ada', SLEEP_MS],
    });
    const before = await waitForHistoryEvent(
      handle,
      (event) => event.timerStartedEventAttributes != null,
      'TimerStarted',
    );
    expect(before.some((event) => event.activityTaskCompletedEventAttributes != null)).toBe(true);

    const pidBefore = server.pid;
    await server.restart({ kill: true });
    expect(server.pid).not.toBe(pidBefore);
    expect(server.lastExit).toBeUndefined(); // the new process is running

    // Everything written before the kill is still there, event for event.
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    const after = (await handle.fetchHistory()).events ?? [];
    expect(after.length).toBeGreaterThanOrEqual(before.length);
    const shape = (event: (typeof before)[number]) => [String(event.eventId), event.eventType];
    expect(after.slice(0, before.length).map(shape)).toEqual(before.map(shape));

    expect(await handle.result()).toEqual(expectedGreetings('Ada'));
    const recoveredMs = performance.now() - readyAt;
    const final = (await handle.fetchHistory()).events ?? [];
    expect(final.filter((event) => event.activityTaskCompletedEventAttributes != null)).toHaveLength(2);
    expect(final.some((event) => event.timerFiredEventAttributes != null)).toBe(true);

    // The worker and client that lived through the outage serve a new workflow.
    const freshStarted = performance.now();
    const fresh = await client.workflow.execute<typeof greetAfterSleep>('greetAfterSleep', {
      taskQueue,
      workflowId: `greet-grace-${randomUUID()}`,
      args: ['Grace', 10],
      workflowExecutionTimeout: '60 seconds',
    });
    expect(fresh).toEqual(expectedGreetings('Grace'));
    expect(worker.worker.getState()).toBe('RUNNING');

    console.log(
      `kill-restart timings (ms): ${JSON.stringify({
        ...server.timings,
        readyToWorkflowCompletedMs: Math.round(recoveredMs),
        workflowSleepMs: SLEEP_MS,
        freshWorkflowMs: Math.round(performance.now() - freshStarted),
      })}`,
    );
  });
});
