/**
 * Exactly-once starts through a supervised creator against the real dev server: 200 concurrent starts
 * issued while the server is down and while it restarts, then counted in Temporal's own visibility.
 */
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  isTemporalUnavailableError,
  type StartOutcome,
  type TemporalUnavailableError,
} from '../../src/index.js';
import { createSupervisor } from '../../src/supervisor/supervisor.js';
import { activities, expectedGreetings, workflowsPath } from '../fixtures/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';

const defer = useCleanups();

describe('supervised creator on a real Temporal server', () => {
  it('200 concurrent starts during an outage and a restart: each started exactly once or rejected on time', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const taskQueue = `creator-${Date.now()}`;
    // A supervised worker and a supervised creator, as a service would run them: both live through the outage.
    const supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      creators: { orders: {} },
      workers: { greeter: { taskQueue, workflowsPath, activities } },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    const orders = supervisor.creator('orders');
    const start = (i: number, timeoutMs: number) => {
      const issuedAt = performance.now();
      return orders
        .start(
          'greetAfterSleep',
          { workflowId: `order-${taskQueue}-${i}`, taskQueue, args: [`n${i}`, 10] },
          { timeout: timeoutMs },
        )
        .then(
          (outcome) => ({ i, outcome, elapsed: performance.now() - issuedAt, timeoutMs }),
          (error: unknown) => ({ i, error, elapsed: performance.now() - issuedAt, timeoutMs }),
        );
    };

    await server.kill();
    await supervisor.waitFor('backoff', { timeout: '10s' });
    // 100 while the server is down: 80 with room to outlast the outage, 20 whose deadline falls inside it.
    const requests = [];
    for (let i = 0; i < 100; i++) requests.push(start(i, i < 80 ? 30_000 : 1_000));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // 100 more while it restarts.
    const restarting = server.startAgain();
    for (let i = 100; i < 200; i++) requests.push(start(i, 30_000));
    await restarting;
    const results = await Promise.all(requests);

    const started = results.filter((r): r is typeof r & { outcome: StartOutcome } => 'outcome' in r);
    const rejected = results.filter((r): r is typeof r & { error: TemporalUnavailableError } => 'error' in r);
    for (const r of rejected) {
      expect(isTemporalUnavailableError(r.error), String(r.error)).toBe(true);
      // Rejected on time: never later than the deadline plus scheduling slack.
      expect(r.elapsed).toBeLessThan(r.timeoutMs + 250);
    }
    // The short-deadline requests issued during the outage were rejected, without having reached the server.
    for (const r of results.filter((x) => x.i >= 80 && x.i < 100)) {
      expect('error' in r && r.error).toMatchObject({ reason: 'deadline', maybeApplied: false });
    }
    expect(started.length + rejected.length).toBe(200);
    expect(supervisor.snapshot().children).toMatchObject({
      'worker:greeter': 'running',
      'creator:orders': 'ready',
    });
    expect(started.length).toBeGreaterThanOrEqual(180);

    // Count in Temporal: every started request is exactly one execution; nothing else exists.
    const connection = await Connection.connect({ address: server.address });
    defer(() => connection.close());
    const client = new Client({ connection });
    const runsById = new Map<string, string[]>();
    await waitUntil(
      async () => {
        runsById.clear();
        for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
          runsById.set(execution.workflowId, [
            ...(runsById.get(execution.workflowId) ?? []),
            execution.runId,
          ]);
        }
        return runsById.size >= started.length ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'visibility to list every started workflow' },
    );
    for (const r of started) expect(runsById.get(r.outcome.workflowId)).toEqual([r.outcome.runId]);
    const maybe = rejected.filter((r) => r.error.maybeApplied).map((r) => r.error.request?.workflowId);
    const unexpected = [...runsById.keys()].filter(
      (id) => !started.some((r) => r.outcome.workflowId === id) && !maybe.includes(id),
    );
    expect(unexpected).toEqual([]);
    for (const runs of runsById.values()) expect(runs).toHaveLength(1);

    // The supervised worker polls again after the restart, and every started workflow completes.
    await Promise.all(
      started.map(async (r) => {
        const result = await client.workflow.getHandle(r.outcome.workflowId).result();
        expect(result).toEqual(expectedGreetings(`n${r.i}`));
      }),
    );
    const retried = started.filter((r) => r.outcome.attempts > 1).length;
    console.log(
      `200 requests: started=${started.length} rejected=${rejected.length} ` +
        `(deadline=${rejected.filter((r) => r.error.reason === 'deadline').length}, maybeApplied=${maybe.length}) ` +
        `retried=${retried} executions=${runsById.size} duplicates=0`,
    );
  });
});
