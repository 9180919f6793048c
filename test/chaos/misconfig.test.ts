/**
 * Permanent misconfiguration under a stream of starts: a namespace that does not exist, and TLS against a
 * server without TLS. Each must give a clear report (the failure's code and a message naming the cause),
 * no tight loop (connection attempts counted over the whole window), and start nothing: no worker, no
 * workflow. The requests all reject with the typed error, at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowBundle } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SupervisorOptions } from '../../src/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { expectInvariants } from './assert.js';
import { ChaosRun, WORKER } from './chaos-run.js';
import { bundleFixtures } from './faults.js';

const defer = useCleanups();
let workflowBundle: WorkflowBundle;
let server: DevServer;

beforeAll(async () => {
  workflowBundle = await bundleFixtures();
  server = await DevServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

const WINDOW_MS = 6_000;

async function misconfigured(name: string, options: Partial<SupervisorOptions>) {
  const errors: { message: string; meta: Record<string, unknown> | undefined }[] = [];
  const log = () => {};
  const run = new ChaosRun({
    name,
    address: server.address,
    checkAddress: server.address,
    workflowBundle,
    deadlineMs: 3_000,
    supervisor: {
      ...options,
      logger: {
        debug: log,
        info: log,
        warn: log,
        error: (message: string, meta?: Record<string, unknown>) => errors.push({ message, meta }),
      },
    },
  });
  defer(() => run.supervisor.stop());
  run.start();
  const stream = run.stream(100);
  await sleep(WINDOW_MS);
  stream.stop();
  const snapshot = run.supervisor.snapshot();
  const workerTransitions = run.transitions.filter((t) => t.actor === `worker:${WORKER}`).map((t) => t.to);
  const attempts = run.connectAttempts;
  const report = await run.finish({ drainTimeoutMs: 2_000 });
  expectInvariants(report);
  // Nothing started: no execution, no worker created.
  expect(report.started).toBe(0);
  expect(report.executions).toBe(0);
  expect(workerTransitions.filter((to) => to !== 'idle' && to !== 'draining' && to !== 'stopped')).toEqual(
    [],
  );
  // No tight loop: one attempt, then the permanent retry delay (30 s) — never more than 2 in the window.
  expect(attempts).toBeGreaterThanOrEqual(1);
  expect(attempts).toBeLessThanOrEqual(2);
  expect(snapshot.state).toBe('backoff');
  expect(snapshot.retryDelayMs).toBe(30_000);
  // Every request was rejected with the typed error; after the first failure, at once with its cause.
  expect(report.rejectedByReason.permanent_failure ?? 0).toBeGreaterThan(0);
  const immediate = run.requests.filter(
    (r) =>
      (r.error as { reason?: string } | undefined)?.reason === 'permanent_failure' &&
      (r.settledAt ?? Number.POSITIVE_INFINITY) - r.issuedAt < 100,
  );
  expect(immediate.length).toBe(report.rejectedByReason.permanent_failure);
  console.log(
    `[chaos ${name}] ${attempts} connection attempt(s) in ${WINDOW_MS} ms; ${errors.length} error log line(s); ` +
      `failure ${snapshot.lastFailure?.code}: ${snapshot.lastFailure?.message}`,
  );
  return { snapshot, errors };
}

describe('chaos: permanent misconfiguration', () => {
  it('a namespace that does not exist: clear report, no tight loop, nothing started', async () => {
    const { snapshot, errors } = await misconfigured('no-namespace', {
      namespace: 'chaos-no-such-namespace',
    });
    expect(snapshot.lastFailure).toMatchObject({ kind: 'permanent', code: 'NAMESPACE_NOT_FOUND' });
    expect(snapshot.lastFailure?.message).toContain("Namespace 'chaos-no-such-namespace' does not exist");
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);
    expect(errors[0]?.meta).toMatchObject({ to: 'backoff', code: 'NAMESPACE_NOT_FOUND', kind: 'permanent' });
  });

  it('TLS against a server without TLS: clear report, no tight loop, nothing started', async () => {
    const { snapshot, errors } = await misconfigured('tls-mismatch', { tls: true });
    expect(snapshot.lastFailure).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR' });
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors.length).toBeLessThanOrEqual(2);
    expect(errors[0]?.meta).toMatchObject({ to: 'backoff', code: 'TLS_ERROR', kind: 'permanent' });
  });
});
