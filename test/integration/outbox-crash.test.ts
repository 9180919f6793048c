/**
 * The outbox's crash tests, against a real PostgreSQL (harness) and the real Temporal dev server, with the
 * service in a child process that is SIGKILLed. Each counts executions in Temporal's visibility: every intent
 * must be started exactly once (lost = 0, duplicates = 0), its recorded run the one visibility lists.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { createOutbox } from '../../src/outbox/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { waitUntil } from '../harness/wait.js';
import { exactlyOnce, intentRows, settledRuns, startService, useOutboxServers } from './outbox-support.js';

const defer = useCleanups();
const env = useOutboxServers('outbox_crash', defer);

/** A fresh database with the outbox migrated, and a pool on it for the test's own reads. */
async function database() {
  const { connectionString, pool, applied } = await env.database();
  expect(applied).toEqual(['001_create_outbox']);
  return { connectionString, pool };
}

const statusCounts = async (pool: pg.Pool) => {
  const { rows } = await pool.query<{ status: string; n: string }>(
    'SELECT status, count(*) AS n FROM temporal_supervisor.outbox_intents GROUP BY status',
  );
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
};

describe('outbox crash tests (real PostgreSQL, real Temporal, SIGKILL)', () => {
  it('SIGKILLed during an outage with 1,000 intents pending, restarted: each started exactly once', async () => {
    const { connectionString, pool } = await database();
    const taskQueue = `outbox-outage-${Date.now()}`;
    await env.temporal.kill();
    defer(async () => {
      if (!env.temporal.running) await env.temporal.startAgain();
    });
    const first = startService({
      connectionString,
      address: env.temporal.address,
      taskQueue,
      enqueue: { prefix: 'outage', count: 1_000 },
    });
    defer(() => first.kill());
    await first.next('enqueued');
    await first.kill();
    expect(await statusCounts(pool)).toEqual({ pending: 1_000 });

    await env.temporal.startAgain();
    const second = startService({ connectionString, address: env.temporal.address, taskQueue });
    defer(() => second.kill());
    const restartedAt = performance.now();
    await waitUntil(async () => (await statusCounts(pool)).started === 1_000, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: '1,000 intents started',
    });
    const drainMs = performance.now() - restartedAt;
    const result = exactlyOnce(
      await intentRows(pool),
      await settledRuns(env.temporal.address, taskQueue, 1_000),
    );
    expect(result).toEqual({ intents: 1_000, lost: 0, duplicates: 0, mismatched: 0, failed: [] });
    console.log(
      `outage crash: 1000 intents survived SIGKILL; after restart started=1000 lost=0 duplicates=0 in ${drainMs.toFixed(0)} ms`,
    );
  });

  it('SIGKILLed between a start and its record (the maybe-applied window): still exactly once', async () => {
    const { connectionString, pool } = await database();
    const taskQueue = `outbox-window-${Date.now()}`;
    const first = startService({
      connectionString,
      address: env.temporal.address,
      taskQueue,
      enqueue: { prefix: 'window', count: 40 },
      concurrency: 1,
      killAfterSends: 10,
      leaseMs: 3_000,
    });
    defer(() => first.kill());
    const window = await first.next('window', 60_000);
    await first.kill(); // it SIGKILLed itself: this waits for its exit
    // The start reached Temporal, the outbox never heard: pending in the table, running on the server.
    const inWindow = String(window.id);
    const [row] = (await intentRows(pool)).filter((r) => r.id === inWindow);
    expect(row).toMatchObject({ status: 'pending', run_id: null });
    const before = await settledRuns(env.temporal.address, taskQueue, 10);
    expect(before.get(String(row?.workflow_id))).toHaveLength(1);

    const second = startService({
      connectionString,
      address: env.temporal.address,
      taskQueue,
      leaseMs: 3_000,
    });
    defer(() => second.kill());
    await waitUntil(async () => (await statusCounts(pool)).started === 40, {
      timeoutMs: 60_000,
      intervalMs: 250,
      what: '40 intents started',
    });
    const runs = await settledRuns(env.temporal.address, taskQueue, 40);
    const result = exactlyOnce(await intentRows(pool), runs);
    expect(result).toEqual({ intents: 40, lost: 0, duplicates: 0, mismatched: 0, failed: [] });
    // The intent in the window was sent again (its lease expired) and got the run it had started.
    const after = (await intentRows(pool)).find((r) => r.id === inWindow);
    expect([after?.run_id]).toEqual(before.get(String(row?.workflow_id)));
    console.log(
      `maybe-applied window: intent ${inWindow} re-sent after SIGKILL, same run; lost=0 duplicates=0`,
    );
  });

  it('three replicas on one PostgreSQL, one SIGKILLed mid-drain: 0 lost, 0 duplicates, taken over within the lease', async () => {
    const { connectionString, pool } = await database();
    const taskQueue = `outbox-replicas-${Date.now()}`;
    const count = 900;
    // Enqueued before any replica runs, by a fourth process that then exits.
    const loader = startService({
      connectionString,
      address: `127.0.0.1:1`,
      taskQueue,
      enqueue: { prefix: 'replica', count },
    });
    defer(() => loader.kill());
    await loader.next('enqueued');
    await loader.kill();
    const leaseMs = 3_000;
    const replicas = [0, 1, 2].map(() =>
      startService({
        connectionString,
        address: env.temporal.address,
        taskQueue,
        leaseMs,
        concurrency: 2,
        batchSize: 10,
      }),
    );
    for (const r of replicas) defer(() => r.kill());
    await waitUntil(async () => ((await statusCounts(pool)).started ?? 0) >= count / 4, {
      timeoutMs: 60_000,
      intervalMs: 50,
      what: 'a quarter of the intents started',
    });
    const victim = replicas[0];
    await victim?.kill();
    const killedAt = performance.now();
    // What the dead replica held (its owner id carries its pid): due again only when those leases expire.
    const { rows: held } = await pool.query<{ id: string }>(
      "SELECT id FROM temporal_supervisor.outbox_intents WHERE status = 'pending' AND lease_owner LIKE $1",
      [`%:${victim?.child.pid}:%`],
    );
    const heldIds = held.map((r) => r.id);
    const takeover = waitUntil(
      async () => {
        const { rows } = await pool.query<{ n: string }>(
          "SELECT count(*) AS n FROM temporal_supervisor.outbox_intents WHERE id = ANY($1) AND status = 'started'",
          [heldIds],
        );
        return Number(rows[0]?.n) === heldIds.length && performance.now() - killedAt;
      },
      { timeoutMs: 120_000, intervalMs: 100, what: "the dead replica's intents to be taken over" },
    );
    await waitUntil(async () => (await statusCounts(pool)).started === count, {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: `${count} intents started`,
    });
    const finishedMs = performance.now() - killedAt;
    const takeoverMs = await takeover;
    const result = exactlyOnce(
      await intentRows(pool),
      await settledRuns(env.temporal.address, taskQueue, count),
    );
    expect(result).toEqual({ intents: count, lost: 0, duplicates: 0, mismatched: 0, failed: [] });
    const perReplica = replicas.map((r) =>
      Number(r.events.findLast((e) => e.event === 'progress')?.started ?? 0),
    );
    expect(perReplica.every((n) => n > 0)).toBe(true);
    console.log(
      `3 replicas, one SIGKILLed mid-drain holding ${heldIds.length} leased intents: started=${count} lost=0 duplicates=0; ` +
        `per replica ${perReplica.join('/')}; its intents all started ${Number(takeoverMs).toFixed(0)} ms after the kill ` +
        `(lease ${leaseMs} ms), the whole backlog ${finishedMs.toFixed(0)} ms after it`,
    );
  });

  it('the embedded store: SIGKILLed with 200 intents pending during an outage, reopened by the next process: each started once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outbox-embedded-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'pglite');
    const taskQueue = `outbox-embedded-${Date.now()}`;
    // Temporal "down" for the first process: an address where nothing listens.
    const first = startService({
      embeddedPath: path,
      address: '127.0.0.1:1',
      taskQueue,
      enqueue: { prefix: 'emb', count: 200 },
    });
    defer(() => first.kill());
    await first.next('enqueued', 180_000);
    await first.kill();

    const supervisor = createSupervisor({
      address: env.temporal.address,
      envConfig: false,
      creators: { outbox: {} },
    });
    defer(() => supervisor.stop());
    const outbox = await createOutbox({ supervisor, creator: 'outbox', store: { path } });
    defer(() => outbox.stop());
    expect((await outbox.metrics()).depth).toMatchObject({ pending: 200, started: 0 });
    supervisor.start();
    await waitUntil(async () => (await outbox.metrics()).depth.started === 200, {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: '200 embedded intents started',
    });
    const runs = await settledRuns(env.temporal.address, taskQueue, 200);
    const rows = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const status = await outbox.status(`emb-${i}`);
        return {
          id: `emb-${i}`,
          workflow_id: `emb-wf-${i}`,
          status: String(status?.status),
          run_id: status?.status === 'started' ? status.runId : null,
          failure_reason: status?.status === 'failed' ? status.reason : null,
        };
      }),
    );
    expect(exactlyOnce(rows, runs)).toEqual({
      intents: 200,
      lost: 0,
      duplicates: 0,
      mismatched: 0,
      failed: [],
    });
    console.log('embedded store: 200 intents survived SIGKILL; reopened, started=200 lost=0 duplicates=0');
  });
});
