import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import pg from 'pg';
import { args, DDL, INSERT, SQLITE_DDL } from './schema.mjs';

const N = Number(process.env.N ?? 2000);
const which = process.argv[2];
const rate = (t0, n) => Math.round(n / ((performance.now() - t0) / 1000));
const rss = () => Math.round(process.memoryUsage().rss / 1e6);
const dir = mkdtempSync(join(tmpdir(), 'ob-'));
if (which === 'pglite') {
  let t0 = performance.now();
  const db = await PGlite.create({ dataDir: join(dir, 'pg') });
  const openMs = Math.round(performance.now() - t0);
  await db.exec(DDL);
  t0 = performance.now();
  for (let i = 0; i < N; i++) await db.query(INSERT, args(i));
  const seq = rate(t0, N);
  t0 = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => db.query(INSERT, args(N + i))));
  const conc = rate(t0, N);
  await db.close();
  t0 = performance.now();
  const db2 = await PGlite.create({ dataDir: join(dir, 'pg') });
  const reopenMs = Math.round(performance.now() - t0);
  console.log(
    JSON.stringify({ store: 'pglite', openMs, reopenMs, seqPerS: seq, concPerS: conc, rssMb: rss() }),
  );
  await db2.close();
}
if (which === 'sqlite') {
  let t0 = performance.now();
  const db = new Database(join(dir, 'o.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  const openMs = Math.round(performance.now() - t0);
  db.exec(SQLITE_DDL);
  const ins = db.prepare(
    'INSERT INTO intents (id, workflow_type, workflow_id, task_queue, payload) VALUES (?,?,?,?,?) ON CONFLICT (id) DO NOTHING',
  );
  t0 = performance.now();
  for (let i = 0; i < N; i++) ins.run(...args(i));
  console.log(
    JSON.stringify({ store: 'better-sqlite3 WAL sync=FULL', openMs, seqPerS: rate(t0, N), rssMb: rss() }),
  );
}
if (which === 'pg') {
  const pool = new pg.Pool({ connectionString: process.env.PGURL, max: 10 });
  await pool.query('DROP TABLE IF EXISTS intents');
  await pool.query(DDL);
  let t0 = performance.now();
  for (let i = 0; i < N; i++) await pool.query(INSERT, args(i));
  const seq = rate(t0, N);
  t0 = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => pool.query(INSERT, args(N + i))));
  console.log(
    JSON.stringify({ store: 'postgresql (pg, pool 10)', seqPerS: seq, concPerS: rate(t0, N), rssMb: rss() }),
  );
  await pool.end();
}
if (which === 'graphile') {
  const { makeWorkerUtils } = await import('graphile-worker');
  const t00 = performance.now();
  const utils = await makeWorkerUtils({ connectionString: process.env.PGURL });
  await utils.migrate();
  const migrateMs = Math.round(performance.now() - t00);
  let t0 = performance.now();
  for (let i = 0; i < N; i++)
    await utils.addJob('start', { a: args(i) }, { jobKey: `k-${i}-${Math.random()}` });
  const seq = rate(t0, N);
  t0 = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => utils.addJob('start', { a: args(i) })));
  console.log(
    JSON.stringify({
      store: 'graphile-worker 0.16.6 addJob',
      migrateMs,
      seqPerS: seq,
      concPerS: rate(t0, N),
      rssMb: rss(),
    }),
  );
  await utils.release();
}
if (which === 'pgboss') {
  const { default: PgBoss } = await import('pg-boss');
  const t00 = performance.now();
  const boss = new PgBoss({ connectionString: process.env.PGURL });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue('start');
  const migrateMs = Math.round(performance.now() - t00);
  let t0 = performance.now();
  for (let i = 0; i < N; i++) await boss.send('start', { a: args(i) });
  const seq = rate(t0, N);
  t0 = performance.now();
  await Promise.all(Array.from({ length: N }, (_, i) => boss.send('start', { a: args(i) })));
  console.log(
    JSON.stringify({
      store: 'pg-boss 10.4.2 send',
      migrateMs,
      seqPerS: seq,
      concPerS: rate(t0, N),
      rssMb: rss(),
    }),
  );
  await boss.stop({ graceful: false, wait: false });
}
rmSync(dir, { recursive: true, force: true });
