/**
 * Issue 16 item 4 on the production-shaped cluster: the poller check must not condemn a healthy worker whose
 * polls land on any of the task queue's 4 read partitions (the server's default; the check reads partition after
 * partition), nor a worker that cannot poll because matching is down (the check's own reads fail then, which
 * restarts its count) — that is reported instead as the task queue unreachable, in the health report, and
 * cleared once matching answers again (issue 16 item 2, matching as seen by workers). Long polls expire after 3 s here (`matching.longPollExpirationInterval`), so the check's
 * bound is seconds: `absentFor` 15 s, above the long poll + interval and above the SDK core's poll backoff
 * (up to ~10 s after failed polls: with 5 s, the worker was flagged once matching was back, before its polls
 * resumed).
 */
import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupervisor, healthOf, type Supervisor } from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { describePollers } from '../../src/temporal/task-queue-pollers.js';
import { activities, expectedGreetings, workflowsPath } from '../fixtures/index.js';
import { TemporalCluster } from '../harness/cluster.js';
import { waitUntil } from '../harness/wait.js';

let cluster: TemporalCluster;
let supervisor: Supervisor | undefined;
let connection: Connection | undefined;

beforeAll(async () => {
  cluster = await TemporalCluster.start({
    dynamicConfig: { 'matching.longPollExpirationInterval': '3s' },
  });
});

afterAll(async () => {
  await supervisor?.stop();
  await connection?.close();
  await cluster?.stop();
});

describe('pollerCheck on the cluster', () => {
  it('a healthy idle worker is never flagged over 4 partitions; matching down is no evidence; a workflow runs after', async () => {
    const taskQueue = `cluster-poller-${Date.now()}`;
    const failures: string[] = [];
    supervisor = createSupervisor({
      envConfig: false,
      address: cluster.address,
      workers: {
        greeter: {
          taskQueue,
          workflowsPath,
          activities,
          pollerCheck: { interval: '500ms', absentFor: '15s' },
        },
      },
    });
    supervisor.onTransition(({ actor, to }) => {
      if (actor === 'worker:greeter' && (to === 'restarting' || to === 'givenUp')) failures.push(to);
    });
    supervisor.start();
    await waitUntil(() => supervisor?.snapshot().children['worker:greeter'] === 'running', {
      timeoutMs: 90_000,
      what: 'the worker running',
    });
    connection = await Connection.connect({ address: cluster.address });
    const client = new Client({ connection });
    const greet = (name: string) =>
      client.workflow.execute('greetAfterSleep', {
        taskQueue,
        workflowId: `${name}-${Date.now()}`,
        args: [name, 1],
        workflowExecutionTimeout: '90s',
      });
    expect(await greet('first')).toEqual(expectedGreetings('first'));

    // Idle for twice absentFor: polls renewed every 3 s on whichever partitions they land.
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    expect(failures).toEqual([]);
    // The premise: the worker's polls land on several partitions, each with its own poller history.
    const identity = `${process.pid}@${hostname()}`;
    const seenOn: number[] = [];
    for (let partition = 0; partition < 4; partition++) {
      const pollers = await describePollers(client, {
        namespace: 'default',
        taskQueue,
        kind: 'workflow',
        partition,
        timeoutMs: 5_000,
      });
      if (pollers.some((p) => p.identity === identity)) seenOn.push(partition);
    }
    console.log(`the worker's identity is in the poller history of partitions ${seenOn.join(', ')}`);
    expect(seenOn.length).toBeGreaterThanOrEqual(2);

    // Matching down for longer than absentFor: the worker cannot poll, and the check cannot read. The health
    // report lists the worker's task queue as unreachable (the connection's probes see nothing: the frontends
    // still answer), within an interval plus the read's deadline (500 ms each here) and the frontend's failure.
    const current = supervisor;
    const unreachable = () => healthOf(current).taskQueueUnreachable.includes('worker:greeter');
    expect(unreachable()).toBe(false);
    const killedAt = performance.now();
    await cluster.services.matching.kill();
    await waitUntil(unreachable, { timeoutMs: 10_000, what: 'the task queue listed unreachable' });
    const seenMs = Math.round(performance.now() - killedAt);
    expect(current.state).toBe('connected');
    expect(healthOf(current)).toMatchObject({ live: true, ready: true, notPolling: [] });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 20_000 - (performance.now() - killedAt))));
    const restartedAt = performance.now();
    await cluster.services.matching.start();
    await waitUntil(() => !unreachable(), { timeoutMs: 30_000, what: 'the task queue reachable again' });
    const clearedMs = Math.round(performance.now() - restartedAt);
    console.log(
      `matching SIGKILLed → task queue unreachable after ${seenMs} ms; matching ready → cleared after ${clearedMs} ms`,
    );
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const state = supervisor.snapshot().children['worker:greeter'];
    console.log(`after matching's outage: worker ${state}; worker failures ${failures.join(', ') || 'none'}`);
    expect(failures).toEqual([]);
    expect(await greet('after-matching')).toEqual(expectedGreetings('after-matching'));
    // No WORKER_NOT_POLLING: the reads failed while matching was away.
    const lastFailure = runtimeOf(supervisor).child('worker:greeter')?.getSnapshot().context.lastFailure as
      | { code: string }
      | undefined;
    expect(lastFailure?.code).not.toBe('WORKER_NOT_POLLING');
  });
});
