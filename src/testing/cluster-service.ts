/**
 * One service process of a {@link TemporalCluster} (`temporal-server start --service <kind>` with its own
 * config file), which a test can start, SIGTERM, SIGKILL and restart on the same ports.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterServiceKind } from './cluster-config.js';
import { checkHealth, type ServingStatus } from './grpc-health.js';
import { ManagedProcess, type ProcessExit } from './managed-process.js';
import { startOnSamePort } from './ports.js';
import { describeExit } from './start-error.js';

/** The five processes of a cluster. */
export type ClusterServiceName = 'frontend-1' | 'frontend-2' | 'history' | 'matching' | 'worker';

/** The gRPC health service each kind registers (the server's own names); the worker service has none. */
const HEALTH_SERVICE: Record<ClusterServiceKind, string | undefined> = {
  frontend: 'temporal.api.workflowservice.v1.WorkflowService',
  history: 'temporal.api.workflowservice.v1.HistoryService',
  matching: 'temporal.api.workflowservice.v1.MatchingService',
  worker: undefined,
};

export interface ClusterServiceSpec {
  name: ClusterServiceName;
  kind: ClusterServiceKind;
  grpcPort: number;
  membershipPort: number;
  /** The `temporal-server` binary. */
  server: string;
  /** `--root` of the cluster: holds `config/<name>.yaml`; the reaper removes it if the test process dies. */
  root: string;
  readyTimeoutMs: number;
  log: (line: string) => void;
}

/** Durations of the last operation of each kind, in milliseconds. */
export interface ClusterServiceTimings {
  /** From spawning to ready (health SERVING; for the worker service, its gRPC port accepting TCP). */
  startToReadyMs?: number;
  /** From SIGTERM to the exit (SIGKILL included if the timeout ran out). */
  stopMs?: number;
}

export class ClusterService {
  readonly name: ClusterServiceName;
  readonly kind: ClusterServiceKind;
  readonly grpcPort: number;
  readonly membershipPort: number;
  /** `127.0.0.1:<grpcPort>`: this process's own gRPC address (a frontend's, not the balancer's). */
  readonly address: string;
  readonly timings: ClusterServiceTimings = {};
  readonly #spec: ClusterServiceSpec;
  #process: ManagedProcess | undefined;
  #workerStarted = false;

  constructor(spec: ClusterServiceSpec) {
    this.#spec = spec;
    this.name = spec.name;
    this.kind = spec.kind;
    this.grpcPort = spec.grpcPort;
    this.membershipPort = spec.membershipPort;
    this.address = `127.0.0.1:${spec.grpcPort}`;
  }

  /** Pid of the current process, or of the last one once it has exited. */
  get pid(): number | undefined {
    return this.#process?.pid;
  }

  get running(): boolean {
    return this.#process?.running ?? false;
  }

  /** How the last process ended, if it has. */
  get lastExit(): ProcessExit | undefined {
    return this.#process?.exit;
  }

  /** The first and last lines of the current (or last) process's output. */
  output(lastLines = 40): string {
    return this.#process?.output.describe(lastLines) ?? '(never started)';
  }

  /**
   * `grpc.health.v1` of this very process; `error: <code>` when the call fails, e.g. `error: UNAVAILABLE` once
   * it is down. The worker service serves no gRPC at all: `SERVING` once its process logged "worker service
   * started" (its log level is at least info for that) and while it runs, else `error: UNAVAILABLE`.
   */
  async health(timeoutMs = 2000): Promise<ServingStatus | `error: ${string}`> {
    const service = HEALTH_SERVICE[this.kind];
    if (service === undefined) return this.running && this.#workerStarted ? 'SERVING' : 'error: UNAVAILABLE';
    return checkHealth(this.address, service, timeoutMs);
  }

  /**
   * Spawns the process and waits until it is ready (see {@link ClusterServiceTimings.startToReadyMs}); with
   * `ready: 'listening'`, only until its gRPC port accepts TCP. Retries while the port is still held by the
   * previous process.
   *
   * @throws Error if it runs already; Error with its exit and output if it exits first or is not ready in time.
   */
  async start({ ready = 'serving' }: { ready?: 'serving' | 'listening' } = {}): Promise<void> {
    if (this.running)
      throw new Error(`${this.name} is running (pid ${this.pid}); stop() or kill() it first.`);
    await startOnSamePort(
      this.grpcPort,
      () => this.#spawnAndWait(ready),
      () => this.#process?.output.tail(20) ?? '',
      () => this.kill(),
    );
  }

  /** SIGTERM (a graceful shutdown: a frontend drains per its dynamic config), SIGKILL after `timeoutMs`. */
  async stop({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<void> {
    const started = performance.now();
    await this.#process?.stop({ timeoutMs });
    this.timings.stopMs = Math.round(performance.now() - started);
  }

  /** SIGKILL and wait for the exit: a crash, nothing drained. */
  async kill(): Promise<void> {
    await this.#process?.kill();
  }

  /** SIGTERM (or SIGKILL with `kill: true`), then {@link start} again on the same ports. */
  async restart({ kill = false }: { kill?: boolean } = {}): Promise<void> {
    if (kill) await this.kill();
    else await this.stop();
    await this.start();
  }

  /**
   * Waits until the running process is SERVING (e.g. history after a start with `ready: 'listening'`).
   *
   * @throws Error with its exit and output if it exits first or is not ready within the ready timeout.
   */
  async waitUntilServing(): Promise<void> {
    const proc = this.#process;
    if (proc === undefined) throw new Error(`${this.name} was never started.`);
    await this.#waitReady(proc, 'serving', performance.now());
  }

  async #spawnAndWait(ready: 'serving' | 'listening'): Promise<void> {
    const { server, root, name, kind } = this.#spec;
    const args = [
      '--root',
      root,
      '--config',
      'config',
      '--env',
      name,
      '--allow-no-auth',
      'start',
      '--service',
      kind,
    ];
    const started = performance.now();
    this.#workerStarted = false;
    const proc = new ManagedProcess(server, args, {
      name: `temporal-cluster-${name}`,
      tempDir: root,
      onLine: (line) => {
        if (kind === 'worker' && line.includes('"worker service started"')) this.#workerStarted = true;
        this.#spec.log(`[${name}] ${line}`);
      },
    });
    this.#process = proc;
    await this.#waitReady(proc, ready, started);
    this.timings.startToReadyMs = Math.round(performance.now() - started);
  }

  async #waitReady(proc: ManagedProcess, ready: 'serving' | 'listening', started: number): Promise<void> {
    const deadline = started + this.#spec.readyTimeoutMs;
    let last = 'not probed yet';
    for (;;) {
      if (ready === 'listening' && this.kind !== 'worker') {
        if (await acceptsTcp(this.grpcPort)) return;
      } else {
        last = await this.health();
        if (last === 'SERVING') return;
      }
      const elapsed = Math.round(performance.now() - started);
      const command = `${proc.command} ${proc.args.join(' ')}`;
      if (!proc.running) {
        await proc.outputComplete();
        const exit = describeExit(proc.exit ?? { code: null, signal: null });
        throw new Error(
          `Temporal ${this.name} (${this.address}) exited before it was ready (${exit}, after ${elapsed} ms). ` +
            `Command: ${command}\nOutput (${proc.output.count} lines; first and last):\n${proc.output.describe()}`,
        );
      }
      if (performance.now() >= deadline) {
        await proc.kill();
        throw new Error(
          `Temporal ${this.name} (${this.address}, pid ${proc.pid}) was not ready after ${elapsed} ms ` +
            `(readyTimeoutMs ${this.#spec.readyTimeoutMs}; last health: ${last}). Command: ${command}\n` +
            `Output (${proc.output.count} lines; first and last):\n${proc.output.describe()}`,
        );
      }
      await Promise.race([sleep(100), proc.exited]);
    }
  }
}

/** Whether something accepts a TCP connection on 127.0.0.1:`port` (within 1 s). */
export async function acceptsTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}
