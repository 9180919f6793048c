import {
  OutboxInputError,
  OutboxIntentConflictError,
  OutboxSchemaError,
  OutboxUnavailableError,
} from './errors.js';
import { applyMigrations, checkSchema, OUTBOX_MIGRATIONS, OUTBOX_SCHEMA_VERSION } from './migrations.js';
import { type Queryable, SCHEMA_STATES, type SqlDriver, sqlState } from './sql.js';
import type { EnqueueResult, OutboxStore } from './store.js';
import type { ClaimedIntent, IntentFailureReason, IntentStatus, OutboxDepth, StoredIntent } from './types.js';

export interface SqlStoreOptions {
  readonly kind: 'postgres' | 'embedded';
  readonly schema: string;
  /** Apply missing migrations at `open()` instead of refusing to start. */
  readonly migrate: boolean;
  /** Only this process uses the store: leases left by an earlier process are freed at `open()`. */
  readonly exclusive: boolean;
  /** Whether `tx` is a transaction of this driver (duck-typed: has `query`). */
  readonly isTransaction: (tx: unknown) => tx is Queryable;
}

const ms = (value: unknown) => Math.max(0, Math.round(Number(value ?? 0)));
const text = (value: unknown) => (value === null || value === undefined ? undefined : String(value));

/**
 * The outbox on PostgreSQL or PGlite: one table, claimed with `FOR UPDATE SKIP LOCKED` under a lease whose
 * expiry is the intent's `available_at` (an intent whose dispatcher died is due again when its lease
 * expires), woken by NOTIFY from the enqueuing transaction (delivered at commit, never on a rollback).
 * Due intents are claimed oldest first (by `created_at`): a dead replica's intents, due again when their
 * leases expire, go before the younger backlog instead of behind it.
 */
export class SqlOutboxStore implements OutboxStore {
  readonly kind: 'postgres' | 'embedded';
  private readonly t: string;
  private readonly channel: string;

  constructor(
    private readonly db: SqlDriver,
    private readonly options: SqlStoreOptions,
  ) {
    this.kind = options.kind;
    this.t = `${options.schema}.outbox_intents`;
    this.channel = `${options.schema}_outbox`;
  }

  async open(): Promise<void> {
    await this.run('open', async () => {
      if (this.options.migrate) await applyMigrations(this.db, this.options.schema);
      else await checkSchema(this.db, this.options.schema);
      if (this.options.exclusive) {
        await this.db.query(
          `UPDATE ${this.t} SET lease_owner = NULL, available_at = now() WHERE status = 'pending' AND lease_owner IS NOT NULL`,
        );
      }
    });
  }

  async enqueue(intent: StoredIntent, tx?: unknown): Promise<EnqueueResult> {
    const db = tx === undefined ? this.db : this.transactionOf(tx);
    const inserted = await this.run('enqueue', async () => {
      // NOTIFY inside the same statement: delivered at commit (of the caller's transaction, with `tx`).
      const result = await db.query(
        `INSERT INTO ${this.t} (id, workflow_type, workflow_id, task_queue, payload, payload_bytes)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING
         RETURNING pg_notify($7, id) AS notified`,
        [
          intent.id,
          intent.workflowType,
          intent.workflowId,
          intent.taskQueue,
          intent.payload,
          Buffer.byteLength(intent.payload),
          this.channel,
        ],
      );
      return result.rows.length === 1;
    });
    if (inserted) return { id: intent.id, duplicate: false };
    // Only for a repeated id: is it the same start?
    const [row] = await this.run('enqueue', async () => {
      const result = await db.query(
        `SELECT workflow_id AS existing_workflow_id, workflow_type AS existing_workflow_type FROM ${this.t} WHERE id = $1`,
        [intent.id],
      );
      return result.rows;
    });
    if (
      row?.existing_workflow_id !== intent.workflowId ||
      row?.existing_workflow_type !== intent.workflowType
    ) {
      throw new OutboxIntentConflictError(
        `Intent id ${JSON.stringify(intent.id)} was already enqueued for workflow ${JSON.stringify(row?.existing_workflow_id)} (${String(row?.existing_workflow_type)}), not ${JSON.stringify(intent.workflowId)} (${intent.workflowType}); nothing was stored. Give each start its own intent id.`,
        intent.id,
      );
    }
    return { id: intent.id, duplicate: true };
  }

  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedIntent[]> {
    const rows = await this.run('claim', async () => {
      const result = await this.db.query(
        `WITH due AS (
           SELECT id FROM ${this.t}
           WHERE status = 'pending' AND available_at <= now()
           ORDER BY created_at, id LIMIT $1
           FOR UPDATE SKIP LOCKED)
         UPDATE ${this.t} i
         SET lease_owner = $2, attempts = i.attempts + 1,
             available_at = now() + make_interval(secs => $3::double precision / 1000)
         FROM due WHERE i.id = due.id
         RETURNING i.id, i.workflow_type, i.workflow_id, i.task_queue, i.payload, i.attempts`,
        [limit, owner, leaseMs],
      );
      return result.rows;
    });
    return rows.map((r) => ({
      id: String(r.id),
      workflowType: String(r.workflow_type),
      workflowId: String(r.workflow_id),
      taskQueue: String(r.task_queue),
      payload: String(r.payload),
      attempts: Number(r.attempts),
    }));
  }

  async recordStarted(id: string, runId: string): Promise<void> {
    await this.run('recordStarted', () =>
      this.db.query(
        `UPDATE ${this.t} SET status = 'started', run_id = $2, lease_owner = NULL, last_error = NULL, finished_at = now()
         WHERE id = $1 AND status = 'pending'`,
        [id, runId],
      ),
    );
  }

  async recordFailed(id: string, reason: IntentFailureReason, message: string): Promise<void> {
    await this.run('recordFailed', () =>
      this.db.query(
        `UPDATE ${this.t} SET status = 'failed', failure_reason = $2, last_error = $3, lease_owner = NULL, finished_at = now()
         WHERE id = $1 AND status = 'pending'`,
        [id, reason, message.slice(0, 2000)],
      ),
    );
  }

  async release(id: string, owner: string, retryInMs: number, error: string | undefined): Promise<void> {
    await this.run('release', () =>
      this.db.query(
        `UPDATE ${this.t}
         SET lease_owner = NULL, last_error = coalesce($4, last_error),
             available_at = now() + make_interval(secs => $3::double precision / 1000)
         WHERE id = $1 AND status = 'pending' AND lease_owner = $2`,
        [id, owner, retryInMs, error?.slice(0, 2000) ?? null],
      ),
    );
  }

  async releaseOwner(owner: string): Promise<void> {
    await this.run('releaseOwner', () =>
      this.db.query(
        `UPDATE ${this.t} SET lease_owner = NULL, available_at = now() WHERE status = 'pending' AND lease_owner = $1`,
        [owner],
      ),
    );
  }

  async status(id: string): Promise<IntentStatus | undefined> {
    const [r] = await this.run('status', async () => {
      const result = await this.db.query(
        `SELECT id, workflow_id, status, attempts, run_id, failure_reason, last_error, created_at, finished_at
         FROM ${this.t} WHERE id = $1`,
        [id],
      );
      return result.rows;
    });
    if (!r) return undefined;
    const common = {
      id: String(r.id),
      workflowId: String(r.workflow_id),
      attempts: Number(r.attempts),
      createdAt: new Date(r.created_at as Date),
    };
    if (r.status === 'started') {
      return {
        status: 'started',
        ...common,
        runId: String(r.run_id),
        finishedAt: new Date(r.finished_at as Date),
      };
    }
    if (r.status === 'failed') {
      return {
        status: 'failed',
        ...common,
        reason: String(r.failure_reason) as IntentFailureReason,
        message: text(r.last_error) ?? '',
        finishedAt: new Date(r.finished_at as Date),
      };
    }
    return { status: 'pending', ...common, lastError: text(r.last_error) };
  }

  async depth(): Promise<OutboxDepth> {
    const [r] = await this.run('depth', async () => {
      const result = await this.db.query(
        `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
                count(*) FILTER (WHERE status = 'started') AS started,
                count(*) FILTER (WHERE status = 'failed') AS failed,
                extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')) * 1000 AS oldest_ms
         FROM ${this.t}`,
      );
      return result.rows;
    });
    return {
      pending: Number(r?.pending ?? 0),
      started: Number(r?.started ?? 0),
      failed: Number(r?.failed ?? 0),
      oldestPendingAgeMs: ms(r?.oldest_ms),
    };
  }

  async nextDueInMs(): Promise<number | undefined> {
    const [r] = await this.run('nextDue', async () => {
      const result = await this.db.query(
        `SELECT extract(epoch FROM min(available_at) - now()) * 1000 AS due_ms FROM ${this.t} WHERE status = 'pending'`,
      );
      return result.rows;
    });
    return r?.due_ms === null || r?.due_ms === undefined ? undefined : ms(r.due_ms);
  }

  async purge(olderThanMs: number, options: { readonly failed: boolean }): Promise<number> {
    const rows = await this.run('purge', async () => {
      const result = await this.db.query(
        `DELETE FROM ${this.t}
         WHERE status IN ('started', $2) AND finished_at < now() - make_interval(secs => $1::double precision / 1000)
         RETURNING id`,
        [olderThanMs, options.failed ? 'failed' : 'started'],
      );
      return result.rows;
    });
    return rows.length;
  }

  listen(onWake: () => void): Promise<() => Promise<void>> {
    return this.run('listen', () => this.db.listen(this.channel, onWake));
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private transactionOf(tx: unknown): Queryable {
    if (this.options.isTransaction(tx)) return tx;
    throw new OutboxInputError(
      `Expected \`tx\` to be a transaction of the outbox's ${this.kind === 'postgres' ? 'pg pool (a PoolClient inside BEGIN … COMMIT)' : 'PGlite database (the argument of db.transaction)'}, got ${tx === null ? 'null' : typeof tx}.`,
      'tx',
    );
  }

  /** Runs a statement; a driver failure becomes a typed error (schema, or unavailable). */
  private async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof OutboxSchemaError || error instanceof OutboxIntentConflictError) throw error;
      const state = sqlState(error);
      if (state !== undefined && SCHEMA_STATES.has(state)) {
        const latest = OUTBOX_MIGRATIONS[OUTBOX_MIGRATIONS.length - 1];
        throw new OutboxSchemaError(
          `The outbox schema ${this.options.schema} does not match this temporal-supervisor (${operation}: ${(error as Error).message}): apply migration ${latest?.name} (version ${OUTBOX_SCHEMA_VERSION}) with migrateOutbox(pool).`,
          { found: undefined, expected: OUTBOX_SCHEMA_VERSION, migration: latest?.name ?? '', cause: error },
        );
      }
      throw new OutboxUnavailableError(
        `The outbox database failed during ${operation}: ${error instanceof Error ? error.message : String(error)}. ${operation === 'enqueue' ? 'The intent was NOT stored: retry, or report the failure to the caller.' : 'No stored intent was lost: the dispatcher retries once the database is back.'}`,
        { operation, cause: error },
      );
    }
  }
}
