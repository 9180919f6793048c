import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';

const which = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), 'obc-'));
const path = join(dir, which === 'pglite' ? 'pg' : 'o.db');
for (let round = 0; round < 3; round++) {
  const child = spawn(process.execPath, ['crash-child.mjs', which, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const acked = [];
  let buf = '';
  let ready;
  const isReady = new Promise((r) => (ready = r));
  child.stdout.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) l === 'ready' ? ready() : acked.push(l);
  });
  await isReady;
  await new Promise((r) => setTimeout(r, 700 + Math.random() * 600));
  child.kill('SIGKILL');
  await new Promise((r) => child.on('exit', r));
  const t0 = performance.now();
  let ids;
  if (which === 'pglite') {
    const db = await PGlite.create({ dataDir: path });
    ids = new Set((await db.query('select id from intents')).rows.map((r) => r.id));
    await db.close();
  } else {
    const db = new Database(path);
    ids = new Set(
      db
        .prepare('select id from intents')
        .all()
        .map((r) => r.id),
    );
    db.close();
  }
  const lost = acked.filter((a) => !ids.has(a)).length;
  console.log(
    JSON.stringify({
      which,
      round,
      acked: acked.length,
      rows: ids.size,
      lostAcked: lost,
      reopenMs: Math.round(performance.now() - t0),
    }),
  );
}
