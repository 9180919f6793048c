/** One in-memory PGlite for a test file (creating one takes ~1–3 s): each test takes a fresh schema of it. */
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll } from 'vitest';

export function usePglite(prefix: string): { db: () => PGlite; nextSchema: () => string } {
  let db: PGlite | undefined;
  let schemas = 0;
  // Creating the cluster takes ~1–3 s, far longer on a loaded machine: not a figure, so a generous bound.
  beforeAll(async () => {
    db = new PGlite();
    await db.waitReady;
  }, 120_000);
  afterAll(() => db?.close());
  return {
    db: () => {
      if (!db) throw new Error('usePglite: the database is opened in beforeAll');
      return db;
    },
    nextSchema: () => `${prefix}${++schemas}`,
  };
}
