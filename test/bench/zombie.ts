/**
 * Zombie-worker trials (issue 16 item 4): a supervised worker's native connection goes through a FaultProxy that
 * is black-holed at a random moment, while the supervisor's own connection goes straight to the server. The SDK
 * worker stays RUNNING; only the poller check (`pollerCheck`, DescribeTaskQueue) can tell. The figure is the time
 * from the black hole to the worker leaving `running` for `restarting`. A dev server of its own, with long polls
 * expiring after 3 s (`matching.longPollExpirationInterval`, 1 min by default), and `interval` 500 ms,
 * `absentFor` 6 s: the bound is long poll + absentFor + interval = 9.5 s. With the defaults (1 min, 2 min, 30 s)
 * the same reasoning gives ≤ 3.5 min.
 */
import { resolveOptions } from '../../src/options/resolve.js';
import { fixedCredentials } from '../../src/runtime/credential-source.js';
import { createTemporalConnector } from '../../src/temporal/connector.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { DevServer } from '../harness/dev-server.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { waitUntil } from '../harness/wait.js';
import { type Benchmark, now, sleep, startSupervisor } from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

const ABSENT_FOR_MS = 6_000;
const INTERVAL_MS = 500;

export const zombie: Benchmark = {
  name: 'zombie',
  keys: ['zombie_worker_detection_ms_p95'],
  async run(context) {
    const { quick, log, defer, runId } = context;
    const trials = quick ? 2 : 8;
    const server = await DevServer.start({
      readyTimeoutMs: 120_000,
      dynamicConfig: { 'matching.longPollExpirationInterval': '3s' },
    });
    defer(() => server.dispose());
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    defer(() => proxy.close());
    const { supervisor } = await startSupervisor(
      { ...context, server },
      {
        // Workers' native connections through the proxy; the supervisor's own connection direct.
        address: proxy.address,
        connector: directConnector(server.address),
        reachabilityInterval: false,
        workers: {
          zombie: {
            taskQueue: `${runId}-zombie`,
            workflowsPath,
            activities,
            pollerCheck: { interval: INTERVAL_MS, absentFor: ABSENT_FOR_MS },
            // Every trial is a counted restart: keep the intensity out of the way.
            restart: { maxRestarts: 1_000, delay: 100 },
          },
        },
      },
    );
    const state = () => supervisor.snapshot().children['worker:zombie'];
    let leftRunningAt: number | undefined;
    supervisor.onTransition(({ actor, from, to }) => {
      if (actor === 'worker:zombie' && from === 'running' && to === 'restarting') leftRunningAt = now();
    });
    const detection: number[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      await waitUntil(() => state() === 'running', { timeoutMs: 60_000, what: 'the worker running' });
      // Polling for a while, then a black hole at a random phase against the check's interval and the long polls.
      await sleep(2_000 + Math.random() * 3_000);
      leftRunningAt = undefined;
      const at = now();
      await proxy.blackhole();
      const detectedAt = await waitUntil(() => leftRunningAt, {
        timeoutMs: 120_000,
        intervalMs: 5,
        what: `the zombie detected (worker ${state()})`,
      });
      detection.push(detectedAt - at);
      log(`  trial ${trial}/${trials}: zombie detected after ${Math.round(detectedAt - at)} ms`);
      await proxy.pass();
    }
    return {
      figures: { zombie_worker_detection_ms_p95: round(percentile(detection, 95)) },
      notes: [
        `${trials} trials, worker's native connection black-holed at a random moment (long poll 3 s, pollerCheck interval ${INTERVAL_MS} ms, absentFor ${ABSENT_FOR_MS} ms; bound 9.5 s): ${describeSummary(summarize(detection))} ms`,
      ],
    };
  },
};

/** A connector straight to `address` (the supervisor's own connection), whatever `address` the supervisor has. */
function directConnector(address: string) {
  const direct = resolveOptions({ address, envConfig: false });
  return createTemporalConnector(
    direct,
    fixedCredentials(direct, (text) => text),
  );
}
