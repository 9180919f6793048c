/**
 * Worker replacement under load (issue 17 item 6): does replacing a worker around an outage lose a task?
 *
 * Two supervisors side by side through the same outages, each with a worker (its own task queue) serving a
 * steady stream of `greetAfterSleep` workflows (an activity, a 300 ms timer, an activity: three workflow
 * tasks each, so many are in flight and cached at any moment): one with the defaults, one that keeps its
 * worker through every outage (`refreshAfterOutage: false`). Each cycle SIGKILLs the server, holds it down
 * longer than `refreshAfterOutage`, starts it again, and waits until both workers run. At the end every
 * workflow must complete, and every history is read for `WorkflowTaskTimedOut`, classified by the server's
 * times of the task:
 * - **in flight at the kill**: started ≤ 1 s before a kill; its answer could not reach the dead server, which
 *   times it out once it is back. No client can prevent this one.
 * - **start-to-close after the return**: a poll took it after the server was back and no worker completed it
 *   (a poll answered as its worker was stopped — the SDK cancels a stopping worker's polls on the client
 *   side — or a worker too loaded to finish it within 10 s).
 * - **schedule-to-start**: left on a sticky queue nobody polls any more (a replaced worker's).
 */
import type { Supervisor } from '../../src/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { waitUntil } from '../harness/wait.js';
import {
  type Benchmark,
  now,
  quietSdkRuntime,
  sleep,
  startSupervisor,
  untilSettled,
  withAdminClient,
} from './context.js';

interface Cycle {
  readonly killAt: number;
  readonly readyAt: number;
}

interface TimedOutTask {
  readonly workflowId: string;
  readonly startedAt: number | undefined;
  readonly scheduledAt: number | undefined;
  readonly timeoutType: string;
}

/** One supervised worker under load, with its own task queue, creator and stream of starts. */
interface Side {
  readonly label: string;
  readonly taskQueue: string;
  readonly started: string[];
  readonly failedStarts: string[];
  replacements: number;
  timedOut: TimedOutTask[];
  completed: number;
}

export const handover: Benchmark = {
  name: 'handover',
  keys: [
    'handover_replacements',
    'handover_lost_tasks',
    'handover_sticky_timeouts',
    'handover_timeouts_at_kill',
    'handover_kept_lost_tasks',
    'handover_kept_sticky_timeouts',
  ],
  async run(context) {
    const { quick, server, runId, log, defer } = context;
    const cycles = quick ? 4 : 50;
    const holdMs = 1_500;
    const startEveryMs = 200;

    quietSdkRuntime();
    // Side by side through the same outages: the defaults (an idle worker stopped during the outage and a new
    // one at the return), and the same worker kept through every outage (`refreshAfterOutage: false`).
    const variants = [
      { label: 'defaults', worker: {} },
      { label: 'kept (refreshAfterOutage: false)', worker: { refreshAfterOutage: false as const } },
    ];
    const sides: Side[] = [];
    const supervisors: Supervisor[] = [];
    let streaming = true;
    const pending = new Set<Promise<void>>();
    const streams: Promise<void>[] = [];
    for (const [index, variant] of variants.entries()) {
      const taskQueue = `bench-handover-${runId}-${index}`;
      const { supervisor, creator } = await startSupervisor(context, {
        workers: { bench: { taskQueue, workflowsPath, activities, ...variant.worker } },
      });
      const side: Side = {
        label: variant.label,
        taskQueue,
        started: [],
        failedStarts: [],
        replacements: 0,
        timedOut: [],
        completed: 0,
      };
      const watch = supervisor.onTransition((t) => {
        if (t.actor !== 'worker:bench') return;
        if (t.to === 'refreshing') side.replacements++;
      });
      defer(() => watch.dispose());
      await waitUntil(() => supervisor.snapshot().children['worker:bench'] === 'running', {
        timeoutMs: 60_000,
        what: 'the worker to run',
      });
      sides.push(side);
      supervisors.push(supervisor);
      // The load: a start every 200 ms through the creator (each waits for the connection during an outage).
      streams.push(
        (async () => {
          for (let count = 0; streaming; count++) {
            const workflowId = `handover-${runId}-${index}-${count}`;
            const start = creator
              .start(
                'greetAfterSleep',
                { workflowId, taskQueue, args: ['handover', 300] },
                { timeout: 60_000 },
              )
              .then(
                () => void side.started.push(workflowId),
                (error: unknown) => void side.failedStarts.push(`${workflowId}: ${String(error)}`),
              );
            pending.add(start);
            void start.finally(() => pending.delete(start));
            await sleep(startEveryMs);
          }
        })(),
      );
    }
    const [refreshed] = sides as [Side, Side];

    const history: Cycle[] = [];
    for (let cycle = 1; cycle <= cycles; cycle++) {
      for (const supervisor of supervisors) await untilSettled(supervisor, 60_000);
      await sleep(500 + Math.random() * 1_000);
      const killAt = now();
      await server.kill();
      await sleep(holdMs);
      await server.startAgain();
      const readyAt = now();
      history.push({ killAt, readyAt });
      // Replaced or kept (a worker with workflows cached is kept: docs/states.md), each side's worker runs.
      await waitUntil(
        () =>
          supervisors.every(
            (supervisor) =>
              supervisor.state === 'connected' &&
              supervisor.snapshot().children['worker:bench'] === 'running',
          ),
        { timeoutMs: 60_000, what: `both workers running again (cycle ${cycle})` },
      );
      if (cycle % 10 === 0 || quick) {
        log(
          `  cycle ${cycle}/${cycles}: ${sides.map((side) => `${side.label}: ${side.replacements} replacements, ${side.started.length} started`).join('; ')}`,
        );
      }
    }
    streaming = false;
    await Promise.all(streams);
    await Promise.all([...pending]);

    // Every workflow completes; then each history is read for timed-out workflow tasks.
    await withAdminClient(server.address, async (client) => {
      for (const side of sides) {
        for (let i = 0; i < side.started.length; i += 50) {
          await Promise.all(
            side.started.slice(i, i + 50).map(async (workflowId) => {
              const handle = client.workflow.getHandle(workflowId);
              await handle.result();
              side.completed++;
              side.timedOut.push(...timedOutTasks(workflowId, (await handle.fetchHistory()).events ?? []));
            }),
          );
        }
      }
    });

    const classify = (side: Side) => {
      const atKill = side.timedOut.filter(
        (task) => task.startedAt !== undefined && inFlightAtKill(task.startedAt, history),
      );
      const rest = side.timedOut.filter((task) => !atKill.includes(task));
      return {
        atKill,
        lost: rest.filter((task) => task.timeoutType === 'start-to-close'),
        sticky: rest.filter((task) => task.timeoutType === 'schedule-to-start'),
      };
    };
    const [mine, kept] = sides.map(classify) as [ReturnType<typeof classify>, ReturnType<typeof classify>];
    return {
      figures: {
        handover_replacements: refreshed.replacements,
        handover_lost_tasks: mine.lost.length,
        handover_sticky_timeouts: mine.sticky.length,
        handover_timeouts_at_kill: mine.atKill.length + kept.atKill.length,
        handover_kept_lost_tasks: kept.lost.length,
        handover_kept_sticky_timeouts: kept.sticky.length,
      },
      notes: [
        `${cycles} SIGKILL cycles (server down ${holdMs} ms plus its restart); two supervisors side by side through them, each with its worker, a creator and a greetAfterSleep start every ${startEveryMs} ms.`,
        ...sides.map((side, i) => {
          const c = i === 0 ? mine : kept;
          return `${side.label}: ${side.replacements} replacements; ${side.started.length} workflows started, ${side.completed} completed, ${side.failedStarts.length} starts rejected${side.failedStarts.length ? ` (first: ${side.failedStarts[0]})` : ''}; workflow tasks timed out: ${side.timedOut.length} — in flight at a kill (started ≤ 1 s before it) ${c.atKill.length}, started after the return and never completed (start-to-close) ${c.lost.length}, left on a sticky queue nobody polls (schedule-to-start) ${c.sticky.length}`;
        }),
        ...[...mine.lost.slice(0, 5), ...mine.sticky.slice(0, 3)].map(
          (task) =>
            `  defaults: ${task.workflowId} ${task.timeoutType}, scheduled ${describeAt(task.scheduledAt, history)}, started ${describeAt(task.startedAt, history)}`,
        ),
        ...[...kept.lost.slice(0, 3), ...kept.sticky.slice(0, 3)].map(
          (task) =>
            `  kept: ${task.workflowId} ${task.timeoutType}, scheduled ${describeAt(task.scheduledAt, history)}, started ${describeAt(task.startedAt, history)}`,
        ),
      ],
    };
  },
};

type HistoryEvent = {
  eventId?: unknown;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  workflowTaskTimedOutEventAttributes?: {
    scheduledEventId?: unknown;
    startedEventId?: unknown;
    timeoutType?: unknown;
  } | null;
};

/** temporal.api.enums.v1.TimeoutType */
const TIMEOUT_TYPES: Record<number, string> = { 1: 'start-to-close', 2: 'schedule-to-start' };

function timedOutTasks(workflowId: string, events: readonly HistoryEvent[]): TimedOutTask[] {
  const timeOf = (id: unknown) => {
    const event = events.find((e) => String(e.eventId) === String(id));
    const time = event?.eventTime;
    return time == null ? undefined : Number(time.seconds) * 1_000 + (time.nanos ?? 0) / 1e6;
  };
  return events.flatMap((event) => {
    const attributes = event.workflowTaskTimedOutEventAttributes;
    if (attributes == null) return [];
    return [
      {
        workflowId,
        scheduledAt: timeOf(attributes.scheduledEventId),
        startedAt: timeOf(attributes.startedEventId),
        timeoutType: TIMEOUT_TYPES[Number(attributes.timeoutType)] ?? String(attributes.timeoutType),
      },
    ];
  });
}

function inFlightAtKill(startedAt: number, cycles: readonly Cycle[]): boolean {
  return cycles.some((cycle) => startedAt <= cycle.killAt && cycle.killAt - startedAt <= 1_000);
}

/** Where `at` falls relative to the nearest cycle: "+812 ms after ready (cycle 7)". */
function describeAt(at: number | undefined, cycles: readonly Cycle[]): string {
  if (at === undefined) return '—';
  const index = cycles.findLastIndex((cycle) => cycle.killAt <= at);
  if (index < 0) return 'before the first kill';
  const cycle = cycles[index] as Cycle;
  return at < cycle.readyAt
    ? `${Math.round(at - cycle.killAt)} ms after kill ${index + 1}`
    : `${Math.round(at - cycle.readyAt)} ms after ready ${index + 1}`;
}
