/**
 * A real fleet: 50 (`--quick`: 6) supervisors, each in a Node process of its own (fleet-replica.ts: the
 * defaults, one creator, no worker), against the run's one dev server through a CountingProxy
 * (test/harness/counting-proxy.ts), which counts every TCP connection the server receives and listens only
 * while the server accepts, so that the replicas' reachability dials see the port refused during the outage
 * as they would without it.
 *
 * Each round: every replica connected past the stable period, the server SIGKILLed, held down 10 s then 60 s
 * (`--quick`: 3 s), started again. Per replica, the time from the port open again (the proxy listening) to
 * that replica `connected`, and from the harness seeing the server ready; at the proxy, the connection attempts
 * (connections that sent bytes: an HTTP/2 preface) in any 100 ms after the return, and what came during the
 * outage; in the replicas, their refused connects, which no proxy sees. The same fleet again with a longer
 * `reachabilityInterval` (the dial rate's knob), and with `reconnectSpread: '1.5s'`, the knob docs/connection.md
 * gives for the burst; then with the defaults through a TemporalCluster's balancer (both frontends SIGKILLed),
 * whose port never closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onJsonLines } from '../../src/demo/json-lines.js';
import type { Duration } from '../../src/index.js';
import { durationMs } from '../../src/temporal/duration.js';
import { TemporalCluster } from '../harness/cluster.js';
import { CountingProxy } from '../harness/counting-proxy.js';
import { waitUntil } from '../harness/wait.js';
import { type BenchContext, type Benchmark, ensureServerUp, now, sleep } from './context.js';
import { reconnectBurstBound } from './fleet.js';
import { maxPerWindow } from './fleet-sim.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

const REPLICA = fileURLToPath(new URL('./fleet-replica.ts', import.meta.url));
/** Replicas started at once: 50 processes loading tsx and the SDK together would take minutes on 2 cores. */
const BATCH = 10;
/** The `reconnectSpread` of the spread fleet: 50 replicas × 30 ms (docs/connection.md). */
const FLEET_SPREAD = '1.5s';
/** The supervisors' default `stablePeriod`. */
const STABLE_MS = 10_000;

interface Replica {
  readonly child: ChildProcess;
  readonly states: { at: number; from: string; to: string; failure?: string }[];
  /** When each of its TCP connects failed. */
  readonly refused: number[];
  readonly exited: Promise<void>;
  stderr: string;
}

/** What a fleet's replicas set over the defaults. */
export interface ReplicaOptions {
  readonly reachabilityInterval?: string;
  readonly reconnectSpread?: string;
}

function spawnReplica(address: string, options: ReplicaOptions): Replica {
  const child = spawn(process.execPath, ['--import', 'tsx', REPLICA, address, JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const replica: Replica = {
    child,
    states: [],
    refused: [],
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
    stderr: '',
  };
  onJsonLines(child.stdout, (event) => {
    if (event.type === 'state') replica.states.push(event as unknown as Replica['states'][number]);
    else if (event.type === 'refused') replica.refused.push(event.at as number);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    replica.stderr = (replica.stderr + chunk.toString()).slice(-2_000);
  });
  return replica;
}

/** The first time `replica` became `connected` after `since`. */
function connectedAfter(replica: Replica, since: number): number | undefined {
  return replica.states.find((s) => s.at >= since && s.to === 'connected')?.at;
}

/** Starts `count` replicas, `BATCH` at a time, each batch connected before the next starts. */
async function startFleet(count: number, address: string, options: ReplicaOptions): Promise<Replica[]> {
  const fleet: Replica[] = [];
  while (fleet.length < count) {
    const batch = Array.from({ length: Math.min(BATCH, count - fleet.length) }, () =>
      spawnReplica(address, options),
    );
    fleet.push(...batch);
    await waitUntil(() => batch.every((r) => connectedAfter(r, 0) !== undefined), {
      timeoutMs: 180_000,
      intervalMs: 50,
      what: `${fleet.length} replicas connected (stderr of one not connected: ${batch.find((r) => connectedAfter(r, 0) === undefined)?.stderr})`,
    });
  }
  return fleet;
}

/** Closes each replica's stdin (it stops its supervisor and exits); SIGKILL for any still alive after 15 s. */
async function stopFleet(fleet: readonly Replica[]): Promise<void> {
  for (const replica of fleet) replica.child.stdin?.end();
  const timer = setTimeout(() => {
    for (const replica of fleet) if (replica.child.exitCode === null) replica.child.kill('SIGKILL');
  }, 15_000);
  await Promise.all(fleet.map((r) => r.exited));
  clearTimeout(timer);
}

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

interface Round {
  readonly outageMs: number;
  /** The server's port open again (the proxy listening) → each replica `connected` (ms). */
  readonly recovery: number[];
  /** The harness seeing the server ready → each replica `connected` (ms; negative: connected before). */
  readonly fromReady: number[];
  /** Kill → each replica out of `connected` (ms). */
  readonly detection: number[];
  /** Connection attempts in the busiest 100 ms from the return to 1 s after the last replica was back. */
  readonly burst: number;
  readonly firstSecond: number;
  readonly bareDialsAfter: number;
  /** Connections the proxy accepted between the kill and its listening again (it had not yet seen the death). */
  readonly acceptedDuring: number;
  /** Of those, attempts (bytes sent) in the busiest 100 ms: behind a balancer, the outage's attempt rate. */
  readonly attemptsDuringPer100msMax: number;
  /** Kill → the proxy no longer listening; ready vs the proxy listening again (ms). */
  readonly refusedAfterKillMs: number;
  /** Replicas by the failure code of their last `backoff` before the return (PERMANENT ones wait 30 s). */
  readonly failures: Record<string, number>;
  /** Whether the proxy stopped listening (false behind the balancer, whose port never closes). */
  readonly closed: boolean;
  readonly openBeforeReadyMs: number;
  /** The replicas' failed TCP connects during the outage (refused at the closed port), and in the busiest 100 ms. */
  readonly refusedDials: number;
  readonly refusedPer100msMax: number;
}

/** What goes down and comes back: the dev server, or both of the cluster's frontends behind its balancer. */
export interface Target {
  /** The upstream the counting proxy follows. */
  readonly address: string;
  kill(): Promise<void>;
  /** Starts it again; resolves when the harness sees it ready. */
  startAgain(): Promise<void>;
  ensureUp(): Promise<void>;
}

async function outageRound(
  target: Target,
  fleet: readonly Replica[],
  proxy: CountingProxy,
  outageMs: number,
): Promise<Round> {
  // Settled: every replica connected for longer than the stable period (10 s), its attempt count back to 0, so
  // that no earlier outage's backoff carries over.
  const lastConnected = Math.max(
    ...fleet.map((r) => r.states.findLast((s) => s.to === 'connected')?.at ?? 0),
  );
  await sleep(Math.max(2_000, lastConnected + STABLE_MS + 1_000 - now()));
  const killAt = now();
  await target.kill();
  await sleep(outageMs);
  await target.startAgain();
  const readyAt = now();
  await waitUntil(() => fleet.every((r) => connectedAfter(r, killAt) !== undefined), {
    timeoutMs: 120_000,
    intervalMs: 20,
    what: 'every replica connected again',
  });
  // The last replica's attempt and whatever follows it (a retried handshake, the old channels) are counted.
  await sleep(3_000);
  // Behind the balancer the port never closes: the return is then the harness seeing both frontends ready.
  const reopened = proxy.listening.find((s) => s.from > killAt);
  const openAt = reopened?.from ?? readyAt;
  const closedAt = proxy.listening.findLast((s) => s.from < killAt)?.to ?? killAt;
  const connectedAt = fleet.map((r) => connectedAfter(r, killAt) as number);
  // From the return until a second after the last replica is back.
  const end = Math.max(...connectedAt) + 1_000;
  const after = proxy.countsBetween(openAt, end);
  const refused = fleet.flatMap((r) => r.refused.filter((t) => t >= killAt && t < openAt));
  const during = proxy.countsBetween(killAt, openAt);
  return {
    outageMs,
    recovery: connectedAt.map((t) => t - openAt),
    fromReady: connectedAt.map((t) => t - readyAt),
    detection: fleet.map(
      (r) => (r.states.find((s) => s.at >= killAt && s.from === 'connected')?.at ?? killAt) - killAt,
    ),
    burst: maxPerWindow(after.attempts, 100, openAt, end),
    firstSecond: after.attempts.filter((t) => t < openAt + 1_000).length,
    bareDialsAfter: after.dials.length,
    acceptedDuring: proxy.connections.filter((c) => c.acceptedAt >= killAt && c.acceptedAt < openAt).length,
    attemptsDuringPer100msMax: maxPerWindow(during.attempts, 100, killAt, openAt),
    refusedAfterKillMs: closedAt - killAt,
    closed: reopened !== undefined,
    failures: countBy(
      fleet.map(
        (r) =>
          r.states.findLast((s) => s.at >= killAt && s.at < openAt && s.to === 'backoff')?.failure ?? 'none',
      ),
    ),
    openBeforeReadyMs: readyAt - openAt,
    refusedDials: refused.length,
    refusedPer100msMax: maxPerWindow(refused, 100, killAt, openAt),
  };
}

export interface FleetRun {
  readonly label: string;
  readonly reachabilityIntervalMs: number;
  readonly spreadMs: number;
  readonly rounds: Round[];
  readonly startS: number;
}

export interface FleetOptions {
  readonly replicas: number;
  readonly outages: readonly number[];
  /** The replicas' `reachabilityInterval` (undefined: the default) and its value in ms. */
  readonly reachabilityInterval?: string;
  readonly reachabilityIntervalMs: number;
  /** The replicas' `reconnectSpread` (undefined: the default, none). */
  readonly reconnectSpread?: string;
  readonly label?: string;
}

export async function runFleet(
  context: BenchContext,
  target: Target,
  { replicas, outages, reachabilityInterval, reachabilityIntervalMs, reconnectSpread, ...rest }: FleetOptions,
): Promise<FleetRun> {
  const [host = '127.0.0.1', port] = target.address.split(':');
  const proxy = await CountingProxy.start({ host, port: Number(port) });
  context.defer(() => proxy.close());
  const began = performance.now();
  const fleet = await startFleet(replicas, proxy.address, { reachabilityInterval, reconnectSpread });
  context.defer(() => stopFleet(fleet));
  const startS = round((performance.now() - began) / 1000, 1) as number;
  const settings = [
    ...(reachabilityInterval === undefined ? [] : [`reachabilityInterval '${reachabilityInterval}'`]),
    ...(reconnectSpread === undefined ? [] : [`reconnectSpread '${reconnectSpread}'`]),
  ];
  const label = rest.label ?? (settings.length === 0 ? 'defaults' : settings.join(', '));
  context.log(`  ${label}: ${replicas} replicas connected in ${startS} s`);
  const rounds: Round[] = [];
  try {
    for (const outageMs of outages) {
      rounds.push(await outageRound(target, fleet, proxy, outageMs));
      context.log(
        `  ${label}, ${outageMs / 1000} s down: ${JSON.stringify({ ...rounds.at(-1), recovery: undefined, fromReady: undefined, detection: undefined })}`,
      );
    }
  } finally {
    await target.ensureUp();
    await stopFleet(fleet);
    await proxy.close();
  }
  const spreadMs = reconnectSpread === undefined ? 0 : durationMs(reconnectSpread as Duration);
  return { label, reachabilityIntervalMs, spreadMs, rounds, startS };
}

/**
 * The same fleet (the defaults) through a production-shaped cluster's balancer (a TemporalCluster of its own),
 * both frontends SIGKILLed and started again: the balancer keeps accepting, so the dial cannot tell.
 */
async function balancerFleet(context: BenchContext, options: FleetOptions): Promise<FleetRun> {
  const cluster = await TemporalCluster.start();
  context.defer(() => cluster.stop());
  const frontends = [cluster.services['frontend-1'], cluster.services['frontend-2']];
  const target: Target = {
    address: cluster.address,
    kill: async () => void (await Promise.all(frontends.map((f) => f.kill()))),
    startAgain: async () => void (await Promise.all(frontends.map((f) => f.start()))),
    ensureUp: async () => void (await Promise.all(frontends.map((f) => (f.running ? undefined : f.start())))),
  };
  try {
    return await runFleet(context, target, {
      ...options,
      label: 'through the cluster balancer (defaults; both frontends SIGKILLed)',
    });
  } finally {
    await cluster.stop();
  }
}

const p95 = (values: readonly number[]) => round(percentile(values, 95), 0);
/** The worse round's figure: the p95 of the slower recovery, the larger burst. */
const worstRecovery = (run: FleetRun) => Math.max(...run.rounds.map((r) => p95(r.recovery) as number));
const worstBurst = (run: FleetRun) => Math.max(...run.rounds.map((r) => r.burst));

function describeRound(r: Round): string {
  const proxy = r.closed
    ? `the proxy refused ${round(r.refusedAfterKillMs, 1)} ms after the kill and listened again ${round(r.openBeforeReadyMs, 0)} ms before the harness saw the server ready`
    : 'the port never closed (the balancer accepts): recovery timed from both frontends ready';
  return [
    `${r.outageMs / 1000} s down: return → connected (ms) ${describeSummary(summarize(r.recovery))}, harness ready → connected ${describeSummary(summarize(r.fromReady))}`,
    `attempts in the busiest 100 ms after the return ${r.burst} (${r.firstSecond} in its first second, ${r.bareDialsAfter} bare dials until 1 s after the last replica was back)`,
    `during the outage ${r.acceptedDuring} connections accepted (attempts: max ${r.attemptsDuringPer100msMax} in 100 ms), ${r.refusedDials} connects refused (max ${r.refusedPer100msMax} in 100 ms)`,
    `kill → replica out of connected (ms) ${describeSummary(summarize(r.detection))}; the last failure before the return, replicas per code: ${JSON.stringify(r.failures)}`,
    proxy,
  ].join('; ');
}

export function describeRun(run: FleetRun, replicas: number): string {
  return `${run.label} (${replicas} processes started in ${run.startS} s; stated bound ${reconnectBurstBound(replicas, run.reachabilityIntervalMs, run.spreadMs)} attempts per 100 ms): ${run.rounds.map(describeRound).join(' | ')}`;
}

export const fleetReal: Benchmark = {
  name: 'fleet-real',
  keys: [
    'fleet_replicas',
    'fleet_recovery_ms_p95',
    'fleet_attempts_per_100ms_max',
    'fleet_reach_1s_recovery_ms_p95',
    'fleet_reach_1s_attempts_per_100ms_max',
    'fleet_balancer_recovery_ms_p95',
    'fleet_balancer_attempts_per_100ms_max',
    'fleet_spread_recovery_ms_p95',
    'fleet_spread_attempts_per_100ms_max',
  ],
  async run(context) {
    const { quick, server } = context;
    const replicas = quick ? 6 : 50;
    const outages = quick ? [3_000] : [10_000, 60_000];
    const dev: Target = {
      address: server.address,
      kill: () => server.kill(),
      startAgain: () => server.startAgain(),
      ensureUp: () => ensureServerUp(server),
    };
    const fleet = { replicas, outages };
    const defaults = await runFleet(context, dev, { ...fleet, reachabilityIntervalMs: 250 });
    const formula = quick
      ? []
      : [
          await runFleet(context, dev, {
            ...fleet,
            reachabilityInterval: '500ms',
            reachabilityIntervalMs: 500,
          }),
        ];
    const slow = await runFleet(context, dev, {
      ...fleet,
      reachabilityInterval: '1s',
      reachabilityIntervalMs: 1_000,
    });
    // A fleet's setting for the burst (docs/connection.md): the retry drawn over 1.5 s after the dial, m = 3.3.
    const spread = await runFleet(context, dev, {
      ...fleet,
      reachabilityIntervalMs: 250,
      reconnectSpread: FLEET_SPREAD,
    });
    const balanced = await balancerFleet(context, {
      replicas,
      outages: outages.slice(0, 1),
      reachabilityIntervalMs: 250,
    });
    return {
      figures: {
        fleet_replicas: replicas,
        fleet_recovery_ms_p95: worstRecovery(defaults),
        fleet_attempts_per_100ms_max: worstBurst(defaults),
        fleet_reach_1s_recovery_ms_p95: worstRecovery(slow),
        fleet_reach_1s_attempts_per_100ms_max: worstBurst(slow),
        fleet_balancer_recovery_ms_p95: worstRecovery(balanced),
        fleet_balancer_attempts_per_100ms_max: worstBurst(balanced),
        fleet_spread_recovery_ms_p95: worstRecovery(spread),
        fleet_spread_attempts_per_100ms_max: worstBurst(spread),
      },
      notes: [
        `${replicas} supervisors in ${replicas} Node processes (tsx; the defaults, one creator, no worker) through a counting TCP proxy that listens only while the server accepts; per fleet, rounds of: every replica connected for 11 s (past the stable period), server SIGKILLed, held down, started again. Figures: the worse round. Recovery is timed from the server's port accepting again (the proxy listening, within 5 ms of it), not from the harness's readiness probe, which retries on grpc-js's 1 s reconnect backoff and so sees the server ready up to ~1 s late (replicas were connected before it). Refused connects are counted in the replicas (diagnostics_channel 'net.client.socket'): the proxy cannot see them.`,
        ...[defaults, ...formula, slow, spread, balanced].map((run) => describeRun(run, replicas)),
      ],
    };
  },
};
