/**
 * Runs a real Temporal `Worker` with the fixtures' workflows and activities, and shuts it down with bounds
 * (never awaiting `run()` unbounded), closing its `NativeConnection`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, type LogEntry, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { activities, workflowsPath } from '../fixtures/index.js';
import { waitUntil } from './wait.js';

export interface RunningWorker {
  readonly worker: Worker;
  readonly connection: NativeConnection;
  readonly taskQueue: string;
  /** Settles when `run()` does; rejects if the worker failed. */
  readonly running: Promise<void>;
  /** `worker.shutdown()`, wait up to `timeoutMs` for `run()` to settle, close the connection. Idempotent. */
  shutdown(timeoutMs?: number): Promise<void>;
}

export type SdkLogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

export interface SdkLogOptions {
  /** Lowest level of SDK (TypeScript and core) logs shown. @default 'WARN' */
  level?: SdkLogLevel;
  /** Where SDK log lines go. @default stderr */
  log?: (line: string) => void;
}

/**
 * Installs the SDK runtime for this process, unless one exists: SDK logs at `level` and up go to `log`, and
 * the runtime installs no signal handlers (the harness owns SIGINT/SIGTERM, see DevServer).
 *
 * Called by {@link startWorker} just before it creates the first native object, on purpose: an installed
 * runtime keeps the process alive until its last native connection closes, so a runtime installed by a
 * program that then fails before creating any worker would never let that program exit.
 */
export function installRuntime({
  level = 'WARN',
  log = (line: string) => process.stderr.write(`${line}\n`),
}: SdkLogOptions = {}): void {
  if (Runtime._instance !== undefined) return;
  Runtime.install({
    logger: new DefaultLogger(level, (entry: LogEntry) => {
      const meta = entry.meta === undefined ? '' : ` ${JSON.stringify(entry.meta, bigintSafe)}`;
      log(`[sdk ${entry.level}] ${entry.message}${meta}`);
    }),
    telemetryOptions: { logging: { filter: { core: level, other: level }, forward: {} } },
    shutdownSignals: [],
  });
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Connects, creates the worker (bundling the fixtures' workflows) and starts `run()`. */
export async function startWorker(options: {
  address: string;
  taskQueue: string;
  sdkLogs?: SdkLogOptions;
}): Promise<RunningWorker> {
  installRuntime(options.sdkLogs);
  const connection = await NativeConnection.connect({ address: options.address });
  let worker: Worker;
  try {
    worker = await Worker.create({
      connection,
      taskQueue: options.taskQueue,
      workflowsPath,
      activities,
    });
  } catch (error) {
    await connection.close().catch(() => {});
    throw error;
  }
  const running = worker.run();
  running.catch(() => {}); // observed through `running` or shutdown()
  let stopped: Promise<void> | undefined;
  const shutdown = (timeoutMs = 15_000): Promise<void> => {
    stopped ??= (async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      const settled = await Promise.race([
        running.then(
          () => true,
          () => true,
        ),
        sleep(timeoutMs, false, { ref: false }),
      ]);
      await connection.close().catch(() => {});
      if (!settled) {
        throw new Error(
          `Worker on task queue ${options.taskQueue} did not stop within ${timeoutMs} ms of shutdown() (state ${worker.getState()}).`,
        );
      }
    })();
    return stopped;
  };
  return { worker, connection, taskQueue: options.taskQueue, running, shutdown };
}

/** Waits until the workflow's history has an event for which `match` is true, and returns the history. */
export async function waitForHistoryEvent(
  handle: WorkflowHandle,
  match: (event: HistoryEvent) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<HistoryEvent[]> {
  return waitUntil(
    async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      return events.some(match) ? events : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${what} in the history of ${handle.workflowId}` },
  );
}

export type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
