/**
 * A production-shaped Temporal cluster for tests: the real server (`temporal-server`, built from its Go module
 * at the version inside the pinned dev-server CLI) with its frontend (×2), history, matching and worker
 * services as five separate processes, persistence on PostgreSQL (the harness's {@link PostgresServer}, schema
 * set up by Temporal's own SQL tool), membership on 127.0.0.1, and a TCP load balancer ({@link FaultProxy} over
 * both frontends) in front. Each service can be SIGTERMed, SIGKILLed and restarted on its ports; a dynamic
 * config file can be given at start and changed later.
 *
 * No process outlives the test process (reaper.ts), and `stop()` removes everything it created.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { Connection, isGrpcServiceError } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { clusterProcessConfig, dynamicConfigFile, type ServicePorts } from './cluster-config.js';
import { ClusterService, type ClusterServiceName } from './cluster-service.js';
import { FaultProxy } from './fault-proxy.js';
import { ManagedProcess } from './managed-process.js';
import { findFreePorts } from './ports.js';
import { PostgresServer } from './postgres.js';
import { trackTempDir, untrackTempDir } from './reaper.js';
import { resolveTemporalServer, type TemporalServerBinaries } from './temporal-server.js';

export type { ClusterServiceName } from './cluster-service.js';
export { ClusterService, type ClusterServiceTimings } from './cluster-service.js';

export interface TemporalClusterOptions {
  /**
   * The PostgreSQL to keep the cluster's two databases in (created with fresh names); `stop()` leaves it
   * running. @default a PostgresServer of the cluster's own, stopped by `stop()`
   */
  postgres?: PostgresServer;
  /**
   * Dynamic config at start, key → value (`{ 'frontend.shutdownFailHealthCheckDuration': '5s' }`) or key →
   * `[{ value, constraints }]`. The server reads the file every 5 s (its minimum); see {@link TemporalCluster.setDynamicConfig}.
   * @default {} (besides a 1 s namespace cache refresh, so that new namespaces are usable at once)
   */
  dynamicConfig?: Record<string, unknown>;
  /** Namespaces to register besides `default`. @default [] */
  namespaces?: string[];
  /** `log.level` of every service: debug, info, warn, error. @default 'warn' */
  logLevel?: string;
  /** How long each service may take to become ready. @default 120_000 */
  readyTimeoutMs?: number;
  /** Receives progress lines and every line the services write. @default no output */
  log?: (line: string) => void;
}

/** Durations of the cluster's start, in milliseconds. */
export interface TemporalClusterTimings {
  /** PostgreSQL up (or given) and both databases with their schema set up by the SQL tool. */
  databaseMs?: number;
  /** From the first spawn to every service ready and the namespaces usable through the balancer. */
  servicesMs?: number;
  /** The whole `start()`, binaries resolution included (a cold build of the server takes minutes). */
  startToReadyMs?: number;
}

const SERVICE_NAMES: ClusterServiceName[] = ['history', 'matching', 'frontend-1', 'frontend-2', 'worker'];
const DEFAULT_DYNAMIC_CONFIG = { 'system.namespaceCacheRefreshInterval': '1s' };
const NUM_HISTORY_SHARDS = 4;

export class TemporalCluster {
  /** The balancer's `host:port`: what a service should connect to. */
  readonly address: string;
  /** The TCP balancer in front of both frontends; also a fault proxy (`blackhole()`, `refuse()`…). */
  readonly balancer: FaultProxy;
  readonly postgres: PostgresServer;
  /** The cluster's databases (default store, visibility) in {@link postgres}. */
  readonly databases: { main: string; visibility: string };
  readonly services: Readonly<Record<ClusterServiceName, ClusterService>>;
  readonly timings: TemporalClusterTimings = {};
  /** The cluster's temp dir: `config/<service>.yaml` and `dynamicconfig.yaml`; removed by `stop()`. */
  readonly dir: string;
  readonly #tempDir: string;
  readonly #ownsPostgres: boolean;
  #dynamicConfig: Record<string, unknown>;
  #stopped = false;

  private constructor(fields: {
    balancer: FaultProxy;
    postgres: PostgresServer;
    ownsPostgres: boolean;
    databases: { main: string; visibility: string };
    services: Record<ClusterServiceName, ClusterService>;
    tempDir: string;
    dynamicConfig: Record<string, unknown>;
  }) {
    this.balancer = fields.balancer;
    this.address = fields.balancer.address;
    this.postgres = fields.postgres;
    this.#ownsPostgres = fields.ownsPostgres;
    this.databases = fields.databases;
    this.services = fields.services;
    this.#tempDir = fields.tempDir;
    this.dir = fields.tempDir;
    this.#dynamicConfig = fields.dynamicConfig;
  }

  /**
   * Builds or finds the server, sets up PostgreSQL, starts the five services (history first: it writes the
   * cluster metadata, which concurrent first starts would race for), registers the namespaces and resolves
   * once a client through the balancer can reach history (a `DescribeWorkflowExecution` answered NOT_FOUND).
   *
   * @throws Error naming what to install when Go or PostgreSQL is missing; Error with a service's output when
   *   it exits before it is ready or is not ready in time (everything started is stopped again).
   */
  static async start(options: TemporalClusterOptions = {}): Promise<TemporalCluster> {
    const started = performance.now();
    const log = options.log ?? (() => {});
    validate(options);
    const binaries = await resolveTemporalServer({ log });
    const tempDir = await mkdtemp(join(tmpdir(), 'temporal-cluster-'));
    trackTempDir(tempDir);
    const cleanups: Array<() => Promise<unknown>> = [
      async () => {
        untrackTempDir(tempDir);
        await rm(tempDir, { recursive: true, force: true });
      },
    ];
    try {
      const dbStarted = performance.now();
      const postgres = options.postgres ?? (await PostgresServer.start());
      if (options.postgres === undefined) cleanups.push(() => postgres.stop());
      const suffix = randomBytes(4).toString('hex');
      const databases = { main: `temporal_${suffix}`, visibility: `temporal_visibility_${suffix}` };
      await setUpSchema(binaries, postgres, databases, log);
      const databaseMs = Math.round(performance.now() - dbStarted);

      const free = await findFreePorts(SERVICE_NAMES.length * 2);
      const ports = Object.fromEntries(
        SERVICE_NAMES.map((name, i) => [
          name,
          { grpcPort: free[2 * i] ?? 0, membershipPort: free[2 * i + 1] ?? 0 },
        ]),
      ) as Record<ClusterServiceName, ServicePorts>;
      const balancer = await FaultProxy.start({
        target: [
          { host: '127.0.0.1', port: ports['frontend-1'].grpcPort },
          { host: '127.0.0.1', port: ports['frontend-2'].grpcPort },
        ],
      });
      cleanups.push(() => balancer.close());
      const dynamicConfig = { ...DEFAULT_DYNAMIC_CONFIG, ...options.dynamicConfig };
      const dynamicConfigPath = join(tempDir, 'dynamicconfig.yaml');
      await writeFile(dynamicConfigPath, dynamicConfigFile(dynamicConfig));
      await mkdir(join(tempDir, 'config'));
      const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
      const logLevel = options.logLevel ?? 'warn';
      const services = {} as Record<ClusterServiceName, ClusterService>;
      for (const name of SERVICE_NAMES) {
        const kind = name.startsWith('frontend') ? 'frontend' : (name as 'history' | 'matching' | 'worker');
        const config = clusterProcessConfig({
          kind,
          ports: {
            frontend: ports[kind === 'frontend' ? name : 'frontend-1'],
            history: ports.history,
            matching: ports.matching,
            worker: ports.worker,
          },
          postgres: { host: postgres.host, port: postgres.port, user: postgres.user },
          databases,
          frontendAddress: balancer.address,
          dynamicConfigFile: dynamicConfigPath,
          dynamicConfigPollSeconds: 5,
          numHistoryShards: NUM_HISTORY_SHARDS,
          // The worker service says it is ready only in an info line (it serves no gRPC health).
          logLevel: kind === 'worker' && ['warn', 'error', 'fatal'].includes(logLevel) ? 'info' : logLevel,
        });
        await writeFile(join(tempDir, 'config', `${name}.yaml`), JSON.stringify(config, null, 2));
        services[name] = new ClusterService({
          name,
          kind,
          ...ports[name],
          server: binaries.server,
          root: tempDir,
          readyTimeoutMs,
          log,
        });
      }
      const all = Object.values(services);
      cleanups.push(() => Promise.all(all.map((service) => service.kill())));

      const servicesStarted = performance.now();
      await services.history.start({ ready: 'listening' });
      await Promise.all([
        services.matching.start(),
        services['frontend-1'].start(),
        services['frontend-2'].start(),
        services.worker.start(),
      ]);
      await services.history.waitUntilServing(); // initial shards acquired, + 5 s of the server's own
      const cluster = new TemporalCluster({
        balancer,
        postgres,
        ownsPostgres: options.postgres === undefined,
        databases,
        services,
        tempDir,
        dynamicConfig,
      });
      await cluster.#registerNamespaces(['default', ...(options.namespaces ?? [])], readyTimeoutMs);
      cluster.timings.databaseMs = databaseMs;
      cluster.timings.servicesMs = Math.round(performance.now() - servicesStarted);
      cluster.timings.startToReadyMs = Math.round(performance.now() - started);
      log(`temporal cluster ready on ${balancer.address} in ${cluster.timings.startToReadyMs} ms`);
      return cluster;
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
      throw error;
    }
  }

  /** One service by name. */
  service(name: ClusterServiceName): ClusterService {
    return this.services[name];
  }

  /** The dynamic config in effect (as last written). */
  get dynamicConfig(): Readonly<Record<string, unknown>> {
    return { ...this.#dynamicConfig };
  }

  /**
   * Merges `values` into the dynamic config file (a value `undefined` removes its key). The services read
   * it every 5 s; a restarted service reads it at once.
   */
  async setDynamicConfig(values: Record<string, unknown>): Promise<void> {
    const next = { ...this.#dynamicConfig, ...values };
    for (const [key, value] of Object.entries(values)) if (value === undefined) delete next[key];
    this.#dynamicConfig = next;
    await writeFile(join(this.#tempDir, 'dynamicconfig.yaml'), dynamicConfigFile(next));
  }

  /**
   * Ends every service — SIGKILL by default (the cluster is thrown away; a graceful stop of the worker service
   * alone takes ~9 s), or with `graceful: true` SIGTERM, frontends first, SIGKILL after `timeoutMs` — then closes
   * the balancer, stops its own PostgreSQL (a given one is left running, with the cluster's databases in it)
   * and removes the temp dir. Idempotent.
   */
  async stop({
    graceful = false,
    timeoutMs = 10_000,
  }: {
    graceful?: boolean;
    timeoutMs?: number;
  } = {}): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const all = Object.values(this.services);
    if (graceful) {
      const frontends = [this.services['frontend-1'], this.services['frontend-2']];
      await Promise.all(frontends.map((service) => service.stop({ timeoutMs })));
      await Promise.all(all.map((service) => service.stop({ timeoutMs })));
    } else {
      await Promise.all(all.map((service) => service.kill()));
    }
    await this.balancer.close();
    if (this.#ownsPostgres) await this.postgres.stop();
    untrackTempDir(this.#tempDir);
    await rm(this.#tempDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** Registers each namespace (ALREADY_EXISTS is fine) and waits until both frontends can reach history for it. */
  async #registerNamespaces(namespaces: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const connection = await Connection.connect({
      address: this.address,
      interceptors: [],
      connectTimeout: 5000,
    });
    try {
      for (const namespace of namespaces) {
        await retryUntil(deadline, `register namespace ${namespace}`, async () => {
          try {
            await connection.withDeadline(Date.now() + 5000, () =>
              connection.workflowService.registerNamespace({
                namespace,
                workflowExecutionRetentionPeriod: msToTs('1 day'),
              }),
            );
          } catch (error) {
            if (!(isGrpcServiceError(error) && error.code === status.ALREADY_EXISTS)) throw error;
          }
        });
      }
      for (const frontend of [this.services['frontend-1'], this.services['frontend-2']]) {
        const direct = await Connection.connect({
          address: frontend.address,
          interceptors: [],
          connectTimeout: 5000,
        });
        try {
          for (const namespace of namespaces) {
            await retryUntil(deadline, `${frontend.name} reaching history for ${namespace}`, () =>
              reachesHistory(direct, namespace),
            );
          }
        } finally {
          await direct.close();
        }
      }
    } finally {
      await connection.close();
    }
  }
}

/**
 * `DescribeWorkflowExecution` of a workflow that does not exist: the frontend asks history, which answers
 * NOT_FOUND. Any other outcome (UNAVAILABLE, a deadline) means history cannot be reached for `namespace`.
 */
export async function reachesHistory(
  connection: Connection,
  namespace: string,
  timeoutMs = 5000,
): Promise<void> {
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection.workflowService.describeWorkflowExecution({
        namespace,
        execution: { workflowId: `temporal-cluster-probe-${randomBytes(4).toString('hex')}` },
      }),
    );
  } catch (error) {
    if (isGrpcServiceError(error) && error.code === status.NOT_FOUND) return;
    throw error;
  }
  throw new Error('DescribeWorkflowExecution of a workflow that does not exist succeeded.');
}

async function retryUntil(deadline: number, what: string, attempt: () => Promise<void>): Promise<void> {
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      await attempt();
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`Temporal cluster: timed out on ${what}: ${String(lastError)}`, { cause: lastError });
}

/** Creates both databases and runs the SQL tool: `setup-schema -v 0.0`, then `update-schema` to the latest. */
async function setUpSchema(
  binaries: TemporalServerBinaries,
  postgres: PostgresServer,
  databases: { main: string; visibility: string },
  log: (line: string) => void,
): Promise<void> {
  for (const [database, schema] of [
    [databases.main, 'temporal'],
    [databases.visibility, 'visibility'],
  ] as const) {
    await postgres.createDatabase(database);
    const common = ['--plugin', 'postgres12', '--ep', postgres.host, '-p', String(postgres.port)];
    const target = [...common, '-u', postgres.user, '--db', database];
    await runTool(binaries.sqlTool, [...target, 'setup-schema', '-v', '0.0'], log);
    await runTool(
      binaries.sqlTool,
      [...target, 'update-schema', '-d', join(binaries.postgresSchemaDir, schema, 'versioned')],
      log,
    );
  }
}

async function runTool(command: string, args: string[], log: (line: string) => void): Promise<void> {
  const proc = new ManagedProcess(command, args, {
    name: 'temporal-sql-tool',
    onLine: (line) => log(`[sql-tool] ${line}`),
  });
  const exit = await proc.exited;
  if (exit.code !== 0) {
    await proc.outputComplete();
    throw new Error(
      `temporal-sql-tool failed (exit ${exit.code ?? exit.signal}): ${command} ${args.join(' ')}\n${proc.output.describe()}`,
    );
  }
}

function validate(options: TemporalClusterOptions): void {
  const { readyTimeoutMs, log, postgres, dynamicConfig } = options;
  if (readyTimeoutMs !== undefined && !(Number.isFinite(readyTimeoutMs) && readyTimeoutMs > 0)) {
    throw new RangeError(`Expected \`readyTimeoutMs\` to be a positive number, got ${readyTimeoutMs}.`);
  }
  if (log !== undefined && typeof log !== 'function') {
    throw new TypeError(`Expected \`log\` to be a function (line: string) => void, got ${typeof log}.`);
  }
  if (postgres !== undefined && !(postgres instanceof PostgresServer)) {
    throw new TypeError('Expected `postgres` to be a PostgresServer (from PostgresServer.start()).');
  }
  if (dynamicConfig !== undefined && (typeof dynamicConfig !== 'object' || dynamicConfig === null)) {
    throw new TypeError(
      `Expected \`dynamicConfig\` to be an object of key → value, got ${String(dynamicConfig)}.`,
    );
  }
}
