/**
 * 1,000 replicas by simulation (fleet-sim.ts): what the server sees from a fleet of supervisors with the
 * defaults through a long outage and its end — connection attempts and reachability dials per 100 ms, and
 * how soon every replica is connected again. The same fleet with `reachabilityInterval: '1s'` shows the knob
 * that bounds the reconnection burst, and what it costs in recovery time. No server is used.
 */
import { durationMs } from '../../src/temporal/duration.js';
import type { Benchmark } from './context.js';
import { type FleetRecord, maxPerWindow, simulateFleet } from './fleet-sim.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

/**
 * The stated bound on connection attempts in any 100 ms after the server returns (docs/connection.md):
 * `m + 3 √m`, `m = N × 100 / window`, the window the longer of `reachabilityInterval` (the dials' phases) and
 * `reconnectSpread` (the drawn delay after the dial): the sum of two uniform delays is never denser than the
 * wider one.
 */
export function reconnectBurstBound(replicas: number, reachabilityIntervalMs = 250, spreadMs = 0): number {
  const m = (replicas * 100) / Math.max(reachabilityIntervalMs, spreadMs);
  return Math.ceil(m + 3 * Math.sqrt(m));
}

function figuresOf(record: FleetRecord) {
  const { downAt, upAt } = record;
  const end = upAt + 20_000;
  const recovery = record.reconnectedAt.map((t) => (t === undefined ? Number.POSITIVE_INFINITY : t - upAt));
  const finite = recovery.filter(Number.isFinite);
  return {
    burst: maxPerWindow(record.connects, 100, upAt, end),
    // The outage's steady state: from 30 s after the loss (every replica at its longest delay by then).
    connectsDuring: maxPerWindow(record.connects, 100, downAt + 30_000, upAt),
    dialsDuring: maxPerWindow(record.dials, 100, downAt + 30_000, upAt),
    probesBefore: maxPerWindow(record.probes, 100, 10_000, downAt),
    recoveryP95: percentile(
      recovery.map((r) => (Number.isFinite(r) ? r : 1e9)),
      95,
    ),
    recovery: finite,
    notBack: recovery.length - finite.length,
    firstSecond: record.connects.filter((t) => t >= upAt && t < upAt + 1_000).length,
  };
}

/** The simulated fleet's `reconnectSpread`: m = 1,000 × 100 / 1,500 = 67, bound 91 ≤ 100. */
const SIM_SPREAD = '1.5s';

export const fleet: Benchmark = {
  name: 'fleet-sim',
  keys: [
    'sim_fleet_connects_per_100ms_max',
    'sim_fleet_dials_per_100ms_max',
    'sim_fleet_recovery_ms_p95',
    'sim_fleet_spread_connects_per_100ms_max',
    'sim_fleet_spread_recovery_ms_p95',
  ],
  async run({ quick, log }) {
    const replicas = quick ? 100 : 1_000;
    const outageMs = quick ? 60_000 : 120_000;
    const began = performance.now();
    const defaults = figuresOf(await simulateFleet({ replicas, outageMs }));
    log(`  defaults: ${JSON.stringify({ ...defaults, recovery: undefined })}`);
    const slower = figuresOf(
      await simulateFleet({ replicas, outageMs, options: { reachabilityInterval: '1s' } }),
    );
    // A fleet's setting for a connection-rate limit (docs/connection.md): 1,000 replicas under 100 per 100 ms.
    const spread = figuresOf(
      await simulateFleet({ replicas, outageMs, options: { reconnectSpread: SIM_SPREAD } }),
    );
    const wallS = round((performance.now() - began) / 1000, 1);
    const describe = (f: ReturnType<typeof figuresOf>) =>
      `connection attempts per 100 ms after the return max ${f.burst} (${f.firstSecond} in its first second), during the outage max ${f.connectsDuring}; reachability dials per 100 ms during the outage max ${f.dialsDuring}; health probes per 100 ms before it max ${f.probesBefore}; connected again after the return (ms): ${describeSummary(summarize(f.recovery))}${f.notBack ? `, ${f.notBack} not within 20 s` : ''}`;
    return {
      figures: {
        sim_fleet_connects_per_100ms_max: defaults.burst,
        sim_fleet_dials_per_100ms_max: defaults.dialsDuring,
        sim_fleet_recovery_ms_p95: round(defaults.recoveryP95, 0),
        sim_fleet_spread_connects_per_100ms_max: spread.burst,
        sim_fleet_spread_recovery_ms_p95: round(spread.recoveryP95, 0),
      },
      notes: [
        `${replicas} simulated replicas (real statecharts, backoff and jitter, one seed each, on one manual clock; fake connectors against one simulated server), all connected, then every connection lost at once, the server down ${outageMs / 1000} s, then back; ${wallS} s of CPU for the three runs.`,
        `defaults (reachabilityInterval 250 ms, backoff 100 ms × 1.7 up to 5 s, ±20 %): ${describe(defaults)}; the stated bound on the burst: ${reconnectBurstBound(replicas)} (docs/connection.md).`,
        `reachabilityInterval '1s': ${describe(slower)}; bound ${reconnectBurstBound(replicas, 1_000)}.`,
        `reconnectSpread '${SIM_SPREAD}': ${describe(spread)}; bound ${reconnectBurstBound(replicas, 250, durationMs(SIM_SPREAD))}.`,
      ],
    };
  },
};
