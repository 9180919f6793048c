/**
 * How fast a request learns that Temporal is down: a `failFast` start through a supervised creator, and the
 * same start on a plain client with the SDK's defaults, in the same outage (the server SIGKILLed; both had
 * a live connection to it before).
 */
import { isTemporalUnavailableError } from '../../src/index.js';
import { type Benchmark, plainClient, startSupervisor } from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

export const failFast: Benchmark = {
  name: 'fail-fast',
  keys: ['fail_fast_ms_p50', 'raw_sdk_fail_ms_p50'],
  async run(context) {
    const { quick, server, runId, log } = context;
    const supervisedCalls = quick ? 200 : 1_000;
    const plainCalls = quick ? 3 : 5;
    const taskQueue = `bench-ff-${runId}`;
    const { supervisor, creator } = await startSupervisor(context);
    const client = await plainClient(context);
    // Both sides have used their connection before the outage.
    await client.workflow.start('greetAfterSleep', {
      workflowId: `ff-${runId}-warm`,
      taskQueue,
      args: ['ff', 0],
    });

    await server.kill();
    await supervisor.waitFor('backoff', { timeout: '30s' });

    const plainStarted = performance.now();
    const plain = Array.from({ length: plainCalls }, (_, i) =>
      client.workflow
        .start('greetAfterSleep', { workflowId: `ff-${runId}-plain-${i}`, taskQueue, args: ['ff', 0] })
        .then(
          () => ({ ms: performance.now() - plainStarted, ok: true }),
          () => ({ ms: performance.now() - plainStarted, ok: false }),
        ),
    );

    const supervised: number[] = [];
    const reasons = new Map<string, number>();
    for (let i = 0; i < supervisedCalls; i++) {
      const began = performance.now();
      try {
        await creator.start(
          'greetAfterSleep',
          { workflowId: `ff-${runId}-sup-${i}`, taskQueue, args: ['ff', 0] },
          { failFast: true },
        );
        reasons.set('started', (reasons.get('started') ?? 0) + 1);
      } catch (error) {
        const reason = isTemporalUnavailableError(error) ? error.reason : String(error);
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      supervised.push(performance.now() - began);
    }
    log(`  ${supervisedCalls} fail-fast starts done; waiting for ${plainCalls} plain starts to give up`);
    const plainResults = await Promise.all(plain);
    const plainMs = plainResults.map((r) => r.ms);
    await server.startAgain();

    return {
      figures: {
        fail_fast_ms_p50: round(percentile(supervised, 50), 3),
        raw_sdk_fail_ms_p50: round(percentile(plainMs, 50), 0),
      },
      notes: [
        `${supervisedCalls} sequential failFast starts while the supervisor is in backoff (ms): ${describeSummary(summarize(supervised), 3)}; outcomes ${[...reasons].map(([r, c]) => `${r} ${c}`).join(', ')}`,
        `${plainCalls} concurrent plain client.workflow.start (default retry interceptor) in the same outage (ms): ${describeSummary(summarize(plainMs))}; ${plainResults.filter((r) => r.ok).length} succeeded`,
      ],
    };
  },
};
