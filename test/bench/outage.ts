/**
 * Many concurrent starts issued during one long outage (the server SIGKILLed, held down, started again):
 * each must end either started exactly once — counted in the server's own visibility, by its task queue,
 * which is this run's alone — or rejected with `TemporalUnavailableError` no later than its deadline (plus
 * `SLACK_MS` of scheduling on a loaded machine), and, if the rejection says it never reached the server
 * (`maybeApplied: false`), absent from the server. One in ten has a deadline that falls inside the outage.
 * The JS heap is sampled throughout: the figure is its peak growth over the level before the outage.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { isTemporalUnavailableError, type StartOutcome } from '../../src/index.js';
import { waitUntil } from '../harness/wait.js';
import { type Benchmark, collectGarbage, now, sleep, startSupervisor, withAdminClient } from './context.js';
import { describeStall, StallTracer } from './stalls.js';
import { describeSummary, round, summarize } from './stats.js';

const SLACK_MS = 1_000;
/** Requests issued per turn of the event loop. */
const ISSUE_PER_TURN = 100;
const MB = 1024 * 1024;

interface Outcome {
  readonly i: number;
  readonly workflowId: string;
  readonly issuedAt: number;
  readonly timeoutMs: number;
  readonly settledAt: number;
  readonly started?: StartOutcome;
  readonly error?: unknown;
}

export const outage: Benchmark = {
  name: 'outage',
  keys: [
    'outage_requests',
    'outage_accounted',
    'outage_heap_delta_mb',
    'outage_heap_per_request_kb',
    'outage_loop_delay_ms_max',
    'outage_loop_on_cpu_ms_max',
  ],
  async run(context) {
    const { quick, server, runId, log, defer } = context;
    const requests = quick ? 1_000 : 10_000;
    const outageMs = quick ? 4_000 : 10_000;
    const shortTimeoutMs = 3_000;
    const longTimeoutMs = outageMs + 120_000;
    const taskQueue = `bench-outage-${runId}`;

    // Room for every request to wait: the point is to see each one through, not the queue bound.
    const { creator } = await startSupervisor(context, {
      requests: { maxPending: requests + 100 },
      creators: { bench: { maxPending: requests + 100 } },
    });

    // The benchmark's own bookkeeping per request (its id string, the `.then` pair recording each outcome, the
    // array slot), measured the same way around promises that never settle, so that the figure is the
    // supervisor's share of what a waiting request keeps.
    const bookkeepingBytes = measureBookkeeping(requests, runId);

    collectGarbage();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }, 20);
    defer(() => clearInterval(sampler));

    // One histogram for the wait and one for the drain: a histogram disabled and enabled again records the
    // pause between as one delay (Node measures from its last sample), and that pause is the benchmark's GC.
    const waitDelay = monitorEventLoopDelay({ resolution: 10 });
    waitDelay.enable();
    // Beside it, each stall over 20 ms split into the main thread's time on a CPU and waiting for one.
    const stalls = new StallTracer(20);
    stalls.start();
    defer(() => stalls.stop());
    const killAt = now();
    await server.kill();
    const pending: Promise<Outcome>[] = [];
    // A service gets its requests from its sockets, a few per turn of the event loop, not 10,000 in one
    // synchronous loop (which alone blocks the loop for ~150 ms, the benchmark's stall and not the
    // supervisor's): 100 per turn here.
    for (let i = 0; i < requests; i++) {
      if (i > 0 && i % ISSUE_PER_TURN === 0) await new Promise((resolve) => setImmediate(resolve));
      const workflowId = `outage-${runId}-${i}`;
      const timeoutMs = i % 10 === 9 ? shortTimeoutMs : longTimeoutMs;
      const issuedAt = now();
      pending.push(
        creator
          .start('greetAfterSleep', { workflowId, taskQueue, args: ['o', 0] }, { timeout: timeoutMs })
          .then(
            (started) => ({ i, workflowId, issuedAt, timeoutMs, settledAt: now(), started }),
            (error: unknown) => ({ i, workflowId, issuedAt, timeoutMs, settledAt: now(), error }),
          ),
      );
    }
    const issuedMs = now() - killAt;
    log(`  ${requests} starts issued in ${Math.round(issuedMs)} ms; server down for ${outageMs} ms`);
    await sleep(Math.max(0, killAt + outageMs - now()));
    // What waiting costs (the supervisor's queue), before the drain's in-flight calls add theirs: the peak
    // so far, and what a full GC leaves of it (the requests are all still waiting).
    const peakWhileWaiting = peak;
    // The forced GC blocks the loop for hundreds of ms: the benchmark's doing, not the supervisor's.
    waitDelay.disable();
    collectGarbage();
    stalls.resume();
    const retainedWhileWaiting = process.memoryUsage().heapUsed;
    const drainDelay = monitorEventLoopDelay({ resolution: 10 });
    drainDelay.enable();
    await server.startAgain();
    const readyAt = now();
    const outcomes = await Promise.all(pending);
    const settledAt = Math.max(...outcomes.map((o) => o.settledAt));
    clearInterval(sampler);
    drainDelay.disable();
    const loopDelayMax = Math.max(waitDelay.max, drainDelay.max);
    stalls.stop();
    const { longest, busiest } = stalls.summary();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
    log(
      `  all settled ${Math.round(settledAt - readyAt)} ms after the server was ready; counting in visibility`,
    );

    const started = outcomes.filter((o) => o.started !== undefined);
    const query = `TaskQueue = "${taskQueue}"`;
    const runs = await withAdminClient(server.address, async (client) => {
      await waitUntil(
        async () => {
          const { count } = await client.workflowService.countWorkflowExecutions({
            namespace: 'default',
            query,
          });
          return Number(count) >= started.length;
        },
        { timeoutMs: 120_000, intervalMs: 500, what: `visibility to count ${started.length} executions` },
      );
      const byId = new Map<string, string[]>();
      for await (const execution of client.workflow.list({ query })) {
        byId.set(execution.workflowId, [...(byId.get(execution.workflowId) ?? []), execution.runId]);
      }
      return byId;
    });

    let accounted = 0;
    const problems = new Map<string, number>();
    const problem = (what: string) => problems.set(what, (problems.get(what) ?? 0) + 1);
    const lateness: number[] = [];
    const reasons = new Map<string, number>();
    const settleByReason = new Map<string, number[]>();
    for (const o of outcomes) {
      const found = runs.get(o.workflowId);
      if (o.started) {
        if (found?.length === 1 && found[0] === o.started.runId) accounted++;
        else problem(found === undefined ? 'started but not in visibility' : 'started but runs differ');
        continue;
      }
      if (!isTemporalUnavailableError(o.error)) {
        problem(
          `other error: ${String(o.error).slice(0, 80)} (gRPC status ${(o.error as { cause?: { code?: unknown } })?.cause?.code ?? (o.error as { code?: unknown })?.code ?? 'none'})`,
        );
        continue;
      }
      reasons.set(o.error.reason, (reasons.get(o.error.reason) ?? 0) + 1);
      settleByReason.set(o.error.reason, [
        ...(settleByReason.get(o.error.reason) ?? []),
        o.settledAt - o.issuedAt,
      ]);
      const late = o.settledAt - (o.issuedAt + o.timeoutMs);
      lateness.push(late);
      if (late > SLACK_MS) problem('rejected late');
      else if (!o.error.maybeApplied && found !== undefined)
        problem('rejected as not applied, but it exists');
      else if (found !== undefined && found.length > 1) problem('more than one run');
      else accounted++;
    }
    const known = new Set(outcomes.map((o) => o.workflowId));
    const strangers = [...runs.keys()].filter((id) => !known.has(id)).length;

    return {
      figures: {
        outage_requests: requests,
        outage_accounted: accounted,
        outage_heap_delta_mb: round((peak - baseline) / MB, 1),
        outage_heap_per_request_kb: round(
          (retainedWhileWaiting - baseline - bookkeepingBytes) / requests / 1024,
          2,
        ),
        outage_loop_delay_ms_max: round(loopDelayMax / 1e6, 0),
        outage_loop_on_cpu_ms_max:
          busiest === undefined ? (longest === undefined ? 0 : null) : (busiest.onCpuMs ?? null),
      },
      notes: [
        `${requests} concurrent starts through one creator while the server was down ${Math.round(readyAt - killAt)} ms (held ${outageMs} ms, then restarted); 1 in 10 with a ${shortTimeoutMs} ms deadline, the rest ${longTimeoutMs} ms; requests.maxPending and the creator's maxPending raised to ${requests + 100}.`,
        `started ${started.length}, rejected ${outcomes.length - started.length} (${[...reasons].map(([r, c]) => `${r} ${c}`).join(', ') || 'none'}); executions in visibility ${runs.size}, of unknown requests ${strangers}; all settled ${Math.round(settledAt - readyAt)} ms after the server was ready (${Math.round(started.length / Math.max(0.001, (settledAt - readyAt) / 1000))} starts/s).`,
        `rejections after their deadline (ms, negative = early): ${describeSummary(summarize(lateness))}; not accounted: ${[...problems].map(([p, c]) => `${p} ${c}`).join(', ') || 'none'}.`,
        `rejected after (ms from issue), by reason: ${[...settleByReason].map(([r, v]) => `${r} ${describeSummary(summarize(v))}`).join('; ') || 'none'}.`,
        `heap: ${round(baseline / MB, 1)} MB before (after GC), peak ${round(peakWhileWaiting / MB, 1)} MB while the requests waited (${round(retainedWhileWaiting / MB, 1)} MB after a GC then: ${round((retainedWhileWaiting - baseline) / requests / 1024, 1)} KB retained per waiting request, of which the benchmark's own bookkeeping ${round(bookkeepingBytes / requests / 1024, 2)} KB), ${round(peak / MB, 1)} MB overall (the drain: every request in flight at once; garbage not yet collected counts too); issuing all ${requests} took ${Math.round(issuedMs)} ms, ${ISSUE_PER_TURN} per turn of the event loop (${round((issuedMs * 1000) / requests, 1)} µs each, the kill included); event-loop delay (ms) while waiting ${describeDelay(waitDelay)}; through the restart and the drain ${describeDelay(drainDelay)}.`,
        `event-loop stalls over 20 ms (a 5 ms timer's gaps; the main thread's scheduler counters): ${stalls.stalls.length}; the longest ${describeStall(longest)}; the one whose main thread ran longest ${describeStall(busiest)}.`,
      ],
    };
  },
};

function describeDelay(histogram: IntervalHistogram): string {
  const ms = (ns: number) => round(ns / 1e6, 0);
  return `p50 ${ms(histogram.percentile(50))}, p99 ${ms(histogram.percentile(99))}, max ${ms(histogram.max)}`;
}

/** Heap kept by `requests` records shaped as the benchmark's own (id, issue time, a `.then` pair, a slot). */
function measureBookkeeping(requests: number, runId: string): number {
  collectGarbage();
  const before = process.memoryUsage().heapUsed;
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < requests; i++) {
    const workflowId = `outage-${runId}-${i}`;
    const timeoutMs = i % 10 === 9 ? 3_000 : 130_000;
    const issuedAt = now();
    pending.push(
      new Promise<StartOutcome>(() => {}).then(
        (started) => ({ i, workflowId, issuedAt, timeoutMs, settledAt: now(), started }),
        (error: unknown) => ({ i, workflowId, issuedAt, timeoutMs, settledAt: now(), error }),
      ),
    );
  }
  collectGarbage();
  const bytes = process.memoryUsage().heapUsed - before;
  pending.length = 0;
  return Math.max(0, bytes);
}
