/**
 * The outbox: enqueue rate per store (PostgreSQL through `pg`, embedded PGlite on disk), enqueue → started
 * latency against the real server, the drain of a large backlog (rate and peak JS heap: memory must stay
 * bounded by one batch), and a crash run (the service SIGKILLed during an outage with intents pending, then
 * restarted: lost and duplicated starts counted in visibility, both must be 0).
 *
 * The backlog drain runs the real store and dispatcher with Temporal's start stubbed: the dev server on this
 * kind of machine starts only tens of workflows a second (measured by the notes below), so a 100,000-intent
 * drain against it would measure the server, for over an hour. The real-server drain rate is in the notes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createSupervisor } from '../../src/index.js';
import { Dispatcher } from '../../src/outbox/dispatcher.js';
import { createOutbox, migrateOutbox, type Outbox, postgresStore } from '../../src/outbox/index.js';
import { PostgresServer } from '../harness/postgres.js';
import { waitUntil } from '../harness/wait.js';
import { exactlyOnce, intentRows, settledRuns, startService } from '../integration/outbox-support.js';
import { type Benchmark, collectGarbage, startSupervisor } from './context.js';
import { FIGURE_KEYS } from './figures.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

const MB = 1024 * 1024;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function enqueueRate(outbox: Outbox, count: number, tag: string): Promise<number> {
  const began = performance.now();
  for (let i = 0; i < count; i++) {
    await outbox.enqueue({
      id: `${tag}-${i}`,
      workflowType: 'bench',
      workflowId: `${tag}-wf-${i}`,
      taskQueue: tag,
      args: [{ i }],
    });
  }
  return count / ((performance.now() - began) / 1000);
}

export const outboxBench: Benchmark = {
  name: 'outbox',
  keys: FIGURE_KEYS.filter((key) => key.startsWith('outbox_')),
  async run(context) {
    const { quick, server, runId, log, defer } = context;
    const notes: string[] = [];
    const postgres = await PostgresServer.start();
    defer(() => postgres.stop());
    const pool = new pg.Pool({ connectionString: postgres.connectionString(), max: 10 });
    pool.on('error', () => {});
    defer(() => pool.end());
    await migrateOutbox(pool);

    // Enqueue, one intent per transaction, in sequence: a supervisor that never starts keeps the dispatcher paused.
    const idle = createSupervisor({
      address: server.address,
      envConfig: false,
      creators: { outbox: {} },
      logger: quiet,
    });
    const enqueues = quick ? 300 : 2_000;
    // Its own schema: these intents are never dispatched, and must not queue ahead of the later steps'.
    await migrateOutbox(pool, { schema: 'bench_enqueue' });
    const onPg = await createOutbox({
      supervisor: idle,
      creator: 'outbox',
      store: { pool, schema: 'bench_enqueue' },
    });
    const pgRate = await enqueueRate(onPg, enqueues, `enq-pg-${runId}`);
    await onPg.stop();
    const dir = await mkdtemp(join(tmpdir(), 'outbox-bench-'));
    defer(() => rm(dir, { recursive: true, force: true }));
    const openedAt = performance.now();
    const embedded = await createOutbox({
      supervisor: idle,
      creator: 'outbox',
      store: { path: join(dir, 'pglite') },
    });
    const openMs = performance.now() - openedAt;
    const embeddedRate = await enqueueRate(embedded, enqueues, `enq-emb-${runId}`);
    await embedded.stop();
    await idle.stop();
    notes.push(
      `outbox enqueue: ${enqueues} in sequence, one transaction each: PostgreSQL ${pgRate.toFixed(0)}/s, embedded PGlite ${embeddedRate.toFixed(0)}/s (its first open ${openMs.toFixed(0)} ms)`,
    );

    // Enqueue → started against the real server, one at a time.
    const { supervisor } = await startSupervisor(context, {
      creators: { bench: {}, outbox: {} },
      logger: quiet,
    });
    const live = await createOutbox({ supervisor, creator: 'outbox', store: { pool }, waitPollInterval: 5 });
    defer(() => live.stop());
    const latencies: number[] = [];
    const samples = quick ? 20 : 100;
    for (let i = 0; i < samples; i++) {
      const began = performance.now();
      const { id } = await live.enqueue({
        id: `lat-${runId}-${i}`,
        workflowType: 'bench',
        workflowId: `lat-${runId}-${i}`,
        taskQueue: `lat-${runId}`,
      });
      const status = await live.wait(id, { timeout: '30s' });
      if (status.status === 'started') latencies.push(performance.now() - began);
    }
    notes.push(
      `outbox enqueue → started (real server, sequential): ${describeSummary(summarize(latencies))} ms`,
    );

    // The real server's drain rate, for scale.
    const realCount = quick ? 100 : 500;
    const realTag = `real-${runId}`;
    for (let i = 0; i < realCount; i++) {
      await live.enqueue({
        id: `${realTag}-${i}`,
        workflowType: 'bench',
        workflowId: `${realTag}-${i}`,
        taskQueue: realTag,
      });
    }
    const realBegan = performance.now();
    await waitUntil(
      async () =>
        (await live.status(`${realTag}-${realCount - 1}`))?.status === 'started' &&
        (await live.metrics()).depth.pending === 0,
      {
        timeoutMs: 600_000,
        intervalMs: 100,
        what: 'the real-server drain',
      },
    );
    const realRate = realCount / ((performance.now() - realBegan) / 1000);
    notes.push(
      `outbox drain against the real dev server: ${realCount} intents at ${realRate.toFixed(1)}/s (concurrency 10; the server is the limit here)`,
    );
    await live.stop();

    // A large backlog through the real store and dispatcher, the start stubbed.
    const backlog = quick ? 5_000 : 100_000;
    const schema = 'bench_backlog';
    await migrateOutbox(pool, { schema });
    const store = postgresStore({ pool, schema, migrate: false, listenRetryMs: 1_000 });
    await store.open();
    const payload = JSON.stringify({ args: [{ order: 1, items: ['a', 'b', 'c'] }], options: {} });
    for (let i = 0; i < backlog; i += 1_000) {
      const ids = Array.from({ length: Math.min(1_000, backlog - i) }, (_, k) => `b${i + k}`);
      await pool.query(
        `INSERT INTO ${schema}.outbox_intents (id, workflow_type, workflow_id, task_queue, payload, payload_bytes)
         SELECT id, 'bench', 'wf-' || id, 'q', $2, length($2) FROM unnest($1::text[]) AS id`,
        [ids, payload],
      );
    }
    let runs = 0;
    const dispatcher = new Dispatcher(
      store,
      async () => ({ runId: `run-${++runs}` }),
      {
        owner: 'bench',
        batchSize: 100,
        concurrency: 10,
        leaseMs: 30_000,
        dispatchTimeoutMs: 10_000,
        retryBaseMs: 1_000,
        retryMaxMs: 60_000,
        settleTimeoutMs: 1_000,
      },
      () => {},
    );
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    const sampler = setInterval(() => {
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }, 50);
    const drainBegan = performance.now();
    const { dispatched } = await dispatcher.drain(new AbortController().signal);
    const drainS = (performance.now() - drainBegan) / 1000;
    clearInterval(sampler);
    const heapMb = (heapPeak - heapBefore) / MB;
    notes.push(
      `outbox backlog drain (PostgreSQL store + dispatcher, start stubbed): ${dispatched} of ${backlog} in ${drainS.toFixed(1)} s, peak heap +${heapMb.toFixed(1)} MB`,
    );

    // Crash run: the service SIGKILLed during an outage with intents pending, restarted.
    const crashCount = quick ? 200 : 1_000;
    const crashDb = `outbox_crash_${runId.replace(/\W/g, '_')}`.toLowerCase();
    await postgres.createDatabase(crashDb);
    const crashPool = new pg.Pool({ connectionString: postgres.connectionString(crashDb), max: 3 });
    crashPool.on('error', () => {});
    defer(() => crashPool.end());
    await migrateOutbox(crashPool);
    const taskQueue = `bench-outbox-crash-${runId}`;
    await server.kill();
    const loader = startService({
      connectionString: postgres.connectionString(crashDb),
      address: server.address,
      taskQueue,
      enqueue: { prefix: `crash-${runId}`, count: crashCount },
    });
    defer(() => loader.kill());
    await loader.next('enqueued', 300_000);
    await loader.kill();
    await server.startAgain();
    const service = startService({
      connectionString: postgres.connectionString(crashDb),
      address: server.address,
      taskQueue,
    });
    defer(() => service.kill());
    await waitUntil(async () => (await intentRows(crashPool)).every((r) => r.status !== 'pending'), {
      timeoutMs: 600_000,
      intervalMs: 500,
      what: 'the crash run to drain',
    });
    const crash = exactlyOnce(
      await intentRows(crashPool),
      await settledRuns(server.address, taskQueue, crashCount),
    );
    notes.push(
      `outbox crash run: ${crashCount} intents pending when the service was SIGKILLed during an outage; after restart lost=${crash.lost} duplicates=${crash.duplicates} mismatched=${crash.mismatched} failed=${crash.failed.length}`,
    );
    log(`  ${notes.at(-1)}`);

    return {
      figures: {
        outbox_enqueue_per_s_postgres: round(pgRate, 0) ?? null,
        outbox_enqueue_per_s_embedded: round(embeddedRate, 0) ?? null,
        outbox_dispatch_ms_p95: round(percentile(latencies, 95)) ?? null,
        outbox_drain_per_s: round(dispatched / drainS, 0) ?? null,
        outbox_drain_heap_mb: round(heapMb) ?? null,
        outbox_crash_lost: crash.lost,
        outbox_crash_duplicates: crash.duplicates,
      },
      notes,
    };
  },
};
