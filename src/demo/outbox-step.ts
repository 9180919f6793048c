/**
 * The tour's last step: the service itself dies during an outage, and nothing it accepted is lost. A second
 * service (src/demo/outbox-child.ts, a child process with an embedded outbox) accepts orders while Temporal is
 * down, is SIGKILLed, and is started again on the same data directory; once Temporal is back its dispatcher
 * (a child of its supervisor) starts every order, and the step counts the executions in visibility.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownFile } from '../runtime/own-file.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { onJsonLines } from './json-lines.js';

export interface OutboxStepOptions {
  readonly supervisor: Supervisor;
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Workflow ids are `<prefix>-<n>`. */
  readonly prefix: string;
  readonly count: number;
  readonly say: (line: string) => void;
  /** Polls until `check` holds; throws when the tour's step timeout passes or the tour is stopped. */
  readonly until: (what: string, check: () => boolean | Promise<boolean>) => Promise<void>;
  /** Takes Temporal down, and brings it back. */
  readonly outage: () => Promise<void>;
  readonly recover: () => Promise<void>;
}

/** The child's entry file, beside this one (`.ts` under tsx, `.js`/`.cjs` in the builds). */
function childEntry(): string {
  const own = ownFile();
  const path = own.startsWith('file:') ? fileURLToPath(own) : own;
  return path.replace(/runtime([\\/])own-file(\.[cm]?[jt]s)$/, 'demo$1outbox-child$2');
}

/** Whether the embedded store's PGlite (an optional peer) is installed. */
export function embeddedStoreAvailable(): boolean {
  try {
    createRequire(ownFile()).resolve('@electric-sql/pglite');
    return true;
  } catch {
    return false;
  }
}

interface Child {
  readonly pid: number | undefined;
  readonly events: Record<string, unknown>[];
  readonly exited: Promise<void>;
  kill(signal: NodeJS.Signals): void;
  stderr(): string;
}

function startChild(options: OutboxStepOptions, dir: string, count: number): Child {
  const config = {
    address: options.address,
    namespace: options.namespace,
    dir,
    taskQueue: options.taskQueue,
    prefix: options.prefix,
    count,
    packingMs: 500,
  };
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, childEntry()], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TEMPORAL_SUPERVISOR_DEMO_OUTBOX: JSON.stringify(config) },
  });
  const events: Record<string, unknown>[] = [];
  let stderr = '';
  onJsonLines(child.stdout, (event) => events.push(event));
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid,
    events,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stderr: () => stderr,
  };
}

const last = (child: Child, kind: string) => child.events.findLast((e) => e.event === kind);
const pendingOf = (event: Record<string, unknown> | undefined) =>
  (event?.depth as { pending?: number } | undefined)?.pending;

/** Runs of each workflow id of the step, as visibility lists them. */
async function runsInVisibility(options: OutboxStepOptions): Promise<Map<string, number>> {
  return options.supervisor.withClient(async (client) => {
    const runs = new Map<string, number>();
    const query = `TaskQueue = "${options.taskQueue}"`;
    for await (const execution of client.workflow.list({ query })) {
      if (!execution.workflowId.startsWith(`${options.prefix}-`)) continue;
      runs.set(execution.workflowId, (runs.get(execution.workflowId) ?? 0) + 1);
    }
    return runs;
  });
}

/** Plays the step; resolves with the accounting line, throws (through `until`) when a stage never comes. */
export async function playOutboxStep(options: OutboxStepOptions): Promise<string> {
  const { say, until, count } = options;
  const dir = mkdtempSync(join(tmpdir(), 'temporal-supervisor-demo-outbox-'));
  const children: Child[] = [];
  const failed = (child: Child) => () => {
    if (child.events.length === 0 && child.stderr() !== '') throw new Error(child.stderr().trim());
  };
  try {
    await options.outage();
    const serving = () => ['connected', 'degraded'].includes(options.supervisor.state);
    await until('the supervisor to notice the outage', () => !serving());
    const first = startChild(options, dir, count);
    children.push(first);
    await until('the second service to take its orders', () => {
      failed(first)();
      return last(first, 'enqueued') !== undefined;
    });
    say(
      `service pid ${first.pid} accepted ${count} orders into its outbox while Temporal is down (${pendingOf(last(first, 'enqueued'))} pending); SIGKILL it now`,
    );
    first.kill('SIGKILL');
    await first.exited;
    const second = startChild(options, dir, 0);
    children.push(second);
    await until('the restarted service to open its outbox', () => {
      failed(second)();
      return last(second, 'opened') !== undefined;
    });
    say(
      `service killed; restarted as pid ${second.pid}: its outbox still holds ${pendingOf(last(second, 'opened'))} pending orders`,
    );
    await options.recover();
    await until(`the restarted service to start its ${count} orders`, () => {
      const progress = last(second, 'progress');
      return Number(progress?.started ?? 0) >= count;
    });
    let runs = new Map<string, number>();
    await until('visibility to list them', async () => {
      runs = await runsInVisibility(options);
      return [...runs.values()].reduce((a, b) => a + b, 0) >= count;
    });
    const executions = [...runs.values()].reduce((a, b) => a + b, 0);
    const duplicates = executions - runs.size;
    const lost = count - runs.size;
    const line = `visibility: ${executions} executions for ${runs.size} of ${count} orders accepted before the kill — ${lost} lost, ${duplicates} duplicates`;
    if (lost !== 0 || duplicates !== 0) throw new Error(line);
    return line;
  } finally {
    for (const child of children) {
      child.kill('SIGTERM');
      await Promise.race([child.exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      child.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
