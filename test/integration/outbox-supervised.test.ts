/**
 * The supervisor-owned dispatcher against a real dev server that is SIGKILLed and restarted: the child
 * `dispatcher:orders` pauses when the connection backs off, the intents enqueued meanwhile wait in the
 * (embedded) store, and once the supervisor reconnects to the restarted server the dispatcher drains them —
 * each started exactly once, counted in visibility. Its states, the outbox's depth and the transition log
 * lines are read from the supervisor, not from the outbox.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor } from '../../src/index.js';
import { createOutbox, type Outbox } from '../../src/outbox/index.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';
import { runsByWorkflowId, settledRuns } from './outbox-support.js';

const N = 25;

let server: DevServer | undefined;
let supervisor: Supervisor | undefined;
let outbox: Outbox | undefined;
let dir: string | undefined;

afterEach(async () => {
  await outbox?.stop().catch(() => undefined);
  await supervisor?.stop().catch(() => undefined);
  await server?.dispose().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = supervisor = outbox = dir = undefined;
});

describe('the outbox dispatcher as a supervised child, real dev server', () => {
  it('pauses through a dev-server kill, then drains what was enqueued meanwhile once the supervisor reconnects', async () => {
    server = await DevServer.start();
    dir = mkdtempSync(join(tmpdir(), 'outbox-supervised-'));
    const lines: { message: string; meta: Record<string, unknown> }[] = [];
    const line = (message: string, meta?: Record<string, unknown>) =>
      lines.push({ message, meta: meta ?? {} });
    supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      creators: { outbox: {} },
      reachabilityInterval: 200,
      backoff: { initialDelay: 100, maxDelay: 1_000 },
      logger: { debug: line, info: line, warn: line, error: line },
    });
    outbox = await createOutbox({
      supervisor,
      creator: 'outbox',
      name: 'orders',
      store: { path: join(dir, 'outbox') },
      pollInterval: 1_000,
    });
    const child = () => supervisor?.snapshot().children['dispatcher:orders'];
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: 60_000 });
    await waitUntil(() => child() === 'idle', { timeoutMs: 60_000, what: 'the dispatcher idle' });

    await server.kill();
    await waitUntil(() => child() === 'paused', {
      timeoutMs: 120_000,
      what: `the dispatcher paused (supervisor ${supervisor.state}, dispatcher ${child()})`,
    });
    expect(supervisor.state).not.toBe('connected');

    const taskQueue = `outbox-supervised-${randomUUID()}`;
    for (let i = 0; i < N; i++) {
      await outbox.enqueue({
        id: `${taskQueue}-i${i}`,
        workflowType: 'greetAfterSleep',
        workflowId: `${taskQueue}-wf${i}`,
        taskQueue,
        args: [`n${i}`, 10],
      });
    }
    await waitUntil(() => supervisor?.snapshot().outboxes.orders?.depth?.pending === N, {
      timeoutMs: 30_000,
      what: `the supervisor's snapshot to show ${N} pending`,
    });
    expect(child()).toBe('paused');
    expect(supervisor.snapshot().outboxes.orders?.outcomes.started).toBe(0);

    await server.startAgain();
    await waitUntil(async () => (await outbox?.metrics())?.depth.started === N, {
      timeoutMs: 180_000,
      intervalMs: 250,
      what: `${N} intents started after the restart`,
    });
    const runs = await settledRuns(server.address, taskQueue, N);
    const all = [...runs.values()];
    expect(runs.size).toBe(N);
    expect(all.filter((list) => list.length > 1)).toEqual([]);
    expect((await runsByWorkflowId(server.address, taskQueue)).size).toBe(N);
    for (let i = 0; i < N; i++) {
      const status = await outbox.status(`${taskQueue}-i${i}`);
      expect(status?.status === 'started' ? status.runId : status).toBe(runs.get(`${taskQueue}-wf${i}`)?.[0]);
    }
    await waitUntil(() => supervisor?.snapshot().outboxes.orders?.depth?.pending === 0, {
      timeoutMs: 30_000,
      what: 'depth 0 in the snapshot',
    });
    const changes = lines.filter((l) => l.message === 'Outbox dispatcher state changed').map((l) => l.meta);
    expect(changes).toContainEqual(expect.objectContaining({ dispatcher: 'orders', to: 'paused' }));
    expect(changes).toContainEqual(
      expect.objectContaining({ dispatcher: 'orders', from: 'paused', to: 'draining', pending: N }),
    );

    // The supervisor's stop stops its child too (outbox.stop() afterwards has nothing left to stop).
    await supervisor.stop();
    expect(child()).toBe('stopped');
    expect(outbox.state).toBe('stopped');
  });
});
