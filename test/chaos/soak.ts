/**
 * Soak: a supervised service (one worker, one creator) under a steady stream of workflow starts while
 * random faults from the chaos suite hit it, for N minutes; then the chaos suite's invariant check.
 *
 *   npm run soak -- --minutes 10 [--rate 5] [--seed 42]
 *
 * It starts the service before Temporal (Temporal comes up 10 s later), then loops: a quiet pause of 3–8 s,
 * then one fault drawn at random: SIGKILL + restart, every connection reset, a 10 s black hole, 300 ms
 * added each way for 8 s, an outage longer than the request deadline (refused and reset, 8 s), a burst of
 * 100 concurrent starts, or a misconfigured sidecar supervisor (unknown namespace, or TLS against the
 * plaintext server) that must start nothing and not spin. Every reconnection also gets a burst of 20.
 *
 * Prints a table per fault, a totals table, and as its last line
 * `requests=R started=S rejected=J lost=L duplicates=D zombies=Z reconnects=C`; exits 1 when lost,
 * duplicates or zombies is not 0, or on any unhandled rejection. The definitions are in chaos-run.ts and
 * docs/reliability.md.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { DevServer, findFreePort } from '../harness/dev-server.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { type ChaosReport, ChaosRun, describeError, summaryLine } from './chaos-run.js';
import {
  blackhole,
  bundleFixtures,
  type ChaosEnv,
  type FaultRecord,
  killAndRestart,
  latency,
  outage,
  resetAll,
  untilServing,
} from './faults.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '5' },
    rate: { type: 'string', default: '5' },
    seed: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
if (!(minutes > 0))
  throw new RangeError(`Expected \`--minutes\` to be a positive number, got ${values.minutes}.`);
if (!(rate > 0 && rate <= 50))
  throw new RangeError(`Expected \`--rate\` to be in (0, 50] per second, got ${values.rate}.`);
if (!Number.isInteger(seed))
  throw new RangeError(`Expected \`--seed\` to be an integer, got ${values.seed}.`);

/** mulberry32: a small seeded generator, so that a run's fault sequence can be replayed with --seed. */
function random(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = random(seed);
const between = (low: number, high: number) => Math.round(low + rand() * (high - low));
const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);

const DEADLINE_MS = 5_000;
const started = performance.now();
log(`soak: ${minutes} min, ${rate} starts/s, seed ${seed}`);
const workflowBundle = await bundleFixtures();
const port = await findFreePort();
const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port } });
let server: DevServer | undefined;
const run = new ChaosRun({
  name: 'soak',
  address: proxy.address,
  checkAddress: `127.0.0.1:${port}`,
  workflowBundle,
  deadlineMs: DEADLINE_MS,
  diagnose: () => `proxy ${JSON.stringify(proxy.stats)} (mode ${proxy.mode})`,
});
const faults: FaultRecord[] = [];
const sidecars: ChaosReport[] = [];
const sidecarProblems: string[] = [];

async function sidecar(kind: 'namespace' | 'tls', env: ChaosEnv): Promise<FaultRecord> {
  const broke = performance.now();
  const side = new ChaosRun({
    name: `soak-misconfig-${kind}`,
    address: env.server.address,
    checkAddress: env.server.address,
    workflowBundle,
    deadlineMs: 2_000,
    checkResources: false, // the main run's final check covers what a sidecar might leave behind
    supervisor: kind === 'namespace' ? { namespace: 'soak-no-such-namespace' } : { tls: true },
  });
  side.start();
  const stream = side.stream(100);
  await sleep(4_000);
  stream.stop();
  const attempts = side.connectAttempts;
  const failure = side.supervisor.snapshot().lastFailure;
  const report = await side.finish({ drainTimeoutMs: 2_000 });
  sidecars.push(report);
  const expected = kind === 'namespace' ? 'NAMESPACE_NOT_FOUND' : 'TLS_ERROR';
  if (report.started !== 0 || report.executions !== 0)
    sidecarProblems.push(`${kind}: started ${report.started}`);
  if (attempts > 2) sidecarProblems.push(`${kind}: ${attempts} connection attempts in 4 s (tight loop)`);
  if (failure?.code !== expected)
    sidecarProblems.push(`${kind}: failure ${failure?.code}, expected ${expected}`);
  return { fault: `misconfig-${kind}`, faultMs: Math.round(performance.now() - broke), recoverMs: 0 };
}

let exitCode = 1;
try {
  // The service starts before Temporal; Temporal comes up 10 s later.
  await proxy.refuse();
  run.burstOnReconnect(20);
  run.start();
  const stream = run.stream(1_000 / rate);
  await sleep(10_000);
  const late = performance.now();
  server = await run.harness(() => DevServer.start({ port }));
  await proxy.pass();
  faults.push({
    fault: 'late-start',
    faultMs: Math.round(performance.now() - late) + 10_000,
    recoverMs: await untilServing(run.supervisor),
  });
  const env: ChaosEnv = { server, proxy };
  const until = started + minutes * 60_000;
  const menu: (() => Promise<FaultRecord>)[] = [
    () => killAndRestart(env.server, run.supervisor, between(1_000, 3_000)),
    () => resetAll(env, run.supervisor),
    () => blackhole(env, run.supervisor, 10_000),
    () => latency(env, run.supervisor, 300, 8_000),
    () => outage(env, run.supervisor, 8_000),
    async () => {
      const t = performance.now();
      run.burst(100, 'burst');
      return { fault: 'burst-100', faultMs: Math.round(performance.now() - t), recoverMs: 0 };
    },
    () => sidecar('namespace', env),
    () => sidecar('tls', env),
  ];
  while (performance.now() < until - 20_000) {
    await sleep(between(3_000, 8_000));
    const fault = menu[Math.floor(rand() * menu.length)];
    if (fault === undefined) continue;
    const record = await fault();
    faults.push(record);
    log(
      `${record.fault}: ${record.faultMs} ms, serving again after ${record.recoverMs} ms (requests so far ${run.requests.length})`,
    );
  }
  stream.stop();
  await proxy.pass();
  proxy.setLatency(0);
  if (!server.running) await server.startAgain();
  log('faults over; checking the invariants');
  const report = await run.finish();

  const byFault = new Map<string, FaultRecord[]>();
  for (const f of faults) byFault.set(f.fault, [...(byFault.get(f.fault) ?? []), f]);
  const rows = [...byFault].map(([fault, list]) => ({
    fault,
    times: list.length,
    'avg fault ms': Math.round(list.reduce((n, f) => n + f.faultMs, 0) / list.length),
    'avg recover ms': Math.round(list.reduce((n, f) => n + f.recoverMs, 0) / list.length),
    'max recover ms': Math.max(...list.map((f) => f.recoverMs)),
  }));
  console.table(rows);
  const sum = (pick: (r: ChaosReport) => number) => pick(report) + sidecars.reduce((n, r) => n + pick(r), 0);
  const totals = {
    requests: sum((r) => r.requests),
    started: sum((r) => r.started),
    rejected: sum((r) => r.rejected),
    lost: sum((r) => r.lost),
    duplicates: sum((r) => r.duplicates),
    zombies: sum((r) => r.zombies),
    reconnects: report.reconnects,
  };
  const unhandled = sum((r) => r.unhandledRejections);
  console.table({
    ...totals,
    'started after a retry': report.retried,
    'maybeApplied, found applied': report.resolvedMaybeApplied,
    ...Object.fromEntries(Object.entries(report.rejectedByReason).map(([k, v]) => [`rejected: ${k}`, v])),
    'misconfig sidecars': sidecars.length,
    'sidecar problems': sidecarProblems.length,
    'late settlements': sum((r) => r.late),
    'unhandled rejections': unhandled,
    executions: report.executions,
    minutes: Math.round((performance.now() - started) / 600) / 100,
  });
  for (const line of [...report.violations, ...sidecars.flatMap((r) => r.violations), ...sidecarProblems])
    console.log(`violation: ${line}`);
  exitCode =
    totals.lost === 0 &&
    totals.duplicates === 0 &&
    totals.zombies === 0 &&
    unhandled === 0 &&
    sidecarProblems.length === 0
      ? 0
      : 1;
  console.log(summaryLine(totals));
} catch (error) {
  console.error(`soak failed: ${describeError(error)}`);
  console.error(error);
} finally {
  await run.supervisor.stop().catch(() => {});
  await proxy.close();
  await server?.dispose();
}
process.exit(exitCode);
