/**
 * The production-shaped cluster of src/testing/cluster.ts: five temporal-server processes on PostgreSQL and a
 * balancer in front of both frontends. One cluster for the file; each test leaves every service running.
 * The partial-outage tests print what the SDK and the health checks see (evidence for issue 16).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { status } from '@grpc/grpc-js';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedGreetings } from '../fixtures/index.js';
import { reachesHistory, TemporalCluster } from '../harness/cluster.js';
import { GrpcStatus, grpcCodeOf } from '../harness/grpc.js';
import { startOwner } from '../harness/owner.js';
import { PostgresServer, resolvePostgresBin } from '../harness/postgres.js';
import { resolveTemporalServer } from '../harness/temporal-server.js';
import { isProcessAlive, waitUntil } from '../harness/wait.js';
import { startWorker } from '../harness/worker.js';

async function psql(server: PostgresServer, sql: string): Promise<string> {
  const { stdout } = await promisify(execFile)(join(await resolvePostgresBin(), 'psql'), [
    '-X',
    '-At',
    server.connectionString(),
    '-c',
    sql,
  ]);
  return stdout;
}

/** How long a frontend reports NOT_SERVING after SIGTERM before it drains (dynamic config). */
const FAIL_HEALTH_CHECK_MS = 4000;

let cluster: TemporalCluster;
/** Through the balancer, without the SDK's retry interceptor: a failing call fails at once. */
let raw: Connection;
const evidence: string[] = [];

function record(line: string): void {
  evidence.push(line);
}

beforeAll(async () => {
  cluster = await TemporalCluster.start({
    dynamicConfig: { 'frontend.shutdownFailHealthCheckDuration': `${FAIL_HEALTH_CHECK_MS}ms` },
  });
  record(`cluster start timings (ms): ${JSON.stringify(cluster.timings)}`);
  raw = await Connection.connect({ address: cluster.address, interceptors: [], connectTimeout: 5000 });
});

afterAll(async () => {
  await raw?.close().catch(() => {});
  await cluster?.stop();
  console.log(`TemporalCluster evidence:\n${evidence.join('\n')}`);
});

/** The outcome of `call` as one line: `ok <ms>` or `<gRPC code name> <ms>: <message>`. */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  const started = performance.now();
  try {
    await call();
    return `ok ${Math.round(performance.now() - started)} ms`;
  } catch (error) {
    const code = grpcCodeOf(error);
    const name = code === undefined ? 'no gRPC code' : (status[code] ?? `code ${code}`);
    return `${name} ${Math.round(performance.now() - started)} ms: ${(error as Error).message.slice(0, 160)}`;
  }
}

async function startOnce(connection: Connection, deadlineMs: number): Promise<unknown> {
  const client = new Client({ connection });
  return connection.withDeadline(Date.now() + deadlineMs, () =>
    client.workflow.start('greetAfterSleep', {
      taskQueue: `nobody-polls-${Date.now()}`,
      workflowId: `cluster-probe-${Date.now()}-${Math.random()}`,
      args: ['probe', 0],
    }),
  );
}

async function healthOfAll(): Promise<Record<string, string>> {
  const entries = await Promise.all(
    Object.values(cluster.services).map(async (service) => [service.name, await service.health()] as const),
  );
  return Object.fromEntries(entries);
}

describe('TemporalCluster', () => {
  it('starts five service processes on their own ports, each SERVING, behind a balancer over both frontends', async () => {
    const services = Object.values(cluster.services);
    expect(services.map((s) => s.name).sort()).toEqual([
      'frontend-1',
      'frontend-2',
      'history',
      'matching',
      'worker',
    ]);
    const ports = services.flatMap((s) => [s.grpcPort, s.membershipPort]);
    expect(new Set(ports).size).toBe(10);
    for (const service of services) {
      expect(isProcessAlive(service.pid!)).toBe(true);
      expect(await service.health()).toBe('SERVING');
    }
    expect(new Set(services.map((s) => s.pid)).size).toBe(5);
    expect(cluster.balancer.stats.targets.map((t) => t.address)).toEqual([
      cluster.services['frontend-1'].address,
      cluster.services['frontend-2'].address,
    ]);
    const info = await raw.workflowService.describeNamespace({ namespace: 'default' });
    expect(info.namespaceInfo?.name).toBe('default');
    record(
      `service start-to-ready (ms): ${services.map((s) => `${s.name} ${s.timings.startToReadyMs}`).join(', ')}`,
    );
  });

  it('a workflow started through the balancer is run to completion by a worker connected through it', async () => {
    const taskQueue = `cluster-${Date.now()}`;
    const worker = await startWorker({ address: cluster.address, taskQueue });
    try {
      const client = new Client({ connection: raw });
      const result = await client.workflow.execute('greetAfterSleep', {
        taskQueue,
        workflowId: `cluster-wf-${Date.now()}`,
        args: ['cluster', 10],
        workflowExecutionTimeout: '60s',
      });
      expect(result).toEqual(expectedGreetings('cluster'));
    } finally {
      await worker.shutdown();
    }
  });

  it('history SIGKILLed: what the health checks and the SDK see; restarted: starts work again', async () => {
    const history = cluster.services.history;
    await history.kill();

    const health = await healthOfAll();
    record(`history down — health: ${JSON.stringify(health)}`);
    // The frontends still say SERVING: a health check alone does not see this outage.
    expect(health['frontend-1']).toBe('SERVING');
    expect(health['frontend-2']).toBe('SERVING');
    expect(health.history).toBe('error: UNAVAILABLE');

    const calls = {
      getSystemInfo: () => raw.withDeadline(Date.now() + 5000, () => raw.workflowService.getSystemInfo({})),
      describeNamespace: () =>
        raw.withDeadline(Date.now() + 5000, () =>
          raw.workflowService.describeNamespace({ namespace: 'default' }),
        ),
      'describeWorkflowExecution (missing id)': () => reachesHistory(raw, 'default', 5000),
      'start (no retries, 10 s deadline)': () => startOnce(raw, 10_000),
    };
    for (const [name, call] of Object.entries(calls))
      record(`history down — ${name}: ${await outcome(call)}`);
    // Frontend-only calls answer; a call that has to reach history fails UNAVAILABLE, quickly.
    await expect(calls.getSystemInfo()).resolves.toBeDefined();
    await expect(calls.describeNamespace()).resolves.toBeDefined();
    const probeError = await reachesHistory(raw, 'default', 5000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(grpcCodeOf(probeError)).toBe(GrpcStatus.UNAVAILABLE);
    const startError = await startOnce(raw, 10_000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(grpcCodeOf(startError)).toBe(GrpcStatus.UNAVAILABLE);
    // With the SDK's default retry interceptor, the same start is retried until the SDK gives up.
    const sdk = await Connection.connect({ address: cluster.address, connectTimeout: 5000 });
    try {
      record(
        `history down — start (SDK default retries, 15 s deadline): ${await outcome(() => startOnce(sdk, 15_000))}`,
      );
    } finally {
      await sdk.close();
    }

    const restarted = performance.now();
    await history.start();
    const servingMs = Math.round(performance.now() - restarted);
    const firstStart = await waitUntil(() => startOnce(raw, 5000).then(() => true), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'a start through the balancer after history is back',
    });
    expect(firstStart).toBe(true);
    record(
      `history restart: SERVING after ${servingMs} ms, first successful start after ${Math.round(performance.now() - restarted)} ms`,
    );
  });

  it('matching SIGKILLed: starts still succeed, a task-queue call fails; restarted: it answers again', async () => {
    const matching = cluster.services.matching;
    await matching.kill();
    const describeTaskQueue = () =>
      raw.withDeadline(Date.now() + 5000, () =>
        raw.workflowService.describeTaskQueue({
          namespace: 'default',
          taskQueue: { name: 'q' },
          taskQueueType: 1,
        }),
      );
    record(`matching down — health: ${JSON.stringify(await healthOfAll())}`);
    record(`matching down — start (no retries): ${await outcome(() => startOnce(raw, 10_000))}`);
    record(`matching down — describeTaskQueue: ${await outcome(describeTaskQueue)}`);
    expect(await cluster.services['frontend-1'].health()).toBe('SERVING');
    await expect(startOnce(raw, 10_000)).resolves.toBeDefined();
    const error = await describeTaskQueue().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(grpcCodeOf(error)).toBe(GrpcStatus.UNAVAILABLE);

    await matching.start();
    await waitUntil(() => describeTaskQueue().then(() => true), {
      timeoutMs: 60_000,
      what: 'describeTaskQueue after restart',
    });
  });

  it('SIGTERM frontend-1: NOT_SERVING for shutdownFailHealthCheckDuration, then gone; the balancer routes to frontend-2', async () => {
    const frontend = cluster.services['frontend-1'];
    const before = cluster.balancer.stats.targets;
    const started = performance.now();
    const stopping = frontend.stop();
    const seen: Array<{ atMs: number; health: string }> = [];
    while (frontend.running) {
      seen.push({ atMs: Math.round(performance.now() - started), health: await frontend.health(500) });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await stopping;
    record(
      `frontend-1 SIGTERM — health while running: ${seen.map((s) => `${s.atMs}:${s.health}`).join(' ')}; stopMs ${frontend.timings.stopMs}`,
    );
    expect(frontend.lastExit?.signal).not.toBe('SIGKILL');
    // Dynamic config honoured: it said NOT_SERVING (never SERVING) and stayed up for the whole duration.
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s.health !== 'SERVING')).toBe(true);
    expect(seen[0]?.health).toBe('NOT_SERVING');
    expect(frontend.timings.stopMs).toBeGreaterThanOrEqual(FAIL_HEALTH_CHECK_MS);

    // New connections through the balancer land on frontend-2; calls through it work. (A local subchannel
    // pool: grpc-js otherwise shares one TCP connection among all channels to the same address and options.)
    for (let i = 0; i < 3; i++) {
      const fresh = await Connection.connect({
        address: cluster.address,
        interceptors: [],
        connectTimeout: 5000,
        channelArgs: { 'grpc.use_local_subchannel_pool': 1 },
      });
      try {
        await reachesHistory(fresh, 'default');
        await expect(startOnce(fresh, 10_000)).resolves.toBeDefined();
      } finally {
        await fresh.close();
      }
    }
    const after = cluster.balancer.stats.targets;
    expect(after[0]?.connected).toBe(before[0]?.connected);
    expect(after[1]!.connected).toBeGreaterThanOrEqual(before[1]!.connected + 3);
    record(`balancer after frontend-1 down: ${JSON.stringify(after)}`);

    await frontend.start();
    expect(await frontend.health()).toBe('SERVING');
  });

  it('setDynamicConfig: a new value reaches the running frontends (shutdownFailHealthCheckDuration 0 s: exits at once)', async () => {
    await cluster.setDynamicConfig({ 'frontend.shutdownFailHealthCheckDuration': '0s' });
    expect(cluster.dynamicConfig['frontend.shutdownFailHealthCheckDuration']).toBe('0s');
    // The server reads the file every 5 s (its minimum).
    await new Promise((resolve) => setTimeout(resolve, 6000));
    const frontend = cluster.services['frontend-2'];

    await frontend.stop();

    record(`frontend-2 SIGTERM with 0 s: stopMs ${frontend.timings.stopMs}`);
    expect(frontend.timings.stopMs).toBeLessThan(FAIL_HEALTH_CHECK_MS);
    await frontend.start();
    expect(await frontend.health()).toBe('SERVING');
  });
});

describe('TemporalCluster on a PostgreSQL of the caller', () => {
  it('keeps its databases there, restarts a service by SIGKILL, and leaves that PostgreSQL running after stop()', async () => {
    const postgres = await PostgresServer.start();
    try {
      const shared = await TemporalCluster.start({ postgres });
      try {
        expect(shared.postgres).toBe(postgres);
        const worker = shared.services.worker;
        const pid = worker.pid;
        await worker.restart({ kill: true });
        expect(worker.pid).not.toBe(pid);
        expect(await worker.health()).toBe('SERVING');
      } finally {
        await shared.stop();
      }
      const databases = await psql(postgres, 'select datname from pg_database order by datname');
      expect(databases).toContain(shared.databases.main);
      expect(databases).toContain(shared.databases.visibility);
    } finally {
      await postgres.stop();
    }
  });
});

describe('TemporalCluster without its parts', () => {
  it('a TEMPORAL_SERVER_DIR without the server names what to install', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'no-temporal-server-'));
    const saved = process.env.TEMPORAL_SERVER_DIR;
    process.env.TEMPORAL_SERVER_DIR = empty;
    try {
      await expect(resolveTemporalServer()).rejects.toThrow(
        /lacks temporal-server, temporal-sql-tool, .*Install Go ≥ 1\.25.*go install go\.temporal\.io\/server\/cmd\/server@v1\.29\.1/s,
      );
      await expect(TemporalCluster.start()).rejects.toThrow(/TEMPORAL_SERVER_DIR/);
    } finally {
      process.env.TEMPORAL_SERVER_DIR = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('rejects bad options with a typed error naming the option', async () => {
    await expect(TemporalCluster.start({ readyTimeoutMs: 0 })).rejects.toThrow(/`readyTimeoutMs`/);
    await expect(TemporalCluster.start({ postgres: {} as never })).rejects.toThrow(/`postgres`/);
  });

  it('no process of the cluster (nor its PostgreSQL) and none of their dirs outlive their owner killed with SIGKILL', async () => {
    const owner = await startOwner<{ pids: number[]; postgresPid: number; dirs: string[] }>(
      new URL('../harness/child-cluster.ts', import.meta.url).pathname,
    );
    try {
      const pids = [...owner.info.pids, owner.info.postgresPid];
      expect(pids.filter(isProcessAlive)).toHaveLength(6);
      await owner.kill('SIGKILL');
      await waitUntil(() => pids.filter(isProcessAlive).length === 0, {
        timeoutMs: 10_000,
        what: 'every cluster process gone',
      });
      await waitUntil(() => owner.info.dirs.every((dir) => !existsSync(dir)), {
        timeoutMs: 5000,
        what: `${owner.info.dirs.join(' and ')} removed`,
      });
    } finally {
      await owner.kill('SIGKILL');
    }
  });
});
