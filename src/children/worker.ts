import { inspect } from 'node:util';
import type { NativeConnection, Worker, WorkflowBundle } from '@temporalio/worker';
import { ConnectionFailureError } from '../errors.js';
import { describeThrown } from '../logging/faults.js';
import type { SupervisorLogger } from '../logging/logger.js';
import type { ConnectionSettings } from '../options/connection.js';
import type { ResolvedWorkerOptions } from '../options/worker.js';
import { classifyFailure } from '../runtime/classify.js';
import type { Clock } from '../runtime/clock.js';
import type { CredentialSource } from '../runtime/credential-source.js';
import { type BundleJob, bundleOffThread } from '../temporal/bundle.js';
import { releaseCallContext } from '../temporal/call-context.js';
import { describePollers } from '../temporal/task-queue-pollers.js';
import { loadWorkerPackage } from '../temporal/worker-package.js';
import { isIdle, replaceable, resumeVerdict, untilParkable } from './parking.js';
import { type ClientSource, PollerWatch, pollerTarget, type QueueUnreachable } from './poller-watch.js';

interface Current {
  readonly worker: Worker;
  /** Replaced when the TLS pair is reloaded (`worker.connection = …`). */
  connection: NativeConnection;
  readonly running: Promise<void>;
  /** Set once its connection was retired: release is idempotent. */
  released?: true;
  /** Its poller check while `run` watches it; stopped when it is handed over or drained (it stops polling). */
  watch?: PollerWatch | undefined;
}

/** How often a handed-over worker is checked for work still in flight. */
const HANDOVER_CHECK_MS = 250;

/** How long a native connection replaced at a TLS reload stays open: a long poll on it lasts up to ~70 s. */
const RETIRE_AFTER_SWAP_MS = 90_000;

/** How often `run` checks that the worker has not gone FAILED without `run()` settling. */
const FAILED_CHECK_MS = 1_000;

/**
 * The Temporal side of one supervised worker: what the worker statechart's actors do. Holds at most one
 * SDK worker and its native connection at a time, and never leaves either behind.
 */
export class SupervisedWorker {
  /** Address and metadata: a #private field, so that no JSON.stringify or util.inspect of ours shows them. */
  readonly #settings: Pick<ConnectionSettings, 'address' | 'namespace' | 'metadata'>;
  /** The API key and TLS pair of the moment (the next native connection's), and their changes. */
  readonly #credentials: CredentialSource;
  readonly #unsubscribe: () => void;
  private bundle: Promise<WorkflowBundle | undefined> | undefined;
  /** The off-thread build of `workflowsPath` (bundle.ts), cancelled by `dispose()` if still running. */
  private bundling: BundleJob | undefined;
  private current: Current | undefined;
  /**
   * Native connections of workers that have stopped, kept open until a newer one is connected. Closing the
   * process's last native connection shuts the SDK's runtime down, and building the next one leaks four
   * file descriptors (measured: 20 cycles took a process from 39 to 119); a handover never lets the count
   * of native connections reach zero between two workers.
   */
  private retired: NativeConnection[] = [];
  /** Set by `dispose()`: from then on, connections are closed as soon as they are released. */
  private disposed = false;
  /** Workers handed over at a refresh, finishing their work in flight in the background. */
  private readonly handedOver = new Map<Current, { finish(): void; done: Promise<void> }>();

  constructor(
    readonly name: string,
    readonly config: ResolvedWorkerOptions,
    settings: Pick<ConnectionSettings, 'address' | 'namespace' | 'metadata'>,
    credentials: CredentialSource,
    private readonly clock: Clock,
    private readonly log: SupervisorLogger,
  ) {
    this.#settings = settings;
    this.#credentials = credentials;
    this.redact = credentials.redact;
    this.#unsubscribe = credentials.onChange((change) =>
      change.kind === 'apiKey' ? this.setApiKey(change.apiKey) : this.renewConnections(),
    );
  }

  private readonly redact: (text: string) => string;

  /** The native connections open: the current worker's, handed-over workers finishing, kept for handover. */
  private openConnections(): NativeConnection[] {
    return [
      ...new Set([
        ...(this.current ? [this.current.connection] : []),
        ...[...this.handedOver.keys()].map((handed) => handed.connection),
        ...this.retired,
      ]),
    ];
  }

  /**
   * A rotated API key: every native connection made from now on uses it, and those open get it through
   * `NativeConnection.setApiKey`, which the core applies to its next calls: nothing in flight is dropped, no
   * worker restarts.
   */
  private async setApiKey(apiKey: string): Promise<void> {
    await Promise.all(this.openConnections().map((connection) => connection.setApiKey(apiKey)));
  }

  private connect(NativeConnection: typeof import('@temporalio/worker').NativeConnection) {
    const tls = this.#credentials.tls();
    const apiKey = this.#credentials.apiKey();
    return NativeConnection.connect({
      address: this.#settings.address,
      ...(tls !== undefined ? { tls } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      metadata: { ...this.#settings.metadata },
    });
  }

  /**
   * A reloaded TLS pair: a new native connection (a TLS setting is fixed per connection) for each running
   * worker, current and handed over (one each: a handed-over worker's release closes its connection), swapped in
   * with `worker.connection = …` (PR #1902: the core replaces the client under the running worker; polls in
   * flight finish on the old one). The native connection tells nothing of its calls in flight, so the old ones
   * are closed after `RETIRE_AFTER_SWAP_MS`, longer than a long poll begun on them lasts. Workers created later
   * connect with the new pair anyway.
   */
  private async renewConnections(): Promise<void> {
    const running = [...(this.current ? [this.current] : []), ...this.handedOver.keys()];
    if (running.length === 0 || this.disposed) return;
    const { NativeConnection } = await this.sdk();
    const old: NativeConnection[] = [];
    try {
      for (const entry of running) {
        const connection = await this.connect(NativeConnection);
        if (entry.released || this.disposed) {
          await this.close(connection);
          continue;
        }
        try {
          entry.worker.connection = connection;
        } catch (error) {
          await this.close(connection);
          throw error;
        }
        old.push(entry.connection);
        entry.connection = connection;
      }
    } finally {
      // Those swapped before a failure too.
      if (old.length > 0) {
        this.log.log('info', 'Temporal worker connection renewed (TLS reloaded)', { workers: old.length });
        const entry = { connections: old, timer: undefined as unknown };
        entry.timer = this.clock.setTimeout(() => void this.closeSwapped(entry), RETIRE_AFTER_SWAP_MS);
        this.swapped.add(entry);
      }
    }
  }

  /** Connections replaced at a TLS reload, closed once their long polls had time to end (or at `dispose`). */
  private readonly swapped = new Set<{ connections: NativeConnection[]; timer: unknown }>();

  private async closeSwapped(entry: { connections: NativeConnection[]; timer: unknown }): Promise<void> {
    if (!this.swapped.delete(entry)) return;
    this.clock.clearTimeout(entry.timer);
    await Promise.all(entry.connections.map((connection) => this.close(connection)));
  }

  /** What `JSON.stringify(worker)` writes: its name and task queue, never the connection settings. */
  toJSON(): { name: string; taskQueue: string } {
    return { name: this.name, taskQueue: this.config.options.taskQueue };
  }

  [inspect.custom](): string {
    return `SupervisedWorker ${inspect(this.toJSON())}`;
  }

  /** The worker package, loaded now (a creator-only service never loads it); its absence is permanent. */
  private async sdk() {
    try {
      return await loadWorkerPackage();
    } catch (error) {
      throw new ConnectionFailureError(
        {
          kind: 'permanent',
          code: 'WORKER_PACKAGE_MISSING',
          name: 'WorkerPackageMissing',
          message: `@temporalio/worker could not be loaded (${this.redact(describeThrown(error))}): install it beside temporal-supervisor (npm install @temporalio/worker), at the version of @temporalio/client`,
        },
        { cause: error },
      );
    }
  }

  /** Creates the native connection and the worker, and starts `run()`. Closes what it made if abandoned. */
  async create(signal: AbortSignal): Promise<void> {
    const { options } = this.config;
    const { NativeConnection, Worker } = await this.sdk();
    if (this.bundle === undefined) {
      if (options.workflowBundle) this.bundle = Promise.resolve(options.workflowBundle);
      else if (options.workflowsPath) {
        // Built once, in a worker thread: bundling on this thread would stall it for a second or more.
        this.bundling = bundleOffThread(options.workflowsPath);
        this.bundle = this.bundling.bundle;
      } else this.bundle = Promise.resolve(undefined);
    }
    let connection: NativeConnection | undefined;
    try {
      const workflowBundle = await this.bundle;
      const [tls, apiKey] = [this.#credentials.tls(), this.#credentials.apiKey()];
      connection = await this.connect(NativeConnection);
      // The new connection now keeps the SDK's runtime alive: the retired ones can go.
      await this.closeRetired();
      if (signal.aborted) throw new Error('Worker creation abandoned');
      const worker = await Worker.create({
        ...options.worker,
        connection,
        namespace: this.#settings.namespace,
        taskQueue: options.taskQueue,
        ...(workflowBundle ? { workflowBundle } : {}),
        ...(options.activities ? { activities: options.activities } : {}),
      });
      const running = worker.run();
      running.catch(() => {});
      this.current = { worker, connection, running };
      // A key or TLS pair that changed while this worker was being made (the listeners did not see it).
      const latestKey = this.#credentials.apiKey();
      if (latestKey !== undefined && latestKey !== apiKey) await connection.setApiKey(latestKey);
      if (this.#credentials.tls() !== tls) {
        this.renewConnections().catch((error: unknown) =>
          this.log.log('error', 'TLS reload failed', { error: this.describe(error) }),
        );
      }
      if (signal.aborted) {
        await this.shutdown();
        throw new Error('Worker creation abandoned');
      }
      this.log.log('info', 'Temporal worker started', { taskQueue: options.taskQueue });
    } catch (error) {
      if (!this.current && connection) await this.retire(connection);
      throw new ConnectionFailureError(classifyCreateFailure(error, this.redact), { cause: error });
    }
  }

  /**
   * Settles when the worker stops by itself: resolves if `run()` resolved, rejects if it rejected or the
   * worker went FAILED (which `run()` is not guaranteed to report). Either way, what it held is released.
   * With the poller check on and `clients` given, also rejects (WORKER_NOT_POLLING) when the server stops
   * seeing its polls (poller-watch.ts); that worker still runs, so it is drained in the background.
   */
  async run(clients?: ClientSource): Promise<void> {
    const current = this.current;
    if (!current) throw new Error('no worker to run');
    const watch = this.watchPollers(current, clients);
    current.watch = watch;
    let timer: unknown;
    const failed = new Promise<never>((_, reject) => {
      const check = () => {
        if (current.worker.getState() === 'FAILED') reject(new Error('The worker went FAILED'));
        else timer = this.clock.setTimeout(check, FAILED_CHECK_MS);
      };
      timer = this.clock.setTimeout(check, FAILED_CHECK_MS);
    });
    failed.catch(() => {});
    let zombie = false;
    try {
      await Promise.race([current.running, failed, ...(watch ? [watch.absent] : [])]);
    } catch (error) {
      zombie = watch?.fired === true;
      this.log.log('warn', zombie ? 'Temporal worker not polling' : 'Temporal worker failed', {
        error: this.describe(error),
      });
      throw new ConnectionFailureError(classifyFailure(error, this.redact), { cause: error });
    } finally {
      this.clock.clearTimeout(timer);
      watch?.stop();
      // A worker that does not poll still runs: shut down in the background (it may hang on its connection).
      if (zombie) this.hand(current, false);
      else await this.release(current);
    }
  }

  private watchPollers(current: Current, clients: ClientSource | undefined): PollerWatch | undefined {
    const check = this.config.pollerCheck;
    if (check === false || clients === undefined) return undefined;
    const { namespace } = this.#settings;
    const timeoutMs = Math.min(check.intervalMs, 10_000);
    let target: ReturnType<typeof pollerTarget>;
    try {
      target = pollerTarget(current.worker);
    } catch (error) {
      // An SDK whose worker does not expose its compiled options: run unwatched rather than fail the worker.
      this.log.log('warn', 'Poller check off: the worker options could not be read', {
        error: this.describe(error),
      });
      return undefined;
    }
    return new PollerWatch(
      async (kind, partition) =>
        describePollers(await clients({ failFast: true }), {
          namespace,
          taskQueue: this.config.options.taskQueue,
          kind,
          partition,
          timeoutMs,
        }),
      target,
      check,
      this.clock,
      {
        redact: this.redact,
        unreachable: ({ failure }) =>
          this.log.log('warn', 'Temporal task queue unreachable', {
            taskQueue: this.config.options.taskQueue,
            code: failure.code,
            cause: failure.message,
          }),
        reachable: ({ since }) =>
          this.log.log('info', 'Temporal task queue reachable again', {
            taskQueue: this.config.options.taskQueue,
            unreachableMs: Math.round(this.clock.now() - since),
          }),
      },
    );
  }

  /** The running worker's task queue cannot be read on a serving connection (matching away): since when, why. */
  get taskQueueUnreachable(): QueueUnreachable | undefined {
    return this.current?.watch?.unreachable;
  }

  /**
   * Refresh: the current worker is handed over to finish in the background, and the slot is free for a new
   * one at once. The old worker keeps running — so what it has in flight completes, never cancelled (the
   * SDK's shutdown would cancel activities after its grace time, 0 by default) — until it has nothing in
   * flight, then is drained as by `shutdown()`. Its connection is closed once a newer one exists.
   */
  async handOver(): Promise<void> {
    if (this.current) this.hand(this.current, true);
  }

  /** Hands `current` over to drain in the background: once idle if `whenIdle`, else at once. */
  private hand(current: Current, whenIdle: boolean): void {
    current.watch?.stop();
    if (this.current === current) this.current = undefined;
    let finish!: () => void;
    const finishNow = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const done = (async () => {
      if (whenIdle) {
        let timer: unknown;
        const idle = new Promise<void>((resolve) => {
          const check = () => {
            if (isIdle(current.worker)) resolve();
            else timer = this.clock.setTimeout(check, HANDOVER_CHECK_MS);
          };
          check();
        });
        await Promise.race([idle, finishNow, current.running.catch(() => {})]);
        this.clock.clearTimeout(timer);
      }
      await this.drain(current);
    })().finally(() => this.handedOver.delete(current));
    this.handedOver.set(current, { finish, done });
  }

  /**
   * Drains: `shutdown()`, `run()` awaited up to the drain timeout, then the native connection closed; the
   * same, at once, for every worker handed over and still finishing.
   */
  async shutdown(): Promise<void> {
    const finishing = [...this.handedOver.values()];
    for (const entry of finishing) entry.finish();
    const current = this.current;
    await Promise.all([...finishing.map((entry) => entry.done), current ? this.drain(current) : undefined]);
  }

  private async drain(current: Current): Promise<void> {
    current.watch?.stop();
    const state = current.worker.getState();
    if (state === 'RUNNING' || state === 'INITIALIZED') {
      try {
        current.worker.shutdown();
      } catch (error) {
        this.log.log('warn', 'Temporal worker shutdown threw', {
          error: this.describe(error),
        });
      }
    }
    let timer: unknown;
    const drained = await Promise.race([
      current.running.then(
        () => true,
        () => true,
      ),
      new Promise<boolean>((resolve) => {
        timer = this.clock.setTimeout(() => resolve(false), this.config.drainTimeoutMs);
      }),
    ]);
    this.clock.clearTimeout(timer);
    if (!drained) {
      this.log.log('error', 'Temporal worker did not drain in time', {
        drainTimeoutMs: this.config.drainTimeoutMs,
      });
    }
    await this.release(current);
  }

  private release(current: Current): Promise<void> {
    if (this.current === current) this.current = undefined;
    if (current.released) return Promise.resolve();
    current.released = true;
    return this.retire(current.connection);
  }

  /**
   * Keeps a connection until the next one is connected, or closes it at once when a newer worker already
   * holds one (a handed-over worker finishing) or after `dispose()`.
   */
  private retire(connection: NativeConnection): Promise<void> {
    if (!this.disposed && !this.current) {
      this.retired.push(connection);
      return Promise.resolve();
    }
    return this.close(connection);
  }

  private async closeRetired(): Promise<void> {
    await Promise.all(this.retired.splice(0).map((connection) => this.close(connection)));
  }

  private close(connection: NativeConnection): Promise<void> {
    return connection.close().then(
      () => releaseCallContext(connection),
      (error: unknown) => {
        // A worker that never finished shutting down keeps its hold on the connection (IllegalStateError).
        this.log.log('error', 'Native connection could not be closed; abandoned', {
          error: this.describe(error),
        });
      },
    );
  }

  /**
   * The supervisor is stopping for good (this worker's actor has stopped): closes the connections kept
   * for handover, and any released from now on (a creation abandoned by the stop settles later).
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.#unsubscribe();
    this.bundling?.cancel();
    await this.shutdown();
    await Promise.all([...this.swapped].map((entry) => this.closeSwapped(entry)));
    await this.closeRetired();
  }

  /** A worker runs that can be replaced at no cost: nothing in flight, no workflow cached (parking.ts). */
  replaceable(): boolean {
    return this.current !== undefined && replaceable(this.current.worker);
  }

  /**
   * Settles during an outage that began at `disconnectedAt` once it has lasted `refreshAfterOutage` and the
   * running worker is replaceable (parking.ts): it can then be stopped without losing a task.
   */
  async untilParkable(disconnectedAt: number | undefined, signal: AbortSignal): Promise<void> {
    const ready = () => this.replaceable();
    await untilParkable(this.config.refreshAfterOutageMs, disconnectedAt, ready, this.clock, signal);
    const outageMs = this.clock.now() - (disconnectedAt ?? 0);
    this.log.log('info', 'Temporal worker stopped polling during the outage', { outageMs });
  }

  /**
   * The connection is back after losing it at `disconnectedAt`: 'refresh' when the outage lasted at least
   * `refreshAfterOutage` and no workflow is cached on the worker, else 'keep' (parking.ts, `resumeVerdict`).
   */
  async checkResume(disconnectedAt: number | undefined): Promise<'keep' | 'refresh'> {
    const current = this.current;
    if (disconnectedAt === undefined || !current) return 'keep';
    const outageMs = this.clock.now() - disconnectedAt;
    const { verdict, fields } = resumeVerdict(current.worker, outageMs, this.config.refreshAfterOutageMs);
    if (fields.outageMs !== undefined) {
      const message =
        verdict === 'refresh' ? 'refreshed after outage' : 'kept after outage (workflows cached)';
      this.log.log('info', `Temporal worker ${message}`, fields);
    }
    return verdict;
  }

  private describe(error: unknown): string {
    return this.redact(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  }
}

/**
 * A failure of `create`, classified. `Worker.create` validates its options before any server call and throws
 * a TypeError for bad ones (e.g. "Failed to convert WorkerOptions to CoreWorkerConfig"): a new worker would
 * fail the same way, so it is permanent.
 */
function classifyCreateFailure(error: unknown, redact: (text: string) => string) {
  const failure = classifyFailure(error, redact);
  if (error instanceof TypeError && failure.kind === 'transient' && failure.grpcCode === undefined) {
    return { ...failure, kind: 'permanent' as const, code: 'INVALID_WORKER_OPTIONS' };
  }
  return failure;
}
