/**
 * Partial-outage trials on the production-shaped cluster (issue 16 items 2 and 7): history SIGKILLed at a random
 * moment while both frontends keep answering health checks SERVING. A supervisor probing with
 * `healthCheck.method: 'history'` (a lookup that must reach history; interval 500 ms, timeout 1 s, as in
 * test/cluster/partial-outage.test.ts) should leave `connected`; the figure is how long that takes. History is
 * started again between trials.
 */
import { createSupervisor } from '../../src/index.js';
import { TemporalCluster } from '../harness/cluster.js';
import { type Benchmark, now, StateRecorder, sleep, untilSettled } from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

export const partialOutage: Benchmark = {
  name: 'partial-outage',
  keys: ['partial_outage_detection_ms_p95'],
  async run({ quick, log, defer }) {
    const trials = quick ? 2 : 5;
    const cluster = await TemporalCluster.start();
    defer(() => cluster.stop());
    const supervisor = createSupervisor({
      envConfig: false,
      address: cluster.address,
      healthCheck: { method: 'history', interval: '500ms', degradedInterval: '250ms', timeout: '1s' },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    const recorder = new StateRecorder(supervisor);
    defer(() => recorder.dispose());
    const detection: number[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      await untilSettled(supervisor, 120_000);
      await sleep(Math.random() * 500);
      const at = now();
      await cluster.services.history.kill();
      const leftAt = await recorder.first((c) => c.from === 'connected', at, 30_000, 'leaving connected');
      detection.push(leftAt - at);
      log(
        `  trial ${trial}/${trials}: left connected ${Math.round(leftAt - at)} ms after history was SIGKILLed`,
      );
      await cluster.services.history.start();
    }
    return {
      figures: { partial_outage_detection_ms_p95: round(percentile(detection, 95)) },
      notes: [
        `${trials} trials, history SIGKILLed (frontends SERVING), history probe every 500 ms (slow when unanswered after 400 ms, 1 s timeout): ${describeSummary(summarize(detection))} ms`,
      ],
    };
  },
};
