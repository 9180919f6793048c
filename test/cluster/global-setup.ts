/**
 * Vitest global setup of the `cluster` project: finds (or builds, once) the Temporal server, its SQL tool and
 * schema, and checks that PostgreSQL's binaries are there, before any test file runs. Anything missing fails
 * the whole project here, loudly, naming what to install: the cluster tests never skip.
 */
import { resolvePostgresBin } from '../harness/postgres.js';
import { resolveTemporalServer } from '../harness/temporal-server.js';

export default async function setup(): Promise<void> {
  await resolvePostgresBin();
  const found = await resolveTemporalServer({
    log: (line) => process.stderr.write(`[temporal-server] ${line}\n`),
  });
  process.env.TEMPORAL_SERVER_DIR = found.dir;
}
