/**
 * Side by side with the alternatives, in one run, under the same outage (issue 17, item 5): the plain SDK
 * as the Temporal docs show it, nestjs-temporal-core (the most used supervising integration on npm) in a
 * minimal Nest app, and a supervisor with the defaults, each in a process of its own (peers-child.ts) with
 * its own worker and task queue, against the run's one dev server. Each issues a start every 200 ms, each
 * with a unique workflow id and a 3 s deadline, from 5 s before the server is SIGKILLed, through the 10 s it
 * is held down and its restart, to 30 s after it is ready again; then every start has 31 s to settle.
 *
 * Per side: starts lost (reported started but absent from the server — `describe` finds no execution —
 * or never settled), hung (settled more than 30 s after issue, or never), rejections, how many were typed
 * and how many came more than 150 ms after their deadline, and rejections of starts that ran anyway; from
 * the server being ready, the first start that succeeded (of those issued after the kill) and the side's
 * worker polling again (the earliest first `WorkflowTaskStarted`, server time, after the kill, on the
 * side's task queue, a probe workflow started there at ready included); and, in the notes, every workflow
 * task that timed out. Figures are reported, never asserted; docs/performance.md has a run's table.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { onJsonLines } from '../../src/demo/json-lines.js';
import type { HistoryEvent } from '../harness/worker.js';
import { type Benchmark, now, sleep, withAdminClient } from './context.js';
import { type Figures, peerKey as key, PEER_FIGURES } from './figures.js';
import { installPeerNest } from './peer-sides/nest-install.js';
import { type ChildEvent, type Rejection, SIDES, type SideConfig, type SideName } from './peers-protocol.js';
import { describeSummary, round, summarize } from './stats.js';

const CHILD = fileURLToPath(new URL('./peers-child.ts', import.meta.url));
const STARTS_PER_SECOND = 5;
const DEADLINE_MS = 3_000;
const HOLD_MS = 10_000;
const HUNG_MS = 30_000;
/** A rejection this long after its deadline is late (docs/guarantees.md promises ours within it). */
const LATE_MS = 150;

interface Start {
  readonly id: string;
  readonly issuedAt: number;
  settledAt?: number;
  started?: boolean;
  rejection?: Rejection;
}

/** One side's child process and what it said. */
class SideProcess {
  readonly starts = new Map<string, Start>();
  readonly statuses: { at: number; status: Readonly<Record<string, unknown>> }[] = [];
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly ready: Promise<number>;
  /** Resolves when the child said `done` or exited, whichever came first. */
  readonly finished: Promise<void>;
  exit: { code: number | null; signal: string | null; at: number } | undefined;
  failure: string | undefined;
  setupMs: number | undefined;
  readonly taskQueue: string;

  constructor(
    readonly side: SideName,
    config: SideConfig,
    runId: string,
  ) {
    this.taskQueue = config.taskQueue;
    this.logFile = join(tmpdir(), `peers-${runId}-${side}.log`);
    const log = createWriteStream(this.logFile);
    this.child = spawn(process.execPath, ['--import', 'tsx', CHILD, side, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    // Both into one file, which neither may end (the other may still write).
    this.child.stdout?.pipe(log, { end: false });
    this.child.stderr?.pipe(log, { end: false });
    let onReady: (at: number) => void = () => {};
    let onDone: () => void = () => {};
    this.ready = new Promise((resolve) => {
      onReady = resolve;
    });
    this.finished = new Promise((resolve) => {
      onDone = resolve;
    });
    onJsonLines(this.child.stdout, (line) => {
      const event = line as unknown as ChildEvent;
      switch (event.type) {
        case 'ready':
          this.setupMs = event.setupMs;
          onReady(event.at);
          break;
        case 'issued':
          this.starts.set(event.id, { id: event.id, issuedAt: event.at });
          break;
        case 'started':
        case 'rejected': {
          const start = this.starts.get(event.id);
          if (!start) break;
          start.settledAt = event.at;
          start.started = event.type === 'started';
          if (event.type === 'rejected') start.rejection = event.rejection;
          break;
        }
        case 'status':
          this.statuses.push({ at: event.at, status: event.status });
          break;
        case 'done':
          onDone();
          break;
        case 'failed':
          this.failure = event.message;
          break;
      }
    });
    this.child.once('exit', (code, signal) => {
      this.exit = { code, signal, at: now() };
      onDone();
    });
    this.child.once('close', () => log.end());
  }

  /** Resolves once the side is set up; rejects if the child ended first. */
  async untilReady(timeoutMs: number): Promise<void> {
    const ended = this.finished.then(() => {
      throw new Error(
        `the ${this.side} side ended before it was ready (${this.exit?.code ?? this.exit?.signal}): ${this.failure ?? `see ${this.logFile}`}`,
      );
    });
    const late = sleep(timeoutMs, undefined, { ref: false }).then(() => {
      throw new Error(`the ${this.side} side was not ready within ${timeoutMs} ms (see ${this.logFile})`);
    });
    await Promise.race([this.ready, ended, late]);
  }

  send(line: 'go' | 'stop'): void {
    if (this.exit === undefined) this.child.stdin?.write(`${line}\n`);
  }

  kill(): void {
    if (this.exit === undefined) this.child.kill('SIGKILL');
  }
}

/** Runs `fn` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: limit }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

/** The workflow ids of `ids` that have an execution on the server. */
async function executionsOf(client: Client, ids: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  await eachLimited(ids, 8, async (id) => {
    try {
      await client.workflow.getHandle(id).describe();
      found.add(id);
    } catch (error) {
      if ((error as Error).name !== 'WorkflowNotFoundError') throw error;
    }
  });
  return found;
}

/**
 * From the histories of `ids`: when each workflow's first workflow task started (server time, epoch ms), for
 * those that have one, and how many workflow tasks timed out (a task a worker took and never answered).
 */
async function workflowTasks(client: Client, ids: readonly string[]) {
  const firstStarted: number[] = [];
  /**
   * Each workflow task that timed out: taken and never answered (start-to-close: when it was taken), or
   * never taken from a worker's sticky queue (schedule-to-start: when it timed out); `by`: the identity of
   * the poller the server gave it to (the SDK's default, `<pid>@<host>`).
   */
  const timedOut: { kind: 'start-to-close' | 'schedule-to-start'; at: number; by?: string }[] = [];
  const timeOf = (event: HistoryEvent | undefined) =>
    event?.eventTime
      ? Number(event.eventTime.seconds) * 1_000 + (event.eventTime.nanos ?? 0) / 1e6
      : undefined;
  await eachLimited(ids, 8, async (id) => {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const started = timeOf(events.find((event) => event.workflowTaskStartedEventAttributes != null));
    if (started !== undefined) firstStarted.push(started);
    for (const event of events) {
      const attributes = event.workflowTaskTimedOutEventAttributes;
      if (attributes == null) continue;
      const taken = events.find((e) => String(e.eventId) === String(attributes.startedEventId));
      timedOut.push(
        taken
          ? {
              kind: 'start-to-close',
              at: timeOf(taken) ?? Number.NaN,
              by: taken.workflowTaskStartedEventAttributes?.identity ?? '',
            }
          : { kind: 'schedule-to-start', at: timeOf(event) ?? Number.NaN },
      );
    }
  });
  return { firstStarted, timedOut };
}

/** Starts `<prefix>-<side>` on each side's task queue; resolves with the sides for which that succeeded. */
async function startProbes(address: string, sides: readonly SideProcess[], prefix: string) {
  const started = new Set<SideName>();
  await withAdminClient(address, (client) =>
    Promise.all(
      sides.map(async ({ side, taskQueue }) => {
        await client.workflow.start('greetAfterSleep', {
          workflowId: `${prefix}-${side}`,
          taskQueue,
          args: ['probe', 0],
        });
        started.add(side);
      }),
    ),
  ).catch(() => {});
  return started;
}

/** `Error ×3, ServiceError DEADLINE_EXCEEDED ×40`. */
function rejectionClasses(starts: readonly Start[]): string {
  const counts = new Map<string, number>();
  for (const { rejection } of starts) {
    if (!rejection) continue;
    const name = [rejection.errorClass, rejection.grpcStatus, rejection.reason].filter(Boolean).join(' ');
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return (
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([name, count]) => `${name} ×${count}`)
      .join(', ') || 'none'
  );
}

/** The side's status before the kill, then each change, as `1.2 s {…}` (seconds after the kill). */
function statusTimeline(side: SideProcess, killAt: number): string {
  const before = side.statuses.filter((s) => s.at < killAt).at(-1);
  const after = side.statuses.filter((s) => s.at >= killAt);
  return [
    ...(before ? [`before ${JSON.stringify(before.status)}`] : []),
    ...after.map((s) => `${round((s.at - killAt) / 1000, 1)} s ${JSON.stringify(s.status)}`),
  ].join('; ');
}

/**
 * One side's figures and notes, from what its child said and what the server has: which of its starts have
 * an execution, and the workflow tasks of those issued from 5 s before the kill on (and of its probe).
 */
async function analyse(
  client: Client,
  side: SideProcess,
  { killAt, readyAt, probe }: { killAt: number; readyAt: number; probe: string | undefined },
): Promise<{ figures: Partial<Record<keyof Figures, number>>; notes: string[] }> {
  const starts = [...side.starts.values()];
  const executions = await executionsOf(
    client,
    starts.map((s) => s.id),
  );
  writeFileSync(
    side.logFile.replace(/\.log$/, '.starts.json'),
    JSON.stringify(starts.map((s) => ({ ...s, onServer: executions.has(s.id), killAt, readyAt }))),
  );
  const unsettled = starts.filter((s) => s.settledAt === undefined);
  const rejected = starts.filter((s) => s.rejection !== undefined);
  const rejectedRan = rejected.filter((s) => executions.has(s.id));
  const rejectAfter = rejected.map((s) => (s.settledAt as number) - s.issuedAt);
  const lost = starts.filter((s) => s.started && !executions.has(s.id)).length + unsettled.length;
  const hung = starts.filter((s) => (s.settledAt ?? Number.POSITIVE_INFINITY) - s.issuedAt > HUNG_MS);
  const firstStart = Math.min(
    ...starts.filter((s) => s.started && s.issuedAt > killAt).map((s) => s.settledAt as number),
  );
  const candidates = starts.filter((s) => executions.has(s.id) && s.issuedAt >= killAt - 5_000);
  const histories = await workflowTasks(client, [...candidates.map((s) => s.id), ...(probe ? [probe] : [])]);
  const tasks = histories.firstStarted.filter((t) => t > killAt);
  const polledAt = Math.min(...tasks);
  const startAfter = starts
    .filter((s) => s.started && s.issuedAt > killAt && s.issuedAt < readyAt)
    .map((s) => (s.settledAt as number) - s.issuedAt);
  const sinceKill = (at: number) => round((at - killAt) / 1000, 1);
  const poller = (by: string) => (by.startsWith(`${side.child.pid}@`) ? "the side's process" : by);
  const timedOut = histories.timedOut.map(
    (t) => `${t.kind} ${t.by === undefined ? 'timed out' : `taken by ${poller(t.by)}`} at ${sinceKill(t.at)}`,
  );
  const ended =
    side.exit && (side.exit.code !== 0 || side.failure)
      ? `process ended ${side.exit.code ?? side.exit.signal} at ${sinceKill(side.exit.at)} s after the kill${side.failure ? `: ${side.failure.split('\n')[0]}` : ''}; `
      : '';
  const notes = [
    `${side.side}: ${starts.length} starts, ${starts.filter((s) => s.started).length} started, ${rejected.length} rejected (${rejectionClasses(rejected)}), ${unsettled.length} never settled; rejected but on the server anyway: ${rejectedRan.length}${rejectedRan.length ? ` (${rejectedRan.filter((s) => s.rejection?.maybeApplied).length} of them flagged maybeApplied)` : ''}; rejected after (ms from issue): ${describeSummary(summarize(rejectAfter))}; issued during the outage and started after (ms): ${describeSummary(summarize(startAfter))}; workflow tasks timed out (s after the kill; ready at ${sinceKill(readyAt)}): ${timedOut.join(', ') || 'none'}; ${tasks.length ? `first workflow task after the kill at ${Math.round(polledAt - readyAt)} ms after ready` : 'no workflow task started after the kill'}.`,
    `${side.side}: ${ended}status (s after the kill): ${statusTimeline(side, killAt)}; log ${side.logFile}.`,
  ];
  const sample = rejected.find((s) => s.rejection && !s.rejection.typed)?.rejection;
  if (sample) notes.push(`${side.side}: an untyped rejection: ${sample.errorClass}: ${sample.message}`);

  const name = side.side;
  const figures: Partial<Record<keyof Figures, number>> = {
    [key(name, 'starts')]: starts.length,
    [key(name, 'lost')]: lost,
    [key(name, 'hung_30s')]: hung.length,
    [key(name, 'rejections')]: rejected.length,
    [key(name, 'typed_rejections')]: rejected.filter((s) => s.rejection?.typed).length,
    [key(name, 'late_rejections')]: rejectAfter.filter((ms) => ms > DEADLINE_MS + LATE_MS).length,
  };
  if (Number.isFinite(firstStart)) figures[key(name, 'first_start_ms')] = round(firstStart - readyAt, 0);
  if (Number.isFinite(polledAt)) figures[key(name, 'worker_polling_ms')] = round(polledAt - readyAt, 0);
  return { figures, notes };
}

export const peers: Benchmark = {
  name: 'peers',
  keys: SIDES.flatMap((side) => PEER_FIGURES.map((figure) => key(side, figure))),
  async run({ quick, server, runId, log, defer }) {
    const beforeKillMs = quick ? 2_000 : 5_000;
    const afterReadyMs = quick ? 10_000 : 30_000;
    const nestDir = await installPeerNest(log);

    const sides = SIDES.map((side) => {
      const config: SideConfig = {
        address: server.address,
        taskQueue: `bench-peer-${side}-${runId}`,
        idPrefix: `peer-${side}-${runId}`,
        startsPerSecond: STARTS_PER_SECOND,
        deadlineMs: DEADLINE_MS,
        ...(side === 'nest' ? { nestDir } : {}),
      };
      return new SideProcess(side, config, runId);
    });
    defer(() => {
      for (const side of sides) side.kill();
    });
    await Promise.all(sides.map((side) => side.untilReady(180_000)));
    log(
      `  sides ready (setup ms: ${sides.map((s) => `${s.side} ${s.setupMs}`).join(', ')}); logs in ${tmpdir()}`,
    );

    for (const side of sides) side.send('go');
    await sleep(beforeKillMs);
    const killAt = now();
    await server.kill();
    await sleep(Math.max(0, killAt + HOLD_MS - now()));
    await server.startAgain();
    const readyAt = now();
    // One workflow per side's task queue, started at once on a fresh connection: its first task says when
    // that side's worker polls, whenever the side's own client gets a start through.
    const probePrefix = `peer-probe-${runId}`;
    const probes = startProbes(server.address, sides, probePrefix);
    log(`  server down ${Math.round(readyAt - killAt)} ms (held ${HOLD_MS} ms, then restarted)`);
    await sleep(afterReadyMs);
    const probed = await probes;
    for (const side of sides) side.send('stop');
    await Promise.race([
      Promise.all(sides.map((s) => s.finished)),
      sleep(HUNG_MS + 30_000, undefined, { ref: false }),
    ]);

    const figures: Partial<Record<keyof Figures, number>> = {};
    const notes: string[] = [
      `one dev server, SIGKILLed after ${beforeKillMs / 1000} s of starts, held down ${HOLD_MS / 1000} s, restarted (${Math.round(readyAt - killAt)} ms from kill to ready); each side in its own process, ${STARTS_PER_SECOND} starts/s with a ${DEADLINE_MS / 1000} s deadline each, until ${afterReadyMs / 1000} s after ready; lost = reported started but no execution on the server, or never settled; hung = settled > ${HUNG_MS / 1000} s after issue, or never.`,
    ];
    await withAdminClient(server.address, async (client) => {
      for (const side of sides) {
        const probe = probed.has(side.side) ? `${probePrefix}-${side.side}` : undefined;
        const result = await analyse(client, side, { killAt, readyAt, probe });
        Object.assign(figures, result.figures);
        notes.push(...result.notes);
      }
    });
    if (probed.size < sides.length)
      notes.push('a probe workflow could not be started at ready on every queue.');
    for (const side of sides) {
      log(
        `  ${side.side}: ${PEER_FIGURES.map((f) => `${f} ${figures[key(side.side, f)] ?? '–'}`).join(', ')}`,
      );
    }
    return { figures, notes };
  },
};
