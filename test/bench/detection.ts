/**
 * SIGKILL trials: the dev server is killed while a supervised connection, worker and creator and a plain
 * (unsupervised) `Connection` and `Worker` both use it, held down, and started again on the same port and
 * SQLite file. Both sides live through the same outages, so their figures are side by side.
 *
 * Per trial: detection (kill → the supervisor leaves `connected`), recovery (server ready → `connected`),
 * drain (ready → every start queued during the outage has started), and, measured on the server, when each
 * side's worker polls again: a workflow is started on each side's task queue the moment the server is ready
 * (through the creator, and through the plain client), and its first WorkflowTaskStarted event says when a
 * worker took it.
 */
import { activities, workflowsPath } from '../fixtures/index.js';
import { waitUntil } from '../harness/wait.js';
import { startWorker } from '../harness/worker.js';
import {
  type Benchmark,
  firstTaskTimes,
  now,
  plainClient,
  quietSdkRuntime,
  StateRecorder,
  sleep,
  startSupervisor,
  untilSettled,
  withAdminClient,
} from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

export const detection: Benchmark = {
  name: 'detection',
  keys: [
    'detection_ms_p50',
    'detection_ms_p95',
    'recovery_ms_p50',
    'recovery_ms_p95',
    'workers_polling_ms_p95',
    'workers_running_ms_p95',
    'server_dispatch_ms_p95',
    'server_task_scheduled_ms_p95',
    'drain_ms_p95',
    'raw_sdk_recovery_ms_p95',
    'recovery_dial_50ms_ms_p95',
  ],
  async run(context) {
    const { quick, server, runId, log, defer } = context;
    const trials = quick ? 3 : 20;
    const queuedPerTrial = 20;
    const holdMs = 2_000;
    const supQueue = `bench-sup-${runId}`;
    const rawQueue = `bench-raw-${runId}`;
    const drainQueue = `bench-drain-${runId}`;

    quietSdkRuntime();
    const { supervisor, creator } = await startSupervisor(
      context,
      { workers: { bench: { taskQueue: supQueue, workflowsPath, activities } } },
      { stable: false },
    );
    const recorder = new StateRecorder(supervisor);
    defer(() => recorder.dispose());

    // Beside it, a supervisor with no worker dialling every 50 ms instead of 250 ms during an
    // outage: what a faster reachability dial buys in recovery (its cost: docs/connection.md, "A fleet").
    const { supervisor: fastDial } = await startSupervisor(
      context,
      { reachabilityInterval: '50ms' },
      { stable: false },
    );
    const fastRecorder = new StateRecorder(fastDial);
    defer(() => fastRecorder.dispose());

    const rawWorker = await startWorker({ address: server.address, taskQueue: rawQueue });
    defer(() => rawWorker.shutdown());
    const rawClient = await plainClient(context);

    const workerRunning = () => supervisor.snapshot().children['worker:bench'] === 'running';
    // When the supervised worker is running again (a refreshed worker after each of these outages).
    const workerRunningAt: number[] = [];
    const workerWatch = supervisor.onTransition((t) => {
      if (t.actor === 'worker:bench' && t.to === 'running' && t.from !== 'running')
        workerRunningAt.push(now());
    });
    defer(() => workerWatch.dispose());
    const samples = {
      detection: [] as number[],
      recovery: [] as number[],
      recoveryAttempt: [] as number[],
      fastRecovery: [] as number[],
      drain: [] as number[],
      polling: [] as number[],
      raw: [] as number[],
      running: [] as number[],
      supWait: [] as number[],
      dispatch: [] as number[],
      rawWait: [] as number[],
      supScheduled: [] as number[],
      rawScheduled: [] as number[],
      outage: [] as number[],
      supStart: [] as number[],
      rawStart: [] as number[],
      rawStartRetries: 0,
    };

    let maxAttempts = 1;
    for (let trial = 1; trial <= trials; trial++) {
      await untilSettled(supervisor, 60_000);
      await waitUntil(workerRunning, { timeoutMs: 60_000, what: 'the supervised worker to run' });

      const killAt = now();
      await server.kill();
      const leftAt = await recorder.first((c) => c.from === 'connected', killAt, 30_000, 'leaving connected');
      samples.detection.push(leftAt - killAt);
      await supervisor.waitFor('backoff', { timeout: '30s' });

      // Requests queued while the server is down: each waits for the connection, within its deadline.
      const queued = Array.from({ length: queuedPerTrial }, (_, i) =>
        creator
          .start(
            'greetAfterSleep',
            { workflowId: `drain-${runId}-${trial}-${i}`, taskQueue: drainQueue, args: ['drain', 0] },
            { timeout: 90_000 },
          )
          .then((outcome) => {
            maxAttempts = Math.max(maxAttempts, outcome.attempts);
            return now();
          }),
      );
      await sleep(holdMs);

      await server.startAgain();
      const readyAt = now();
      samples.outage.push(readyAt - killAt);
      // The moment the server is ready, each side starts one workflow on its own worker's task queue.
      const supId = `sup-${runId}-${trial}`;
      const rawId = `raw-${runId}-${trial}`;
      const supStarted = creator.start(
        'greetAfterSleep',
        { workflowId: supId, taskQueue: supQueue, args: ['sup', 0] },
        { timeout: 90_000 },
      );
      const rawStarted = (async () => {
        // An application would retry a start that failed; so do we, and count it.
        for (;;) {
          try {
            return await rawClient.workflow.start('greetAfterSleep', {
              workflowId: rawId,
              taskQueue: rawQueue,
              args: ['raw', 0],
            });
          } catch (error) {
            samples.rawStartRetries++;
            if (now() - readyAt > 120_000) throw error;
          }
        }
      })();
      const connectedAt = await recorder.first((c) => c.to === 'connected', killAt, 60_000, 'connected');
      samples.recovery.push(connectedAt - readyAt);
      // The attempt that connected: from leaving `backoff` (the dial found the port open, or the delay ran
      // out) to `connected`.
      const attemptAt = recorder.changes.findLast((c) => c.at <= connectedAt && c.to === 'connecting')?.at;
      if (attemptAt !== undefined) samples.recoveryAttempt.push(connectedAt - attemptAt);
      const fastAt = await fastRecorder.first(
        (c) => c.to === 'connected',
        killAt,
        60_000,
        'connected (50 ms dial)',
      );
      samples.fastRecovery.push(fastAt - readyAt);
      const drainedAt = Math.max(...(await Promise.all(queued)));
      samples.drain.push(drainedAt - readyAt);
      const supStartedAt = await supStarted.then(() => now());
      const rawStartedAt = await rawStarted.then(() => now());
      samples.supStart.push(supStartedAt - readyAt);
      samples.rawStart.push(rawStartedAt - readyAt);
      const sup = await withAdminClient(server.address, async (client) => {
        const [sup, raw] = await Promise.all([
          firstTaskTimes(client.workflow.getHandle(supId), 90_000),
          firstTaskTimes(client.workflow.getHandle(rawId), 120_000),
        ]);
        samples.polling.push(sup.startedAt - readyAt);
        samples.raw.push(raw.startedAt - readyAt);
        samples.supScheduled.push(sup.scheduledAt - readyAt);
        samples.rawScheduled.push(raw.scheduledAt - readyAt);
        samples.supWait.push(sup.startedAt - sup.scheduledAt);
        samples.rawWait.push(raw.startedAt - raw.scheduledAt);
        return sup;
      });
      await waitUntil(workerRunning, { timeoutMs: 60_000, what: 'the supervised worker to run again' });
      const runningAt = workerRunningAt.find((at) => at >= killAt);
      if (runningAt !== undefined) {
        samples.running.push(runningAt - readyAt);
        // Both there — the task scheduled and our worker polling — until the server handed one to the other.
        samples.dispatch.push(sup.startedAt - Math.max(runningAt, sup.scheduledAt));
      }
      log(
        `  trial ${trial}/${trials}: detection ${Math.round(leftAt - killAt)} ms, outage ${Math.round(readyAt - killAt)} ms, ` +
          `recovery ${Math.round(connectedAt - readyAt)} ms, drain ${Math.round(drainedAt - readyAt)} ms, ` +
          `starts answered: creator ${Math.round(supStartedAt - readyAt)} ms, plain client ${Math.round(rawStartedAt - readyAt)} ms, ` +
          `supervised worker running ${Math.round(samples.running.at(-1) ?? Number.NaN)} ms, ` +
          `its task scheduled ${Math.round(samples.supScheduled.at(-1) ?? Number.NaN)} ms, ` +
          `polled ${Math.round(samples.polling.at(-1) ?? Number.NaN)} ms; ` +
          `plain worker's task scheduled ${Math.round(samples.rawScheduled.at(-1) ?? Number.NaN)} ms, ` +
          `polled ${Math.round(samples.raw.at(-1) ?? Number.NaN)} ms`,
      );
    }

    return {
      figures: {
        detection_ms_p50: round(percentile(samples.detection, 50)),
        detection_ms_p95: round(percentile(samples.detection, 95)),
        recovery_ms_p50: round(percentile(samples.recovery, 50)),
        recovery_ms_p95: round(percentile(samples.recovery, 95)),
        workers_polling_ms_p95: round(percentile(samples.polling, 95)),
        workers_running_ms_p95: round(percentile(samples.running, 95)),
        server_dispatch_ms_p95: round(percentile(samples.dispatch, 95)),
        server_task_scheduled_ms_p95: round(percentile(samples.supScheduled, 95)),
        drain_ms_p95: round(percentile(samples.drain, 95)),
        raw_sdk_recovery_ms_p95: round(percentile(samples.raw, 95)),
        recovery_dial_50ms_ms_p95: round(percentile(samples.fastRecovery, 95)),
      },
      notes: [
        `SIGKILL trials: ${trials}, each server down ≥ ${holdMs} ms plus its restart (${describeSummary(summarize(samples.outage))} ms from kill to ready), ${queuedPerTrial} starts queued during each outage; defaults of the supervisor.`,
        `detection (ms): ${describeSummary(summarize(samples.detection))}`,
        `recovery (ms, from the harness seeing the server ready; it probes every 100 ms, so a negative value means connected before the harness noticed): ${describeSummary(summarize(samples.recovery))}`,
        `  of which the attempt that connected (leaving backoff → connected, ms): ${describeSummary(summarize(samples.recoveryAttempt))}`,
        `  a supervisor beside it dialling every 50 ms (reachabilityInterval '50ms'): recovery (ms) ${describeSummary(summarize(samples.fastRecovery))}`,
        `drain (ms): ${describeSummary(summarize(samples.drain))}; most attempts of one queued start: ${maxAttempts}`,
        `a start issued the moment the server is ready is answered after (ms): creator ${describeSummary(summarize(samples.supStart))}; plain client ${describeSummary(summarize(samples.rawStart))}`,
        `supervised worker polls again (ms after ready): ${describeSummary(summarize(samples.polling))}`,
        `  of which, on the server's clock: the start accepted and its task scheduled (ms after ready) ${describeSummary(summarize(samples.supScheduled))}; the task waiting for a poller (ms) ${describeSummary(summarize(samples.supWait))}`,
        `  the supervised worker running again, a new worker after each outage (ms after ready): ${describeSummary(summarize(samples.running))}`,
        `  the task scheduled and the worker running → the task started (the server's dispatch, ms): ${describeSummary(summarize(samples.dispatch))}`,
        `plain Connection + Worker polls again (ms after ready): ${describeSummary(summarize(samples.raw))}; plain client starts that failed and were retried: ${samples.rawStartRetries}`,
        `  its task scheduled (ms after ready) ${describeSummary(summarize(samples.rawScheduled))}; waiting for a poller (ms) ${describeSummary(summarize(samples.rawWait))}`,
      ],
    };
  },
};
