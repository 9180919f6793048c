/**
 * The SQL store on PGlite (the same statements run on PostgreSQL; test/integration/outbox-postgres.test.ts
 * runs them there): enqueue and idempotency, leases and their expiry, release with a delay, outcomes,
 * the caller's transaction, the schema check naming its migration, retention.
 */
import { describe, expect, it } from 'vitest';
import { embeddedStore } from '../../src/outbox/embedded-store.js';
import { OutboxIntentConflictError, OutboxSchemaError } from '../../src/outbox/errors.js';
import { toStoredIntent } from '../../src/outbox/intent.js';
import { applyMigrations, OUTBOX_MIGRATIONS } from '../../src/outbox/migrations.js';
import type { SqlDriver } from '../../src/outbox/sql.js';
import { SqlOutboxStore } from '../../src/outbox/sql-store.js';
import { usePglite } from '../support/pglite.js';

const pglite = usePglite('s');

async function freshStore() {
  const store = embeddedStore({ pglite: pglite.db(), schema: pglite.nextSchema() });
  await store.open();
  return store;
}

const intent = (n: number, over: Record<string, unknown> = {}) =>
  toStoredIntent(
    {
      id: `i-${n}`,
      workflowType: 'processOrder',
      workflowId: `order-${n}`,
      taskQueue: 'orders',
      args: [n],
      ...over,
    },
    1_000_000,
  );
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SQL outbox store (PGlite)', () => {
  it('stores an intent once: the same id again is a duplicate, the same id for another workflow a conflict', async () => {
    const store = await freshStore();
    expect(await store.enqueue(intent(1))).toEqual({ id: 'i-1', duplicate: false });
    expect(await store.enqueue(intent(1))).toEqual({ id: 'i-1', duplicate: true });
    await expect(store.enqueue(intent(1, { workflowId: 'order-other' }))).rejects.toBeInstanceOf(
      OutboxIntentConflictError,
    );
    expect(await store.depth()).toMatchObject({ pending: 1, started: 0, failed: 0 });
    expect(await store.status('i-1')).toMatchObject({
      status: 'pending',
      workflowId: 'order-1',
      attempts: 0,
    });
    expect(await store.status('nope')).toBeUndefined();
  });

  it('leases claimed intents: another owner gets none until the lease expires, then gets them (attempt 2)', async () => {
    const store = await freshStore();
    for (let i = 0; i < 5; i++) await store.enqueue(intent(i));
    const a = await store.claim('A', 3, 150);
    expect(a.map((x) => x.id).sort()).toEqual(['i-0', 'i-1', 'i-2']);
    expect(a.every((x) => x.attempts === 1)).toBe(true);
    const b = await store.claim('B', 10, 150);
    expect(b.map((x) => x.id).sort()).toEqual(['i-3', 'i-4']);
    expect(await store.claim('B', 10, 150)).toEqual([]);
    await sleep(250);
    const again = await store.claim('B', 10, 150);
    expect(again).toHaveLength(5);
    expect(again.every((x) => x.attempts === 2)).toBe(true);
  });

  it("claims the oldest due intent first: a dead owner's intent, due again, goes before the younger backlog", async () => {
    const store = await freshStore();
    await store.enqueue(intent(0));
    expect(await store.claim('dead', 1, 100)).toHaveLength(1);
    for (let i = 1; i <= 5; i++) await store.enqueue(intent(i));
    expect((await store.claim('alive', 1, 60_000)).map((x) => x.id)).toEqual(['i-1']);
    await sleep(150);
    expect((await store.claim('alive', 2, 60_000)).map((x) => x.id)).toEqual(['i-0', 'i-2']);
  });

  it('a released intent is due again after its delay; a release by an owner that lost the lease is ignored', async () => {
    const store = await freshStore();
    await store.enqueue(intent(1));
    const [claimed] = await store.claim('A', 1, 10_000);
    await store.release(claimed?.id ?? '', 'B', 0, 'not mine'); // B holds nothing: no effect
    expect(await store.claim('C', 1, 10_000)).toEqual([]);
    await store.release('i-1', 'A', 200, 'boom');
    expect(await store.status('i-1')).toMatchObject({ status: 'pending', lastError: 'boom', attempts: 1 });
    const due = await store.nextDueInMs();
    expect(due).toBeGreaterThan(100);
    expect(due).toBeLessThanOrEqual(200);
    expect(await store.claim('C', 1, 10_000)).toEqual([]);
    await sleep(250);
    expect(await store.claim('C', 1, 10_000)).toHaveLength(1);
  });

  it('records outcomes: started with its run id, failed with its reason; both leave the pending count', async () => {
    const store = await freshStore();
    await store.enqueue(intent(1));
    await store.enqueue(intent(2));
    await store.claim('A', 2, 10_000);
    await store.recordStarted('i-1', 'run-1');
    await store.recordFailed('i-2', 'ALREADY_STARTED', 'taken');
    expect(await store.status('i-1')).toMatchObject({ status: 'started', runId: 'run-1' });
    expect(await store.status('i-2')).toMatchObject({
      status: 'failed',
      reason: 'ALREADY_STARTED',
      message: 'taken',
    });
    expect(await store.depth()).toEqual({ pending: 0, started: 1, failed: 1, oldestPendingAgeMs: 0 });
    expect(await store.nextDueInMs()).toBeUndefined();
    // A finished intent is never claimed again, nor changed by a late record.
    await store.recordFailed('i-1', 'INVALID_REQUEST', 'late');
    expect(await store.status('i-1')).toMatchObject({ status: 'started', runId: 'run-1' });
  });

  it("enqueues in the caller's transaction: gone with a rollback, there after a commit", async () => {
    const store = await freshStore();
    await expect(
      pglite.db().transaction(async (tx) => {
        await store.enqueue(intent(1), tx);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await store.status('i-1')).toBeUndefined();
    await pglite.db().transaction(async (tx) => {
      await store.enqueue(intent(2), tx);
    });
    expect(await store.status('i-2')).toMatchObject({ status: 'pending' });
  });

  it('releaseOwner gives back only what that owner holds', async () => {
    const store = await freshStore();
    for (let i = 0; i < 4; i++) await store.enqueue(intent(i));
    await store.claim('A', 2, 60_000);
    await store.claim('B', 2, 60_000);
    await store.releaseOwner('A');
    expect(await store.claim('C', 10, 60_000)).toHaveLength(2);
  });

  it('purges finished intents older than asked, failed ones only when asked', async () => {
    const store = await freshStore();
    for (let i = 0; i < 3; i++) await store.enqueue(intent(i));
    await store.claim('A', 3, 60_000);
    await store.recordStarted('i-0', 'r0');
    await store.recordFailed('i-1', 'INVALID_REQUEST', 'bad');
    await sleep(30);
    expect(await store.purge(60_000, { failed: true })).toBe(0);
    expect(await store.purge(10, { failed: false })).toBe(1);
    expect(await store.purge(10, { failed: true })).toBe(1);
    expect(await store.depth()).toMatchObject({ pending: 1, started: 0, failed: 0 });
  });

  it('an embedded store frees the leases of an earlier process at open', async () => {
    const schema = pglite.nextSchema();
    const first = embeddedStore({ pglite: pglite.db(), schema });
    await first.open();
    await first.enqueue(intent(1));
    expect(await first.claim('dead-process', 1, 600_000)).toHaveLength(1);
    const second = embeddedStore({ pglite: pglite.db(), schema });
    await second.open();
    expect(await second.claim('new-process', 1, 600_000)).toHaveLength(1);
  });
});

describe('schema check', () => {
  const driver = (): SqlDriver => ({
    query: (text, params) => pglite.db().query(text, params),
    transaction: (fn) => pglite.db().transaction(fn),
    listen: async () => async () => {},
    close: async () => {},
  });
  const checked = (schema: string) =>
    new SqlOutboxStore(driver(), {
      kind: 'postgres',
      schema,
      migrate: false,
      exclusive: false,
      isTransaction: (t): t is never => false,
    });

  it('refuses a database without the outbox schema, naming the migration to apply', async () => {
    const error = await checked('never_migrated')
      .open()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxSchemaError);
    expect(error).toMatchObject({ found: undefined, expected: 1, migration: '001_create_outbox' });
    expect((error as Error).message).toContain('apply migration 001_create_outbox');
    expect((error as Error).message).toContain('migrateOutbox(pool)');
  });

  it('refuses a schema newer than this library, and accepts one at its version', async () => {
    const schema = pglite.nextSchema();
    await embeddedStore({ pglite: pglite.db(), schema }).open();
    await checked(schema).open();
    await pglite.db().query(`INSERT INTO ${schema}.outbox_schema (version, name) VALUES (2, '002_future')`);
    const error = await checked(schema)
      .open()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'OutboxSchemaError', found: 2, expected: 1 });
    expect((error as Error).message).toContain('Upgrade temporal-supervisor');
  });

  it('a table altered under it (a dropped column) is a schema error, not an outage', async () => {
    const schema = pglite.nextSchema();
    const store = embeddedStore({ pglite: pglite.db(), schema });
    await store.open();
    await pglite.db().query(`ALTER TABLE ${schema}.outbox_intents DROP COLUMN payload_bytes`);
    await expect(store.enqueue(intent(1))).rejects.toMatchObject({
      name: 'OutboxSchemaError',
      migration: OUTBOX_MIGRATIONS[0]?.name,
    });
  });
});

describe('applyMigrations with replicas starting together', () => {
  /**
   * A database on which another replica applied the migrations while this one's first transaction waited for
   * the lock, and whose first transaction still answers from a catalog older than that commit: the schema
   * looks missing, and creating it fails with `error` (PostgreSQL's duplicate_table).
   */
  function racedDatabase(error: { code: string; message: string }, { repeat = false } = {}) {
    const transactions: string[][] = [];
    const db: SqlDriver = {
      query: async () => ({ rows: [] }),
      async transaction(fn) {
        const stale = repeat || transactions.length === 0;
        const statements: string[] = [];
        transactions.push(statements);
        return fn({
          async query(text: string) {
            statements.push(text.trim().split(/\s+/).slice(0, 2).join(' '));
            if (text.includes('to_regclass')) return { rows: [{ t: stale ? null : 'outbox_schema' }] };
            if (text.includes('max(version)')) return { rows: [{ v: 1 }] };
            if (stale && text.trim().startsWith('CREATE TABLE'))
              throw Object.assign(new Error(error.message), error);
            return { rows: [] };
          },
        });
      },
      listen: async () => async () => {},
      close: async () => {},
    };
    return { db, transactions };
  }
  const duplicateTable = { code: '42P07', message: 'relation "outbox_schema" already exists' };

  it('a migration another replica applied meanwhile is seen in a new transaction: nothing applied twice', async () => {
    const { db, transactions } = racedDatabase(duplicateTable);
    expect(await applyMigrations(db, 'raced')).toEqual([]);
    expect(transactions).toHaveLength(2);
    // The second transaction takes the lock, reads the version and creates nothing.
    expect(transactions[1]).toEqual([
      "SELECT pg_advisory_xact_lock(hashtext('raced.outbox'))",
      "SELECT to_regclass('raced.outbox_schema')",
      'SELECT max(version)',
    ]);
  });

  it('tries once more only: the same failure twice, or any other failure, is thrown', async () => {
    const twice = racedDatabase(duplicateTable, { repeat: true });
    await expect(applyMigrations(twice.db, 'raced')).rejects.toMatchObject({ code: '42P07' });
    expect(twice.transactions).toHaveLength(2);
    const other = racedDatabase({ code: '42501', message: 'permission denied for database' });
    await expect(applyMigrations(other.db, 'raced')).rejects.toMatchObject({ code: '42501' });
    expect(other.transactions).toHaveLength(1);
  });
});
