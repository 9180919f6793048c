/**
 * The outbox in this process on a real PostgreSQL (harness) and the real Temporal dev server: the
 * transactional pattern (rollback → nothing started, commit → started once), PostgreSQL restarted mid-drain
 * (the dispatcher backs off and resumes; enqueue during the outage rejects with a typed error), SKIP LOCKED
 * claims, bad input (payload over the server's limit, the same id twice, a missing schema), and replicas
 * migrating at once (a stale catalog after the advisory lock).
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor } from '../../src/index.js';
import {
  createOutbox,
  isOutboxUnavailableError,
  migrateOutbox,
  type Outbox,
  type OutboxOptions,
  outboxMigrationSql,
  postgresStore,
} from '../../src/outbox/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { waitUntil } from '../harness/wait.js';
import { exactlyOnce, intentRows, settledRuns, useOutboxServers } from './outbox-support.js';

const defer = useCleanups();
const env = useOutboxServers('outbox_pg', defer);
const database = async (options: { migrate?: boolean } = {}) => (await env.database(options)).pool;

async function service(
  pool: pg.Pool,
  options: OutboxOptions = {},
): Promise<{ supervisor: Supervisor; outbox: Outbox }> {
  const supervisor = createSupervisor({
    address: env.temporal.address,
    envConfig: false,
    creators: { outbox: {} },
  });
  defer(() => supervisor.stop());
  const outbox = await createOutbox({
    supervisor,
    creator: 'outbox',
    store: { pool },
    pollInterval: 500,
    drainRetry: { initialDelay: 100, maxDelay: 1_000 },
    ...options,
  });
  defer(() => outbox.stop());
  supervisor.start();
  await supervisor.waitFor('connected', { timeout: '30s' });
  return { supervisor, outbox };
}

const intent = (taskQueue: string, n: number, over: Record<string, unknown> = {}) => ({
  id: `${taskQueue}-i${n}`,
  workflowType: 'greetAfterSleep',
  workflowId: `${taskQueue}-wf${n}`,
  taskQueue,
  args: [`n${n}`, 10],
  ...over,
});

describe('outbox on a real PostgreSQL', () => {
  it('in the caller’s transaction: a rollback starts nothing, a commit starts it exactly once', async () => {
    const pool = await database();
    const { outbox } = await service(pool);
    const taskQueue = `outbox-tx-${Date.now()}`;
    await pool.query('CREATE TABLE orders (id text PRIMARY KEY)');
    const placeOrder = async (n: number, fail: boolean) => {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('INSERT INTO orders (id) VALUES ($1)', [`order-${n}`]);
        await outbox.enqueue(intent(taskQueue, n), { tx: client });
        if (fail) throw new Error('payment declined');
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      } finally {
        client.release();
      }
    };
    await expect(placeOrder(1, true)).rejects.toThrow('payment declined');
    await placeOrder(2, false);
    const started = await outbox.wait(`${taskQueue}-i2`, { timeout: '20s' });
    expect(started).toMatchObject({ status: 'started' });
    expect(await outbox.status(`${taskQueue}-i1`)).toBeUndefined();
    const { rows } = await pool.query('SELECT id FROM orders');
    expect(rows).toEqual([{ id: 'order-2' }]);
    const runs = await settledRuns(env.temporal.address, taskQueue, 1);
    expect([...runs.entries()]).toEqual([[`${taskQueue}-wf2`, [(started as { runId: string }).runId]]]);
  });

  it('PostgreSQL restarted mid-drain: the dispatcher backs off and resumes; enqueue meanwhile rejects, typed', async () => {
    const { pool, connectionString } = await env.database();
    // No poll to speak of: after the restart, only NOTIFY (a LISTEN that reconnected) can wake it.
    const { outbox } = await service(pool, { concurrency: 2, batchSize: 10, pollInterval: '10m' });
    const taskQueue = `outbox-pgdown-${Date.now()}`;
    const count = 300;
    for (let i = 0; i < count; i++) await outbox.enqueue(intent(taskQueue, i));
    await waitUntil(() => outbox.snapshot().outcomes.started >= 30, {
      timeoutMs: 60_000,
      what: '30 started',
    });
    await env.postgres.kill();
    const rejected = await outbox.enqueue(intent(taskQueue, count)).catch((e: unknown) => e);
    expect(isOutboxUnavailableError(rejected), String(rejected)).toBe(true);
    expect(rejected).toMatchObject({ operation: 'enqueue' });
    expect((rejected as Error).message).toContain('NOT stored');
    await waitUntil(() => outbox.state === 'backoff', {
      timeoutMs: 30_000,
      what: 'the dispatcher to back off',
    });
    const failuresDuringOutage = outbox.snapshot().failures;
    await env.postgres.restart();
    await waitUntil(
      async () => {
        const rows = await intentRows(pool).catch(() => []);
        return rows.length === count && rows.every((r) => r.status === 'started');
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `${count} started after the restart` },
    );
    const result = exactlyOnce(
      await intentRows(pool),
      await settledRuns(env.temporal.address, taskQueue, count),
    );
    expect(result).toEqual({ intents: count, lost: 0, duplicates: 0, mismatched: 0, failed: [] });
    await waitUntil(() => outbox.state === 'idle', { timeoutMs: 10_000, what: 'idle again' });
    // An intent enqueued by another process (here: another store on another pool) wakes it through NOTIFY.
    const other = new pg.Pool({
      connectionString,
      max: 1,
    });
    defer(() => other.end());
    const elsewhere = postgresStore({
      pool: other,
      schema: 'temporal_supervisor',
      migrate: false,
      listenRetryMs: 1_000,
    });
    const notifiedAt = performance.now();
    await elsewhere.enqueue({
      id: `${taskQueue}-late`,
      workflowType: 'greetAfterSleep',
      workflowId: `${taskQueue}-late`,
      taskQueue,
      payload: '{"args":["late",10],"options":{}}',
    });
    expect(await outbox.wait(`${taskQueue}-late`, { timeout: '20s' })).toMatchObject({ status: 'started' });
    const wokenMs = performance.now() - notifiedAt;
    console.log(
      `PostgreSQL SIGKILLed mid-drain and restarted: ${failuresDuringOutage} failed drain(s) in backoff, then ${count} started, lost=0 duplicates=0; enqueue during the outage: ${(rejected as Error).name}; after the restart an intent from another pool was started ${wokenMs.toFixed(0)} ms after its NOTIFY`,
    );
  });

  it('replicas claim disjoint intents: twelve concurrent claims on three pools (FOR UPDATE SKIP LOCKED)', async () => {
    const { pool: first, connectionString: url } = await env.database();
    const others = [0, 1].map(() => {
      const p = new pg.Pool({ connectionString: url, max: 4 });
      p.on('error', () => {});
      defer(() => p.end());
      return p;
    });
    const stores = [first, ...others].map((pool) =>
      postgresStore({ pool, schema: 'temporal_supervisor', migrate: false, listenRetryMs: 1_000 }),
    );
    for (const store of stores) await store.open();
    for (let i = 0; i < 300; i++) {
      await stores[0]?.enqueue({
        id: `c${i}`,
        workflowType: 't',
        workflowId: `w${i}`,
        taskQueue: 'q',
        payload: '{"args":[]}',
      });
    }
    const claims = await Promise.all(
      stores.flatMap((store, r) => [0, 1, 2, 3].map(() => store.claim(`replica-${r}`, 30, 60_000))),
    );
    const ids = claims.flat().map((c) => c.id);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(await stores[1]?.claim('late', 30, 60_000)).toEqual([]);
  });

  it('a payload over the server’s blob limit is a dead letter PAYLOAD_TOO_LARGE, not a retry loop', async () => {
    const pool = await database();
    // Accepted locally (maxPayloadBytes 8 MiB), refused by the server's 2 MB blob size limit.
    const { outbox } = await service(pool, { maxPayloadBytes: 8 * 1024 * 1024 });
    const taskQueue = `outbox-big-${Date.now()}`;
    await outbox.enqueue(intent(taskQueue, 1, { args: ['x'.repeat(3 * 1024 * 1024)] }));
    const status = await outbox.wait(`${taskQueue}-i1`, { timeout: '30s' });
    expect(status).toMatchObject({ status: 'failed', reason: 'PAYLOAD_TOO_LARGE', attempts: 1 });
    expect(outbox.snapshot().outcomes.failedByReason).toEqual({ PAYLOAD_TOO_LARGE: 1 });
    console.log(
      `payload over the server's limit: ${JSON.stringify((status as { message: string }).message)}`,
    );
  });

  it('the same intent id twice is one start; a database without the schema is refused, naming the migration', async () => {
    const pool = await database();
    const { outbox } = await service(pool);
    const taskQueue = `outbox-twice-${Date.now()}`;
    expect(await outbox.enqueue(intent(taskQueue, 1))).toMatchObject({ duplicate: false });
    expect(await outbox.enqueue(intent(taskQueue, 1))).toMatchObject({ duplicate: true });
    await outbox.wait(`${taskQueue}-i1`, { timeout: '20s' });
    expect(await outbox.enqueue(intent(taskQueue, 1))).toMatchObject({ duplicate: true });
    const runs = await settledRuns(env.temporal.address, taskQueue, 1);
    expect([...runs.values()].map((r) => r.length)).toEqual([1]);

    const bare = await database({ migrate: false });
    const supervisor = createSupervisor({
      address: env.temporal.address,
      envConfig: false,
      creators: { outbox: {} },
    });
    defer(() => supervisor.stop());
    await expect(
      createOutbox({ supervisor, creator: 'outbox', store: { pool: bare } }),
    ).rejects.toMatchObject({
      name: 'OutboxSchemaError',
      found: undefined,
      migration: '001_create_outbox',
      message: expect.stringContaining('apply migration 001_create_outbox'),
    });
    // With migrate: true it applies the migration itself, once, even from several replicas at once (three
    // outboxes on one supervisor: each its own name, as its dispatcher is the child dispatcher:<name>).
    const opened = await Promise.allSettled(
      [0, 1, 2].map((i) =>
        createOutbox({
          supervisor,
          creator: 'outbox',
          name: `replica${i}`,
          store: { pool: bare, migrate: true },
        }),
      ),
    );
    // Those that opened are stopped whatever the others did (a running one would hold the pool open).
    for (const o of opened) if (o.status === 'fulfilled') defer(() => o.value.stop());
    expect(opened.map((o) => (o.status === 'fulfilled' ? 'opened' : String(o.reason)))).toEqual([
      'opened',
      'opened',
      'opened',
    ]);
    const { rows } = await bare.query('SELECT version, name FROM temporal_supervisor.outbox_schema');
    expect(rows).toEqual([{ version: 1, name: '001_create_outbox' }]);
  });
  it('a replica that waited for another one migrating applies nothing and fails nothing, though its catalog was stale', async () => {
    // The race a fresh-clone CI run hit, step by step: replica B's backend has looked the schema up before
    // (createOutbox's check), so its catalog cache says "missing"; replica A migrates under the lock; B's
    // transaction begins meanwhile and waits for the lock; A commits. B's first transaction then still sees no
    // schema (an advisory lock takes in no catalog changes) and fails creating it with 42P07.
    const { connectionString, pool: bare } = await env.database({ migrate: false });
    const replicaB = new pg.Pool({ connectionString, max: 1 }); // one backend, the one that looked
    defer(() => replicaB.end());
    const looked = await replicaB.query(`SELECT to_regclass('temporal_supervisor.outbox_schema') AS t`);
    expect(looked.rows).toEqual([{ t: null }]);
    const a = await bare.connect();
    await a.query('BEGIN');
    await a.query(`SELECT pg_advisory_xact_lock(hashtext('temporal_supervisor.outbox'))`);
    for (const statement of outboxMigrationSql().split(';\n')) {
      const sql = statement.replace(/^--.*$/gm, '').trim();
      if (sql) await a.query(sql);
    }
    const b = migrateOutbox(replicaB).then(
      (applied) => ({ applied }),
      (error: unknown) => ({ error }),
    );
    await new Promise((resolve) => setTimeout(resolve, 500)); // B's transaction is waiting for the lock
    await a.query('COMMIT');
    a.release();
    expect(await b).toEqual({ applied: [] });
    const { rows } = await bare.query('SELECT version, name FROM temporal_supervisor.outbox_schema');
    expect(rows).toEqual([{ version: 1, name: '001_create_outbox' }]);
  });
});
