import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { args, DDL, INSERT, SQLITE_DDL } from './schema.mjs';

const [which, path] = process.argv.slice(2);
if (which === 'pglite') {
  const db = await PGlite.create({ dataDir: path });
  await db.exec(DDL);
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    const a = args(i);
    await db.query(INSERT, a);
    process.stdout.write(`${a[0]}\n`);
  }
} else {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(SQLITE_DDL);
  const ins = db.prepare(
    'INSERT INTO intents (id, workflow_type, workflow_id, task_queue, payload) VALUES (?,?,?,?,?)',
  );
  process.stdout.write('ready\n');
  for (let i = 0; ; i++) {
    const a = args(i);
    ins.run(...a);
    process.stdout.write(`${a[0]}\n`);
    if (i % 50 === 0) await new Promise((r) => setImmediate(r));
  }
}
