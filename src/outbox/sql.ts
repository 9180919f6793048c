/**
 * What the SQL stores need of a database driver: `pg` (PostgreSQL) and PGlite (embedded) both fit it, so
 * one set of statements serves both (docs/outbox.md, "Choice of store").
 */

/** Anything that runs a parameterized statement: a `pg` Pool or PoolClient, a PGlite instance or transaction. */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** A database as the SQL store drives it. */
export interface SqlDriver extends Queryable {
  /** Runs `fn` in one transaction on one connection: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Calls `onNotify` on each NOTIFY on `channel` (and once after a reconnection); resolves to a stop function. */
  listen(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,47}$/;

/** Whether a schema name is safe to interpolate into SQL (it is never a parameter there). */
export function isSafeIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** The SQLSTATE of a driver error, if it has one (`pg` and PGlite both set `code`). */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** SQLSTATEs that mean the outbox's tables or columns are not what this library expects. */
export const SCHEMA_STATES: ReadonlySet<string> = new Set([
  '3F000', // invalid_schema_name
  '42P01', // undefined_table
  '42703', // undefined_column
]);
