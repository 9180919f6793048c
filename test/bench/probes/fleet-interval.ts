/**
 * One real fleet with a given `reachabilityInterval`, outside the benchmark run (the `fleet-real` benchmark's
 * code, its own dev server): for trying a setting the benchmark does not run.
 *   npx tsx test/bench/probes/fleet-interval.ts <reachabilityInterval, e.g. 2s> [replicas=50] [outageS=10,60]
 */
import { durationMs } from '../../../src/temporal/duration.js';
import { DevServer } from '../../harness/dev-server.js';
import { ensureServerUp } from '../context.js';
import { describeRun, runFleet } from '../fleet-real.js';

const interval = process.argv[2] ?? '2s';
const replicas = Number(process.argv[3] ?? 50);
const outages = (process.argv[4] ?? '10,60').split(',').map((s) => Number(s) * 1_000);
const server = await DevServer.start({ readyTimeoutMs: 120_000 });
const cleanups: (() => unknown)[] = [];
try {
  const run = await runFleet(
    {
      quick: false,
      server,
      runId: `probe-${Date.now()}`,
      log: (line) => console.log(line),
      defer: (cleanup) => void cleanups.push(cleanup),
    },
    {
      address: server.address,
      kill: () => server.kill(),
      startAgain: () => server.startAgain(),
      ensureUp: () => ensureServerUp(server),
    },
    {
      replicas,
      outages,
      reachabilityInterval: interval,
      reachabilityIntervalMs: durationMs(interval as `${number}s`),
    },
  );
  console.log(describeRun(run, replicas));
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await server.dispose();
}
