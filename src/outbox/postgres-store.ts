import { applyMigrations } from './migrations.js';
import type { Queryable, SqlDriver } from './sql.js';
import { SqlOutboxStore } from './sql-store.js';
import type { OutboxStore } from './store.js';

/** The part of a `pg` client the outbox uses (a `PoolClient`). */
export interface PgClientLike extends Queryable {
  release(error?: Error | boolean): void;
  on(event: 'notification', listener: (message: { channel: string }) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

/** The part of a `pg` `Pool` the outbox uses. */
export interface PgPoolLike extends Queryable {
  connect(): Promise<PgClientLike>;
}

export interface PostgresStoreOptions {
  /** Your `pg` Pool. The outbox uses it for its statements and holds one of its clients for LISTEN. */
  readonly pool: PgPoolLike;
  /** @default 'temporal_supervisor' */
  readonly schema: string;
  /** Apply missing migrations at start instead of refusing to start. @default false */
  readonly migrate: boolean;
  /** Pause before reconnecting the LISTEN client after it failed. @default 1000 */
  readonly listenRetryMs: number;
}

function isPgClient(tx: unknown): tx is Queryable {
  return typeof (tx as { query?: unknown } | null)?.query === 'function';
}

/** A `SqlDriver` over a `pg` Pool, with a LISTEN client that reconnects after the database restarts. */
export function pgDriver(pool: PgPoolLike, listenRetryMs: number): SqlDriver {
  return {
    query: (text, params) => pool.query(text, params),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        client.release(error instanceof Error ? error : true);
        throw error;
      }
    },
    async listen(channel, onNotify) {
      let stopped = false;
      let client: PgClientLike | undefined;
      let timer: NodeJS.Timeout | undefined;
      const connect = async (): Promise<void> => {
        const next = await pool.connect();
        next.on('notification', (message) => {
          if (message.channel === channel) onNotify();
        });
        next.on('error', (error) => {
          next.removeAllListeners();
          next.release(error);
          if (client === next) client = undefined;
          if (!stopped) timer = setTimeout(retry, listenRetryMs);
        });
        await next.query(`LISTEN ${channel}`);
        if (stopped) {
          next.removeAllListeners();
          next.release();
          return;
        }
        client = next;
      };
      const retry = () => {
        timer = undefined;
        connect().then(
          onNotify, // What was enqueued while it was not listening is due now.
          () => {
            if (!stopped) timer = setTimeout(retry, listenRetryMs);
          },
        );
      };
      await connect();
      return async () => {
        stopped = true;
        if (timer) clearTimeout(timer);
        const current = client;
        client = undefined;
        if (current) {
          current.removeAllListeners();
          await current.query(`UNLISTEN ${channel}`).catch(() => undefined);
          current.release();
        }
      };
    },
    // The pool is the application's: it closes it.
    close: async () => {},
  };
}

/** The outbox on your PostgreSQL, shared by every replica of the service. */
export function postgresStore(options: PostgresStoreOptions): OutboxStore {
  return new SqlOutboxStore(pgDriver(options.pool, options.listenRetryMs), {
    kind: 'postgres',
    schema: options.schema,
    migrate: options.migrate,
    exclusive: false,
    isTransaction: isPgClient,
  });
}

/** Applies the outbox's migrations to a PostgreSQL database (idempotent; safe from several replicas at once). */
export async function migrateOutbox(
  pool: PgPoolLike,
  { schema = 'temporal_supervisor' }: { schema?: string } = {},
): Promise<string[]> {
  return applyMigrations(pgDriver(pool, 1000), schema);
}
