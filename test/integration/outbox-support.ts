/** What the outbox's integration tests share: a child service process, and counting executions in visibility. */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { onJsonLines } from '../../src/demo/json-lines.js';
import { migrateOutbox } from '../../src/outbox/index.js';
import { DevServer } from '../harness/dev-server.js';
import { PostgresServer } from '../harness/postgres.js';
import { waitUntil } from '../harness/wait.js';

const script = fileURLToPath(new URL('../fixtures/outbox-service.ts', import.meta.url));

export interface ServiceChild {
  readonly child: ChildProcess;
  readonly events: Record<string, unknown>[];
  /** Resolves with the first event of this kind. */
  next(kind: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(): Promise<void>;
  output(): string;
}

export function startService(config: Record<string, unknown>): ServiceChild {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OUTBOX_SERVICE: JSON.stringify(config) },
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  onJsonLines(child.stdout, (event) => events.push(event), { strict: true });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    events,
    next: (kind, timeoutMs = 120_000) =>
      waitUntil(() => events.find((e) => e.event === kind), {
        timeoutMs,
        what: `the service's ${kind} event (stderr: ${stderr.slice(-500)})`,
      }),
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    output: () => stderr,
  };
}

/** Runs of each workflow id on this task queue, as visibility lists them. */
export async function runsByWorkflowId(address: string, taskQueue: string): Promise<Map<string, string[]>> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const runs = new Map<string, string[]>();
    for await (const execution of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) {
      runs.set(execution.workflowId, [...(runs.get(execution.workflowId) ?? []), execution.runId]);
    }
    return runs;
  } finally {
    await connection.close();
  }
}

/** Waits until visibility lists `expected` executions on the task queue (it lags a little behind starts). */
export async function settledRuns(address: string, taskQueue: string, expected: number) {
  let runs = new Map<string, string[]>();
  await waitUntil(
    async () => {
      runs = await runsByWorkflowId(address, taskQueue);
      let total = 0;
      for (const list of runs.values()) total += list.length;
      return total >= expected;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `visibility to list ${expected} executions` },
  ).catch(() => undefined); // the assertions below say what is missing
  return runs;
}

/** The outbox table's statuses, read straight from PostgreSQL. */
export async function intentRows(pool: pg.Pool, schema = 'temporal_supervisor') {
  const { rows } = await pool.query<{
    id: string;
    workflow_id: string;
    status: string;
    run_id: string | null;
    failure_reason: string | null;
  }>(`SELECT id, workflow_id, status, run_id, failure_reason FROM ${schema}.outbox_intents`);
  return rows;
}

/** Counts of an exactly-once check: every intent started once, with the run visibility lists. */
export function exactlyOnce(rows: Awaited<ReturnType<typeof intentRows>>, runs: Map<string, string[]>) {
  let lost = 0;
  let duplicates = 0;
  let mismatched = 0;
  for (const row of rows) {
    const listed = runs.get(row.workflow_id) ?? [];
    if (row.status !== 'started' || listed.length === 0) lost++;
    if (listed.length > 1) duplicates += listed.length - 1;
    if (row.status === 'started' && listed.length === 1 && listed[0] !== row.run_id) mismatched++;
  }
  const failed = rows.filter((r) => r.status === 'failed').map((r) => `${r.id}: ${r.failure_reason}`);
  return { intents: rows.length, lost, duplicates, mismatched, failed };
}

/**
 * One PostgreSQL and one Temporal dev server for a test file (started in beforeAll, stopped in afterAll),
 * and fresh databases on it, each with a pool that `defer` ends.
 */
export function useOutboxServers(prefix: string, defer: (cleanup: () => Promise<unknown>) => void) {
  let databases = 0;
  const env = {
    postgres: undefined as unknown as PostgresServer,
    temporal: undefined as unknown as DevServer,
    /** A fresh database (the outbox migrated unless `migrate: false`) and a pool on it. */
    async database({ migrate = true }: { migrate?: boolean } = {}) {
      const name = `${prefix}_${++databases}`;
      await env.postgres.createDatabase(name);
      const connectionString = env.postgres.connectionString(name);
      const pool = new pg.Pool({ connectionString, max: 5 });
      pool.on('error', () => {}); // idle clients dropped by a database restart
      defer(() => pool.end());
      const applied = migrate ? await migrateOutbox(pool) : [];
      return { name, connectionString, pool, applied };
    },
  };
  beforeAll(async () => {
    [env.postgres, env.temporal] = await Promise.all([PostgresServer.start(), DevServer.start()]);
  });
  afterAll(async () => {
    await Promise.all([env.postgres?.stop(), env.temporal?.dispose()]);
  });
  return env;
}
