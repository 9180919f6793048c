/**
 * What every benchmark gets from the runner: the real dev server (one for the whole run, killed and
 * restarted by the benchmarks on the same port and SQLite file), the run's id, the mode, a log, cleanups,
 * and the measuring helpers they share.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  type ConnectionState,
  createSupervisor,
  type Supervisor,
  type SupervisorOptions,
  type WorkflowCreator,
} from '../../src/index.js';
import type { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';
import { installRuntime } from '../harness/worker.js';
import type { Figures } from './figures.js';

export interface BenchContext {
  /** `--quick`: fewer trials and requests, for a CI smoke run. */
  readonly quick: boolean;
  readonly server: DevServer;
  /** Unique per run: prefixes task queues and workflow ids. */
  readonly runId: string;
  log(line: string): void;
  /** Registers a cleanup, run (newest first) when the benchmark ends, even if it failed. */
  defer(cleanup: () => Promise<unknown> | unknown): void;
}

export interface BenchResult {
  readonly figures: Partial<Figures>;
  /** Lines shown under the table: sample summaries, conditions, anything a reader needs to judge a figure. */
  readonly notes: readonly string[];
  /** The chaos run's timeline, when this benchmark drew one (SVG). */
  readonly svg?: string;
}

export interface Benchmark {
  readonly name: string;
  /** The figures it measures (for `--only` and for the completeness check). */
  readonly keys: readonly (keyof Figures)[];
  run(context: BenchContext): Promise<BenchResult>;
}

/** Wall-clock ms with sub-ms resolution, comparable with the server's event times (same machine). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

let gcFunction: (() => void) | undefined;

/** Full garbage collection (exposing `gc` at run time if node was started without --expose-gc). */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    setFlagsFromString('--expose-gc');
    gcFunction = runInNewContext('gc') as () => void;
  }
  gcFunction();
  gcFunction();
}

/** Runs `fn` with a client on a fresh plain connection to `address`, closed afterwards. */
export async function withAdminClient<T>(address: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 10_000 });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close().catch(() => {});
  }
}

/**
 * Starts a supervisor on the server (or `options.address`) with one creator, `bench`, and the given options
 * on top; stopped when the benchmark ends. Resolves once it is connected, and with `stable`, once it has
 * been for a stable period (attempt count back to 0), so that no earlier outage's backoff carries over.
 */
export async function startSupervisor(
  { server, defer }: BenchContext,
  options: SupervisorOptions = {},
  { stable = true }: { stable?: boolean } = {},
): Promise<{ supervisor: Supervisor; creator: WorkflowCreator }> {
  const supervisor = createSupervisor({
    address: server.address,
    envConfig: false,
    creators: { bench: {} },
    ...options,
  });
  defer(() => supervisor.stop());
  supervisor.start();
  await supervisor.waitFor('connected', { timeout: '60s' });
  if (stable) await untilSettled(supervisor, 60_000);
  return { supervisor, creator: supervisor.creator('bench') };
}

/** A client on a plain connection of its own (SDK defaults, no supervisor), closed when the benchmark ends. */
export async function plainClient({ server, defer }: BenchContext): Promise<Client> {
  const connection = await Connection.connect({ address: server.address });
  defer(() => connection.close());
  return new Client({ connection });
}

/** Every change of the supervisor's coarse state, with the wall-clock time it was seen. */
export class StateRecorder {
  readonly changes: { at: number; from: ConnectionState; to: ConnectionState }[] = [];
  readonly #subscription: { dispose(): void };

  constructor(readonly supervisor: Supervisor) {
    this.#subscription = supervisor.onStateChange(({ from, to }) => {
      this.changes.push({ at: now(), from, to });
    });
  }

  /** The first change after `since` matching `test`, waiting for it up to `timeoutMs`. */
  async first(
    test: (change: { from: ConnectionState; to: ConnectionState }) => boolean,
    since: number,
    timeoutMs: number,
    what: string,
  ): Promise<number> {
    const change = await waitUntil(() => this.changes.find((c) => c.at >= since && test(c)), {
      timeoutMs,
      intervalMs: 2,
      what: `${what} (state ${this.supervisor.state})`,
    });
    return change.at;
  }

  dispose(): void {
    this.#subscription.dispose();
  }
}

/** Resolves once the supervisor is `connected` and has been for a stable period (attempt count back to 0). */
export async function untilSettled(supervisor: Supervisor, timeoutMs = 30_000): Promise<void> {
  await waitUntil(() => supervisor.state === 'connected' && supervisor.snapshot().attempt === 0, {
    timeoutMs,
    intervalMs: 50,
    what: `a stable connection (state ${supervisor.state})`,
  });
}

/** When the workflow's first workflow task started (server time, epoch ms): when a worker polled it. */
export async function firstTaskStartedAt(handle: WorkflowHandle, timeoutMs = 60_000): Promise<number> {
  return (await firstTaskTimes(handle, timeoutMs)).startedAt;
}

/**
 * The server's own times (epoch ms) of a workflow's first workflow task: when the server scheduled it (the
 * start accepted and the task in its task queue) and when a worker's poll took it. `startedAt − scheduledAt`
 * is how long the task waited for a poller.
 */
export async function firstTaskTimes(
  handle: WorkflowHandle,
  timeoutMs = 60_000,
): Promise<{ scheduledAt: number; startedAt: number }> {
  const epochMs = (time: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
    time == null ? undefined : Number(time.seconds) * 1_000 + (time.nanos ?? 0) / 1e6;
  return waitUntil(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduledAt = epochMs(
        events.find((event) => event.workflowTaskScheduledEventAttributes != null)?.eventTime,
      );
      const startedAt = epochMs(
        events.find((event) => event.workflowTaskStartedEventAttributes != null)?.eventTime,
      );
      return scheduledAt === undefined || startedAt === undefined ? undefined : { scheduledAt, startedAt };
    },
    { timeoutMs, intervalMs: 20, what: `the first workflow task of ${handle.workflowId} to start` },
  );
}

/** The last SDK (core) log lines at ERROR, shown when a benchmark fails. */
export const sdkLogTail: string[] = [];

/**
 * Installs the SDK runtime, logging errors only and keeping them out of the table (core warns on every
 * retried poll during an outage). Only benchmarks with workers call it: an installed runtime keeps the
 * process alive until its last native connection closes, so it must not exist without one.
 */
export function quietSdkRuntime(): void {
  installRuntime({
    level: 'ERROR',
    log: (line) => {
      sdkLogTail.push(line);
      if (sdkLogTail.length > 50) sdkLogTail.shift();
    },
  });
}

/** Makes sure the server runs (a failed benchmark may have left it killed). */
export async function ensureServerUp(server: DevServer): Promise<void> {
  if (!server.running) await server.startAgain();
}

export { sleep };
