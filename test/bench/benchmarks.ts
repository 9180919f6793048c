/** Every benchmark, in the order `npm run bench` runs them. */
import { blackhole } from './blackhole.js';
import { chaos } from './chaos.js';
import type { Benchmark } from './context.js';
import { cycles } from './cycles.js';
import { detection } from './detection.js';
import { failFast } from './fail-fast.js';
import { firstWorker } from './first-worker.js';
import { fleet } from './fleet.js';
import { fleetReal } from './fleet-real.js';
import { handover } from './handover.js';
import { outage } from './outage.js';
import { outboxBench } from './outbox.js';
import { partialOutage } from './partial-outage.js';
import { peers } from './peers.js';
import { probeCost } from './probe-cost.js';
import { probeServerCost } from './probe-server-cost.js';
import { rollingRestart } from './rolling-restart.js';
import { throughput } from './throughput.js';
import { zombie } from './zombie.js';

export const BENCHMARKS: readonly Benchmark[] = [
  detection,
  blackhole,
  throughput,
  failFast,
  outage,
  cycles,
  chaos,
  outboxBench,
  firstWorker,
  fleet,
  fleetReal,
  handover,
  zombie,
  rollingRestart,
  partialOutage,
  probeCost,
  probeServerCost,
  peers,
];
