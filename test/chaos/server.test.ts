/**
 * Chaos against the Temporal server process itself: the service starts before Temporal, and Temporal is
 * SIGKILLed and restarted five times in a row, under a steady stream of starts plus a burst on every
 * reconnection. Every scenario ends with the shared invariant check (see chaos-run.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowBundle } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer, findFreePort } from '../harness/dev-server.js';
import { expectInvariants } from './assert.js';
import { ChaosRun, WORKER } from './chaos-run.js';
import { bundleFixtures, type FaultRecord, killAndRestart, untilServing } from './faults.js';

const defer = useCleanups();
let workflowBundle: WorkflowBundle;

beforeAll(async () => {
  workflowBundle = await bundleFixtures();
});

describe('chaos: the Temporal server goes away', () => {
  it('the service starts before Temporal; Temporal comes up 10 s later', async () => {
    const port = await findFreePort();
    const address = `127.0.0.1:${port}`;
    const run = new ChaosRun({ name: 'late-start', address, checkAddress: address, workflowBundle });
    defer(() => run.supervisor.stop());
    run.start();
    const stream = run.stream(100);
    await sleep(10_000);
    // Nothing is created while Temporal is absent: the worker waits for a connection.
    expect(run.supervisor.snapshot().children[`worker:${WORKER}`]).toBe('idle');
    const comingUp = run.harness(() => DevServer.start({ port }));
    run.burst(30); // a burst while Temporal comes up
    const server = await comingUp;
    defer(() => server.dispose());
    const recoverMs = await untilServing(run.supervisor);
    await sleep(2_000);
    stream.stop();
    const report = await run.finish();
    expectInvariants(report);
    // Requests older than their deadline were rejected with the typed error; the rest started.
    expect(report.rejectedByReason.deadline ?? 0).toBeGreaterThan(0);
    expect(report.started).toBeGreaterThan(0);
    console.log(`[chaos late-start] server ready → serving: ${recoverMs} ms`);
  });

  it('Temporal is SIGKILLed and restarted mid-operation, five times in a row', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const run = new ChaosRun({
      name: 'kill-restart',
      address: server.address,
      checkAddress: server.address,
      workflowBundle,
    });
    defer(() => run.supervisor.stop());
    run.burstOnReconnect(20);
    run.start();
    await untilServing(run.supervisor);
    const stream = run.stream(150);
    const faults: FaultRecord[] = [];
    for (let k = 0; k < 5; k++) {
      await sleep(1_500);
      faults.push(await killAndRestart(server, run.supervisor, 1_000));
    }
    await sleep(2_000);
    stream.stop();
    const report = await run.finish();
    expectInvariants(report);
    expect(report.reconnects).toBeGreaterThanOrEqual(5);
    console.log(
      `[chaos kill-restart] outage/recover ms: ${faults.map((f) => `${f.faultMs}/${f.recoverMs}`).join(', ')}`,
    );
  });
});
