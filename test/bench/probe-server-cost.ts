/**
 * What a health probe costs the server (issue 16 item 5): the CPU time one frontend process of the
 * production-shaped cluster spends per probe, for each `healthCheck.method`. A connection of its own goes
 * straight to `frontend-1` (not through the balancer) and sends the probe's very call, 8 at a time (and
 * `health` also one at a time), for a fixed count; the frontend's user + system CPU (from /proc/<pid>/stat) over that stretch, less its CPU over an idle
 * stretch of the same length just before, divided by the count. /proc counts in clock ticks (10 ms), hence
 * thousands of probes per method. The figure is `health`'s higher of the two. Linux only.
 */
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import { TemporalCluster } from '../harness/cluster.js';
import { type Benchmark, sleep } from './context.js';
import { round } from './stats.js';

type ProbeCall = (connection: Connection) => Promise<unknown>;

const CALLS: Readonly<Record<'health' | 'system-info' | 'namespace' | 'history', ProbeCall>> = {
  health: (c) => c.healthService.check({ service: 'temporal.api.workflowservice.v1.WorkflowService' }),
  'system-info': (c) => c.workflowService.getSystemInfo({}),
  namespace: (c) => c.workflowService.describeNamespace({ namespace: 'default' }),
  // A lookup of a workflow that does not exist: answered NOT_FOUND by history (what `method: 'history'` sends).
  history: (c) =>
    c.workflowService
      .describeWorkflowExecution({ namespace: 'default', execution: { workflowId: 'probe-cost-missing' } })
      .catch((error: { code?: number }) => {
        if (error.code !== 5) throw error;
      }),
};

/** User + system CPU of process `pid` so far, in µs (clock ticks of 10 ms). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), 1-based from the state: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

async function run(
  connection: Connection,
  call: ProbeCall,
  count: number,
  concurrency: number,
): Promise<void> {
  let issued = 0;
  const lane = async () => {
    while (issued < count) {
      issued++;
      await call(connection);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

export const probeServerCost: Benchmark = {
  name: 'probe-server-cost',
  keys: ['probe_frontend_cpu_us'],
  async run({ quick, log, defer }) {
    const count = quick ? 1_000 : 5_000;
    const cluster = await TemporalCluster.start();
    defer(() => cluster.stop());
    const frontend = cluster.services['frontend-1'];
    const pid = frontend.pid;
    if (pid === undefined) throw new Error('frontend-1 has no pid');
    const connection = await Connection.connect({ address: frontend.address });
    defer(() => connection.close());
    const perProbe: Record<string, number> = {};
    // Each method 8 at a time; `health` also one at a time, as a supervisor sends it (nothing to batch).
    const runs: [string, ProbeCall, number][] = [
      ...Object.entries(CALLS).map(([method, call]): [string, ProbeCall, number] => [method, call, 8]),
      ['health, one at a time', CALLS.health, 1],
    ];
    for (const [method, call, concurrency] of runs) {
      await run(connection, call, 200, concurrency); // warm-up: the namespace cache, the connection's streams
      const started = performance.now();
      const before = cpuMicros(pid);
      await run(connection, call, count, concurrency);
      const busyMs = performance.now() - started;
      const busy = cpuMicros(pid) - before;
      const idleBefore = cpuMicros(pid);
      await sleep(busyMs);
      const idle = cpuMicros(pid) - idleBefore;
      perProbe[method] = Math.max(0, busy - idle) / count;
      log(
        `  ${method}: ${count} probes in ${Math.round(busyMs)} ms, frontend CPU ${Math.round(busy / 1000)} ms (idle ${Math.round(idle / 1000)} ms): ${perProbe[method].toFixed(1)} µs a probe`,
      );
    }
    const health = Math.max(perProbe.health ?? 0, perProbe['health, one at a time'] ?? 0);
    // The defaults' rate (docs/connection.md): one probe every healthCheck.interval (500 ms) per replica.
    const fleetCores = (1_000 * 2 * health) / 1e6;
    return {
      figures: { probe_frontend_cpu_us: round(health, 1) },
      notes: [
        `frontend CPU per probe (µs): ${Object.entries(perProbe)
          .map(([m, us]) => `${m} ${us.toFixed(1)}`)
          .join(
            ', ',
          )}; 1,000 replicas at 2 probes/s with 'health': ${(fleetCores * 100).toFixed(1)} % of one core across the frontends`,
      ],
    };
  },
};
