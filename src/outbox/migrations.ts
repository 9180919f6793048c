import { OutboxSchemaError } from './errors.js';
import type { Queryable, SqlDriver } from './sql.js';

/** One versioned migration of the outbox schema, shipped with the library. */
export interface OutboxMigration {
  readonly version: number;
  /** Its name, as errors and docs refer to it. */
  readonly name: string;
  /** The statements, for a schema named `schema`. */
  sql(schema: string): string;
}

export const OUTBOX_MIGRATIONS: readonly OutboxMigration[] = [
  {
    version: 1,
    name: '001_create_outbox',
    sql: (s) => `
CREATE SCHEMA IF NOT EXISTS ${s};
CREATE TABLE ${s}.outbox_schema (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE ${s}.outbox_intents (
  id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
  workflow_type text NOT NULL,
  workflow_id text NOT NULL,
  task_queue text NOT NULL,
  payload text NOT NULL,
  payload_bytes integer NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'started', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  available_at timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  run_id text,
  failure_reason text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX outbox_intents_fifo ON ${s}.outbox_intents (created_at) WHERE status = 'pending';
CREATE INDEX outbox_intents_due ON ${s}.outbox_intents (available_at) WHERE status = 'pending';
CREATE INDEX outbox_intents_finished ON ${s}.outbox_intents (finished_at) WHERE status <> 'pending';`,
  },
];

/** The schema version this library reads and writes. */
export const OUTBOX_SCHEMA_VERSION: number = OUTBOX_MIGRATIONS.length;

function latest(): OutboxMigration {
  return OUTBOX_MIGRATIONS[OUTBOX_MIGRATIONS.length - 1] as OutboxMigration;
}

/** All migrations as one SQL script, for operators who apply schema changes themselves (psql, Flyway, …). */
export function outboxMigrationSql(schema = 'temporal_supervisor'): string {
  return OUTBOX_MIGRATIONS.map(
    (m) =>
      `-- ${m.name}\n${m.sql(schema).trim()}\nINSERT INTO ${schema}.outbox_schema (version, name) VALUES (${m.version}, '${m.name}');\n`,
  ).join('\n');
}

async function installedVersion(db: Queryable, schema: string): Promise<number | undefined> {
  const [row] = (await db.query(`SELECT to_regclass('${schema}.outbox_schema') AS t`)).rows;
  if (row?.t === null || row?.t === undefined) return undefined;
  const [v] = (await db.query(`SELECT max(version) AS v FROM ${schema}.outbox_schema`)).rows;
  return v?.v === null || v?.v === undefined ? undefined : Number(v.v);
}

/**
 * Applies the migrations the database lacks, in one transaction under an advisory lock (replicas starting
 * together apply them once). Returns the names applied.
 *
 * A replica whose transaction began while another one was applying them can still find the schema missing
 * once it holds the lock, and fail to create what now exists (`42P07`, seen with three replicas on one
 * pool): PostgreSQL takes other sessions' catalog changes in at a transaction's start or a table lock, not
 * at an advisory lock, so the backend may answer from a catalog cache older than the other's commit. That
 * failure is tried once more, in a new transaction, which sees the schema as it is.
 */
export async function applyMigrations(db: SqlDriver, schema: string): Promise<string[]> {
  try {
    return await applyMissing(db, schema);
  } catch (error) {
    if (!createdMeanwhile(error)) throw error;
    return applyMissing(db, schema);
  }
}

/** duplicate_table, duplicate_schema, duplicate_object, unique_violation (the version row). */
const CREATED_MEANWHILE = new Set(['42P07', '42P06', '42710', '23505']);

function createdMeanwhile(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && CREATED_MEANWHILE.has(code);
}

function applyMissing(db: SqlDriver, schema: string): Promise<string[]> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('${schema}.outbox'))`);
    const found = (await installedVersion(tx, schema)) ?? 0;
    if (found > OUTBOX_SCHEMA_VERSION) throw tooNew(found, schema);
    const applied: string[] = [];
    for (const m of OUTBOX_MIGRATIONS.filter((x) => x.version > found)) {
      // One statement at a time: the extended protocol takes no multi-statement strings.
      for (const statement of m.sql(schema).split(';\n')) {
        if (statement.trim()) await tx.query(statement);
      }
      await tx.query(`INSERT INTO ${schema}.outbox_schema (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      applied.push(m.name);
    }
    return applied;
  });
}

function tooNew(found: number, schema: string): OutboxSchemaError {
  return new OutboxSchemaError(
    `The outbox schema ${schema} is at version ${found}, newer than this temporal-supervisor knows (${OUTBOX_SCHEMA_VERSION}, migration ${latest().name}). Upgrade temporal-supervisor on every replica.`,
    { found, expected: OUTBOX_SCHEMA_VERSION, migration: latest().name },
  );
}

/** Throws an `OutboxSchemaError` naming the migration to apply unless the schema is exactly at our version. */
export async function checkSchema(db: Queryable, schema: string): Promise<void> {
  const found = await installedVersion(db, schema);
  if (found === OUTBOX_SCHEMA_VERSION) return;
  if (found !== undefined && found > OUTBOX_SCHEMA_VERSION) throw tooNew(found, schema);
  const missing = OUTBOX_MIGRATIONS.filter((m) => m.version > (found ?? 0)).map((m) => m.name);
  throw new OutboxSchemaError(
    `${found === undefined ? `The outbox schema ${schema} is missing (no table ${schema}.outbox_schema)` : `The outbox schema ${schema} is at version ${found}, this temporal-supervisor needs ${OUTBOX_SCHEMA_VERSION}`}: apply migration ${missing.join(', ')} with migrateOutbox(pool), createOutbox({ store: { migrate: true } }), or the SQL of outboxMigrationSql().`,
    { found, expected: OUTBOX_SCHEMA_VERSION, migration: missing[0] ?? latest().name },
  );
}
