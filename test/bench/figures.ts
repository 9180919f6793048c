/**
 * The benchmark's figures: their keys (those of issue 8, then issue 17's, in the JSON file), units, meaning and
 * targets, and the table printed at the end of a run. Pure: covered by test/unit/bench.test.ts.
 */
import { SIDES, type SideName } from './peers-protocol.js';

/** What the `peers` benchmark measures per side (peers.ts), each as `peer_<side>_<figure>`. */
export const PEER_FIGURES = [
  'starts',
  'lost',
  'hung_30s',
  'rejections',
  'typed_rejections',
  'late_rejections',
  'first_start_ms',
  'worker_polling_ms',
] as const;
export type PeerFigure = (typeof PEER_FIGURES)[number];
export type PeerKey = `peer_${SideName}_${PeerFigure}`;
export const peerKey = (side: SideName, figure: PeerFigure): PeerKey => `peer_${side}_${figure}`;
const PEER_KEYS: readonly PeerKey[] = SIDES.flatMap((side) =>
  PEER_FIGURES.map((figure) => peerKey(side, figure)),
);

export const FIGURE_KEYS = [
  'detection_ms_p50',
  'detection_ms_p95',
  'blackhole_detection_ms_p95',
  'recovery_ms_p50',
  'recovery_ms_p95',
  'workers_polling_ms_p95',
  'drain_ms_p95',
  'raw_sdk_recovery_ms_p95',
  'throughput_ratio',
  'added_latency_us_p50',
  'added_latency_us_p99',
  'fail_fast_ms_p50',
  'raw_sdk_fail_ms_p50',
  'outage_requests',
  'outage_accounted',
  'outage_heap_delta_mb',
  'cycle_heap_growth_mb',
  'cycle_handle_growth',
  'cycle_listener_growth',
  'outbox_enqueue_per_s_postgres',
  'outbox_enqueue_per_s_embedded',
  'outbox_dispatch_ms_p95',
  'outbox_drain_per_s',
  'outbox_drain_heap_mb',
  'outbox_crash_lost',
  'outbox_crash_duplicates',
  'first_worker_loop_delay_ms_max',
  'first_worker_late_ms_max',
  'replace_worker_loop_delay_ms_max',
  'own_cost_us_p50',
  'sim_fleet_connects_per_100ms_max',
  'sim_fleet_dials_per_100ms_max',
  'sim_fleet_recovery_ms_p95',
  'outage_heap_per_request_kb',
  'outage_loop_delay_ms_max',
  'zombie_worker_detection_ms_p95',
  'rolling_restart_failed_requests',
  'rolling_restart_max_start_ms',
  'partial_outage_detection_ms_p95',
  'probe_cost_rps_per_supervisor',
  'probe_frontend_cpu_us',
  ...PEER_KEYS,
  'workers_running_ms_p95',
  'server_dispatch_ms_p95',
  'server_task_scheduled_ms_p95',
  'handover_replacements',
  'handover_lost_tasks',
  'handover_sticky_timeouts',
  'handover_timeouts_at_kill',
  'handover_kept_lost_tasks',
  'handover_kept_sticky_timeouts',
  'recovery_dial_50ms_ms_p95',
  'fleet_replicas',
  'fleet_recovery_ms_p95',
  'fleet_attempts_per_100ms_max',
  'fleet_reach_1s_recovery_ms_p95',
  'fleet_reach_1s_attempts_per_100ms_max',
  'fleet_balancer_recovery_ms_p95',
  'fleet_balancer_attempts_per_100ms_max',
  'fleet_spread_recovery_ms_p95',
  'fleet_spread_attempts_per_100ms_max',
  'sim_fleet_spread_connects_per_100ms_max',
  'sim_fleet_spread_recovery_ms_p95',
  'outage_loop_on_cpu_ms_max',
] as const;

export type FigureKey = (typeof FIGURE_KEYS)[number];

/** Every figure; `null` when the benchmark that measures it did not run (`--only`) or failed. */
export type Figures = Record<FigureKey, number | null>;

interface FigureInfo {
  readonly unit: string;
  readonly what: string;
  /** The goal, as text, and whether `figures` meets it (undefined: no target). */
  readonly target?: { readonly text: string; readonly met: (value: number, all: Figures) => boolean };
}

const PEER_SIDE_NAMES: Readonly<Record<SideName, string>> = {
  sdk: 'plain SDK (`Connection` + `Worker`, `withDeadline`)',
  nest: 'nestjs-temporal-core 3.4.0',
  us: 'a supervisor with the defaults',
};

const PEER_FIGURE_INFO: Readonly<Record<PeerFigure, { unit: string; what: string }>> = {
  starts: {
    unit: 'starts',
    what: 'starts issued (5/s, 3 s deadline each) from before the kill to 30 s after ready',
  },
  lost: { unit: 'starts', what: 'reported started but no execution on the server, or never settled' },
  hung_30s: { unit: 'starts', what: 'settled more than 30 s after issue, or never' },
  rejections: { unit: 'starts', what: 'starts rejected' },
  typed_rejections: {
    unit: 'starts',
    what: 'of those: typed (ours: our guards; the others: a gRPC status or an SDK error class)',
  },
  late_rejections: { unit: 'starts', what: 'rejected more than 150 ms after their deadline' },
  first_start_ms: { unit: 'ms', what: 'server ready → the first start issued after the kill succeeded' },
  worker_polling_ms: {
    unit: 'ms',
    what: "server ready → the side's worker takes a workflow task again (server time)",
  },
};

/** FIGURE_INFO's `peers` rows: the same per side, no targets (a comparison, not a goal). */
function peerInfos(): Record<PeerKey, FigureInfo> {
  const infos = {} as Record<PeerKey, FigureInfo>;
  for (const side of SIDES) {
    for (const figure of PEER_FIGURES) {
      const { unit, what } = PEER_FIGURE_INFO[figure];
      infos[peerKey(side, figure)] = { unit, what: `peers, ${PEER_SIDE_NAMES[side]}: ${what}` };
    }
  }
  return infos;
}

export const FIGURE_INFO: Readonly<Record<FigureKey, FigureInfo>> = {
  detection_ms_p50: { unit: 'ms', what: 'server SIGKILLed → supervisor leaves `connected`, p50' },
  detection_ms_p95: {
    unit: 'ms',
    what: 'server SIGKILLed → supervisor leaves `connected`, p95',
    target: { text: '≤ 100', met: (v) => v <= 100 },
  },
  blackhole_detection_ms_p95: {
    unit: 'ms',
    what: 'proxy black-holes the connection → supervisor leaves `connected`, p95 (defaults)',
    target: { text: '≤ 1000', met: (v) => v <= 1000 },
  },
  recovery_ms_p50: { unit: 'ms', what: 'server ready again → `connected`, p50' },
  recovery_ms_p95: {
    unit: 'ms',
    what: 'server ready again → `connected`, p95',
    target: { text: '≤ 150', met: (v) => v <= 150 },
  },
  workers_polling_ms_p95: {
    unit: 'ms',
    what: 'server ready again → the supervised worker polls (first workflow task started), p95',
  },
  workers_running_ms_p95: {
    unit: 'ms',
    what: 'server ready again → the supervised worker (a new one after the outage) is running, p95: ours alone',
    target: { text: '≤ 1000', met: (v) => v <= 1000 },
  },
  server_dispatch_ms_p95: {
    unit: 'ms',
    what: "after the outage, the first task scheduled and the supervised worker running → the task started (server's clock), p95: the server's dispatch",
  },
  server_task_scheduled_ms_p95: {
    unit: 'ms',
    what: "server ready again → the server accepted a start issued at once and scheduled its first workflow task (server's clock), p95: the server's part",
  },
  handover_replacements: {
    unit: 'count',
    what: 'workers replaced after an outage, under load (a start every 200 ms)',
  },
  handover_lost_tasks: {
    unit: 'count',
    what: 'workflow tasks that started after the server was back and timed out (start-to-close): a poll answered as its worker stopped',
    target: { text: '0', met: (v) => v === 0 },
  },
  recovery_dial_50ms_ms_p95: {
    unit: 'ms',
    what: "the same outages, a supervisor beside it with `reachabilityInterval: '50ms'`: server ready again → `connected`, p95",
  },
  handover_sticky_timeouts: {
    unit: 'count',
    what: "workflow tasks that timed out on a replaced worker's sticky queue (schedule-to-start): scheduled there after the old worker stopped polling it",
    target: { text: '0', met: (v) => v === 0 },
  },
  handover_kept_lost_tasks: {
    unit: 'count',
    what: 'the same outages, the worker kept (`refreshAfterOutage: false`): workflow tasks started after the return that timed out',
  },
  handover_kept_sticky_timeouts: {
    unit: 'count',
    what: 'the same outages, the worker kept: workflow tasks timed out on its sticky queue',
  },
  handover_timeouts_at_kill: {
    unit: 'count',
    what: 'workflow tasks that timed out having started ≤ 1 s before a SIGKILL (their answer could not reach the dead server)',
  },
  drain_ms_p95: {
    unit: 'ms',
    what: 'server ready again → every request queued during the outage has started, p95',
  },
  raw_sdk_recovery_ms_p95: {
    unit: 'ms',
    what: 'same outage, plain `Connection` + `Worker`, no supervisor: server ready → the plain worker polls, p95',
  },
  throughput_ratio: {
    unit: '×',
    what: 'workflow starts/s through a supervised creator ÷ through a plain client (same server, interleaved)',
    target: { text: '≥ 0.97', met: (v) => v >= 0.97 },
  },
  added_latency_us_p50: {
    unit: 'µs',
    what: 'one workflow start, sequential: supervised p50 − plain p50',
  },
  added_latency_us_p99: {
    unit: 'µs',
    what: 'one workflow start, sequential: supervised p99 − plain p99',
  },
  fail_fast_ms_p50: {
    unit: 'ms',
    what: 'a `failFast` start while the server is down → rejected, p50',
    target: { text: '≤ 1', met: (v) => v <= 1 },
  },
  raw_sdk_fail_ms_p50: {
    unit: 'ms',
    what: 'the same start on a plain client (SDK defaults) while the server is down → rejected, p50',
  },
  outage_requests: { unit: 'requests', what: 'concurrent starts issued during the outage' },
  outage_accounted: {
    unit: 'requests',
    what: 'of those: started exactly once (counted in visibility) or rejected on time',
    target: {
      text: '= outage_requests',
      met: (v, all) => all.outage_requests !== null && v === all.outage_requests,
    },
  },
  outage_heap_delta_mb: { unit: 'MB', what: 'peak JS heap growth during the outage and the drain' },
  cycle_heap_growth_mb: {
    unit: 'MB',
    what: 'JS heap after the forced reconnect cycles − before (after GC)',
    target: { text: '≈ 0 (≤ 2)', met: (v) => v <= 2 },
  },
  cycle_handle_growth: {
    unit: 'handles',
    what: 'active handles and requests after the cycles − before',
    target: { text: '≈ 0 (≤ 2)', met: (v) => v <= 2 },
  },
  cycle_listener_growth: {
    unit: 'listeners',
    what: 'listeners (process, supervisor, creator abort signal) after the cycles − before',
    target: { text: '0', met: (v) => v <= 0 },
  },
  outbox_enqueue_per_s_postgres: {
    unit: '/s',
    what: 'outbox.enqueue on PostgreSQL (pg), in sequence, one transaction each',
  },
  outbox_enqueue_per_s_embedded: {
    unit: '/s',
    what: 'outbox.enqueue on the embedded store (PGlite on disk), in sequence',
  },
  outbox_dispatch_ms_p95: {
    unit: 'ms',
    what: 'enqueue → the intent recorded started, Temporal serving, sequential, p95',
  },
  outbox_drain_per_s: {
    unit: '/s',
    what: 'a backlog (100,000; 5,000 with --quick) drained by the PostgreSQL store + dispatcher, start stubbed',
  },
  outbox_drain_heap_mb: {
    unit: 'MB',
    what: 'peak JS heap growth during that drain',
    target: { text: '≤ 50 (bounded by one batch)', met: (v) => v <= 50 },
  },
  outbox_crash_lost: {
    unit: 'intents',
    what: 'service SIGKILLed during an outage with intents pending, restarted: intents never started',
    target: { text: '0', met: (v) => v === 0 },
  },
  outbox_crash_duplicates: {
    unit: 'runs',
    what: 'same run: executions beyond one per intent (counted in visibility)',
    target: { text: '0', met: (v) => v === 0 },
  },
  first_worker_loop_delay_ms_max: {
    unit: 'ms',
    what: 'a fresh process: `start()` → the first worker (bundling its workflowsPath) runs, longest event-loop delay',
    target: { text: '≤ 50', met: (v) => v <= 50 },
  },
  first_worker_late_ms_max: {
    unit: 'ms',
    what: 'requests queued for the first connection, due before the first worker runs: rejected after their deadline, max',
    target: { text: '≤ 150', met: (v) => v <= 150 },
  },
  replace_worker_loop_delay_ms_max: {
    unit: 'ms',
    what: 'a worker replaced (refreshed after an outage, bundle built already): longest event-loop delay, kill → new worker runs',
    target: { text: '≤ 50', met: (v) => v <= 50 },
  },
  own_cost_us_p50: {
    unit: 'µs',
    what: '`withClient` around a no-op on the live connection (no I/O): the supervisor’s own cost per call, p50',
    target: { text: '≤ 10', met: (v) => v <= 10 },
  },
  sim_fleet_connects_per_100ms_max: {
    unit: 'attempts',
    what: '1,000 simulated replicas (`--quick`: 100; defaults), server back after a 2-minute outage: connection attempts in any 100 ms, max',
    // The stated bound (docs/connection.md): m + 3√m, m = N × 100 ms ÷ reachabilityInterval (1,000: 460).
    target: { text: '≤ 460 (m + 3√m)', met: (v) => v <= 460 },
  },
  sim_fleet_dials_per_100ms_max: {
    unit: 'dials',
    what: 'the same fleet during the outage: reachability dials (TCP connects to the port) in any 100 ms, max',
  },
  sim_fleet_recovery_ms_p95: {
    unit: 'ms',
    what: 'the same fleet: server back → a replica `connected` again, p95',
    target: { text: '≤ 1000', met: (v) => v <= 1000 },
  },
  sim_fleet_spread_connects_per_100ms_max: {
    unit: 'attempts',
    what: "the same simulated fleet with `reconnectSpread: '1.5s'`: connection attempts in any 100 ms after the return, max",
    // m + 3√m with m = N × 100 / 1,500 (docs/connection.md): 91 for 1,000 replicas, under a limit of 100.
    target: { text: '≤ 100', met: (v) => v <= 100 },
  },
  sim_fleet_spread_recovery_ms_p95: {
    unit: 'ms',
    what: "the same simulated fleet with `reconnectSpread: '1.5s'`: server back → a replica `connected` again, p95",
    target: { text: '≤ 2000', met: (v) => v <= 2_000 },
  },
  outage_heap_per_request_kb: {
    unit: 'KB',
    what: "the outage: JS heap kept per waiting request (after a GC, every request still waiting), under tsx, less the benchmark's own bookkeeping",
    target: { text: '≤ 2', met: (v) => v <= 2 },
  },
  outage_loop_delay_ms_max: {
    unit: 'ms',
    what: 'the outage: longest event-loop delay from the kill to the end of the drain (issuing the requests included; the benchmark’s forced GC not)',
    target: { text: '≤ 50', met: (v) => v <= 50 },
  },
  outage_loop_on_cpu_ms_max: {
    unit: 'ms',
    what: 'the outage: of the event-loop stalls over 20 ms, the longest time the main thread was on a CPU during one (Linux scheduler counters; the rest of a stall it waited for a core); 0 when no stall',
  },
  zombie_worker_detection_ms_p95: {
    unit: 'ms',
    what: "a worker's native connection black-holed (its supervisor's connection healthy) → the worker leaves `running` (pollerCheck: long poll 3 s, interval 500 ms, absentFor 6 s), p95",
    // The check's bound (docs/workers.md): long-poll expiry + absentFor + interval.
    target: { text: '≤ 9500', met: (v) => v <= 9_500 },
  },
  rolling_restart_failed_requests: {
    unit: 'requests',
    what: 'cluster: both frontends SIGTERMed in turn (shutdownFailHealthCheckDuration 4 s) under a start every 50 ms (failFast creator): starts failed or rejected',
    target: { text: '0', met: (v) => v === 0 },
  },
  rolling_restart_max_start_ms: {
    unit: 'ms',
    what: 'the same rolling restarts: the longest start that succeeded',
    target: { text: '≤ 1000', met: (v) => v <= 1_000 },
  },
  partial_outage_detection_ms_p95: {
    unit: 'ms',
    what: 'cluster: history SIGKILLed while the frontends answer SERVING → a supervisor with the `history` probe (500 ms; unanswered after 400 ms is slow) leaves `connected`, p95',
    // The bound, interval + timeout; a probe unanswered after slowThreshold now ends sooner (900 ms).
    target: { text: '≤ 1500', met: (v) => v <= 1_500 },
  },
  probe_cost_rps_per_supervisor: {
    unit: '/s',
    what: 'health checks per second one supervisor with the defaults sends while connected and idle',
  },
  fleet_replicas: {
    unit: 'processes',
    what: 'fleet-real: supervisors, one per Node process, against one dev server through a counting proxy',
  },
  fleet_recovery_ms_p95: {
    unit: 'ms',
    what: 'fleet-real, the defaults: server SIGKILLed, down 10 s / 60 s, its port open again → a replica `connected`, p95 (the worse outage)',
    target: { text: '≤ 2000', met: (v) => v <= 2_000 },
  },
  fleet_attempts_per_100ms_max: {
    unit: 'connections',
    what: 'fleet-real, the defaults: connection attempts (TCP connections that sent bytes) at the server in the busiest 100 ms after its return (the worse outage)',
    target: { text: '≤ 10', met: (v) => v <= 10 },
  },
  fleet_reach_1s_recovery_ms_p95: {
    unit: 'ms',
    what: "fleet-real, the same fleet with `reachabilityInterval: '1s'`: port open again → a replica `connected`, p95",
    target: { text: '≤ 2000', met: (v) => v <= 2_000 },
  },
  fleet_reach_1s_attempts_per_100ms_max: {
    unit: 'connections',
    what: "fleet-real, `reachabilityInterval: '1s'`: connection attempts at the server in the busiest 100 ms after its return",
    target: { text: '≤ 10', met: (v) => v <= 10 },
  },
  fleet_balancer_recovery_ms_p95: {
    unit: 'ms',
    what: "fleet-real, the defaults through a cluster's balancer (it keeps accepting): both frontends SIGKILLed, down 10 s, ready again → a replica `connected`, p95",
    target: { text: '≤ 2000', met: (v) => v <= 2_000 },
  },
  fleet_balancer_attempts_per_100ms_max: {
    unit: 'connections',
    what: 'fleet-real through the balancer: connection attempts at the balancer in the busiest 100 ms after the frontends are back',
    target: { text: '≤ 10', met: (v) => v <= 10 },
  },
  fleet_spread_recovery_ms_p95: {
    unit: 'ms',
    what: "fleet-real, the same fleet with `reconnectSpread: '1.5s'` (a fleet's setting, docs/connection.md): port open again → a replica `connected`, p95 (the worse outage)",
    target: { text: '≤ 2000', met: (v) => v <= 2_000 },
  },
  fleet_spread_attempts_per_100ms_max: {
    unit: 'connections',
    what: "fleet-real, `reconnectSpread: '1.5s'`: connection attempts at the server in the busiest 100 ms after its return (the worse outage)",
    target: { text: '≤ 10', met: (v) => v <= 10 },
  },
  probe_frontend_cpu_us: {
    unit: 'µs',
    what: "a frontend process's CPU time per `health` probe (the cluster's frontend; the higher of 8 in flight and one at a time)",
  },
  ...peerInfos(),
};

/** A figure set with every key, `null` where `partial` has none. */
export function completeFigures(partial: Partial<Figures>): Figures {
  const figures = {} as Figures;
  for (const key of FIGURE_KEYS) {
    const value = partial[key];
    figures[key] = value === undefined || value === null || !Number.isFinite(value) ? null : value;
  }
  return figures;
}

/** Keys missing from (or extra in) an object read back from a JSON file: empty when it is complete. */
export function checkFigureKeys(object: Record<string, unknown>): { missing: string[]; extra: string[] } {
  const keys = Object.keys(object);
  return {
    missing: FIGURE_KEYS.filter((key) => !keys.includes(key)),
    extra: keys.filter((key) => !(FIGURE_KEYS as readonly string[]).includes(key)),
  };
}

export type Verdict = 'met' | 'MISSED' | '' | 'not run';

export function verdictOf(key: FigureKey, figures: Figures): Verdict {
  const value = figures[key];
  if (value === null) return 'not run';
  const target = FIGURE_INFO[key].target;
  if (!target) return '';
  return target.met(value, figures) ? 'met' : 'MISSED';
}

function formatValue(value: number | null): string {
  if (value === null) return '–';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
      ? value.toFixed(1)
      : value.toFixed(3);
}

/** The figures as a Markdown table: figure, value, unit, target, verdict, what it measures. */
export function renderTable(figures: Figures): string {
  const rows = ['| figure | value | unit | target | verdict | what |', '|---|---:|---|---|---|---|'];
  for (const key of FIGURE_KEYS) {
    const info = FIGURE_INFO[key];
    rows.push(
      `| \`${key}\` | ${formatValue(figures[key])} | ${info.unit} | ${info.target?.text ?? ''} | ${verdictOf(key, figures)} | ${info.what} |`,
    );
  }
  return rows.join('\n');
}
