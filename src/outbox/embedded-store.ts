import { OutboxInputError } from './errors.js';
import type { Queryable, SqlDriver } from './sql.js';
import { SqlOutboxStore } from './sql-store.js';
import type { OutboxStore } from './store.js';

export interface EmbeddedStoreOptions {
  /** The data directory (created if missing; `memory://` for none). One process at a time may open it. */
  readonly path?: string;
  /**
   * Your own PGlite instance instead of a `path`: then your tables and the outbox share one database, and
   * `enqueue(intent, { tx })` takes the `tx` of your `db.transaction(…)`. You close it.
   */
  readonly pglite?: PGliteLike;
  /** @default 'temporal_supervisor' */
  readonly schema: string;
}

/** The part of a PGlite instance the outbox uses. */
export interface PGliteLike extends Queryable {
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  readonly waitReady: Promise<void>;
}

function isQueryable(tx: unknown): tx is Queryable {
  return typeof (tx as { query?: unknown } | null)?.query === 'function';
}

async function openPglite(path: string): Promise<PGliteLike> {
  let module: { PGlite: new (dataDir: string) => PGliteLike };
  try {
    module = (await import('@electric-sql/pglite')) as never;
  } catch (cause) {
    throw Object.assign(
      new OutboxInputError(
        'The embedded outbox store needs the optional peer dependency @electric-sql/pglite: `npm install @electric-sql/pglite`, or pass a pg Pool as `store: { pool }`.',
        'store',
      ),
      { cause },
    );
  }
  const db = new module.PGlite(path);
  await db.waitReady;
  return db;
}

/**
 * The outbox in a PGlite data directory (PostgreSQL compiled to WASM, in this process): the same SQL as
 * the PostgreSQL store, durable across a crash of the process, for one process with no database server.
 * Its migrations are applied at open, and leases of an earlier (crashed) process are freed.
 */
export function embeddedStore(options: EmbeddedStoreOptions): OutboxStore {
  let db: PGliteLike | undefined;
  let opening: Promise<PGliteLike> | undefined;
  const own = options.pglite === undefined;
  const get = () => {
    opening ??= (
      options.pglite
        ? options.pglite.waitReady.then(() => options.pglite as PGliteLike)
        : openPglite(options.path ?? '.temporal-supervisor/outbox')
    ).then((opened) => {
      db = opened;
      return opened;
    });
    return opening;
  };
  const driver: SqlDriver = {
    query: async (text, params) => (await get()).query(text, params),
    transaction: async (fn) => (await get()).transaction(fn),
    listen: async (channel, onNotify) => (await get()).listen(channel, () => onNotify()),
    close: async () => {
      if (opening) await opening.catch(() => undefined);
      if (own) await db?.close();
      db = undefined;
      opening = undefined;
    },
  };
  return new SqlOutboxStore(driver, {
    kind: 'embedded',
    schema: options.schema,
    migrate: true,
    exclusive: true,
    isTransaction: isQueryable,
  });
}
