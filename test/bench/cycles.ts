/**
 * Leak check: forced reconnect cycles, each a full lap — connected → (proxy refuses and resets every
 * connection) → degraded → backoff → (proxy passes, `retryNow()`) → connecting → connected — with a
 * supervised worker and creator riding along and one start per cycle. Heap (after GC), active handles and
 * listeners are compared after a warm-up and after the cycles.
 *
 * To make a lap cheap, this supervisor gives the connection up after the first failed probe in `degraded`
 * (`healthCheck.failuresToDisconnect: 1`) instead of three at 500 ms intervals: the same states and actors,
 * ~20× faster. It connects through the harness's FaultProxy, which runs in this process: its two sockets per
 * live connection are among the handles counted, before and after alike.
 */
import type { Supervisor } from '../../src/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { waitUntil } from '../harness/wait.js';
import { type Benchmark, collectGarbage, quietSdkRuntime, sleep, startSupervisor } from './context.js';
import { describeSummary, round, summarize } from './stats.js';

const MB = 1024 * 1024;

function sizeOf(value: unknown): number {
  return value instanceof Set || value instanceof Map ? value.size : 0;
}

/** Listeners on the process, in the supervisor's listener sets and on the creator's stop signal. */
function listenerCount(supervisor: Supervisor): { total: number; parts: Record<string, number> } {
  const processListeners = process.eventNames().reduce((sum, name) => sum + process.listenerCount(name), 0);
  const creator = supervisor.creator('bench');
  // The creator keeps one stop signal per request in flight (none left between requests).
  const inFlight = Reflect.get(creator, 'inFlight') as Set<{ listenerCount: number }> | undefined;
  const parts = {
    process: processListeners,
    stateChange: sizeOf(Reflect.get(supervisor, 'listeners')),
    transition: sizeOf(Reflect.get(supervisor, 'transitionListeners')),
    creatorAbort: [...(inFlight ?? [])].reduce((sum, signal) => sum + 1 + signal.listenerCount, 0),
  };
  return { total: Object.values(parts).reduce((a, b) => a + b, 0), parts };
}

function resources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  return counts;
}

export const cycles: Benchmark = {
  name: 'cycles',
  keys: ['cycle_heap_growth_mb', 'cycle_handle_growth', 'cycle_listener_growth'],
  async run(context) {
    const { quick, server, runId, log, defer } = context;
    const laps = quick ? 50 : 500;
    const warmUp = quick ? 10 : 25;
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    defer(() => proxy.close());
    quietSdkRuntime();
    const { supervisor, creator } = await startSupervisor(
      context,
      {
        address: proxy.address,
        healthCheck: { failuresToDisconnect: 1 },
        workers: { bench: { taskQueue: `bench-cycles-worker-${runId}`, workflowsPath, activities } },
      },
      { stable: false },
    );
    await waitUntil(() => supervisor.snapshot().children['worker:bench'] === 'running', {
      timeoutMs: 60_000,
      what: 'the supervised worker to run',
    });
    const lapMs: number[] = [];

    const lap = async (i: number) => {
      const began = performance.now();
      await proxy.refuse();
      proxy.resetAll();
      await supervisor.waitFor('backoff', { timeout: '10s' });
      await proxy.pass();
      supervisor.retryNow();
      await supervisor.waitFor('connected', { timeout: '10s' });
      await creator.start(
        'greetAfterSleep',
        { workflowId: `cycle-${runId}-${i}`, taskQueue: `bench-cycles-${runId}`, args: ['c', 0] },
        { timeout: 10_000 },
      );
      lapMs.push(performance.now() - began);
    };
    const measure = async () => {
      // Let closes and the worker's resumption finish, then collect.
      await waitUntil(() => supervisor.snapshot().children['worker:bench'] === 'running', {
        timeoutMs: 30_000,
      });
      await sleep(1_000);
      collectGarbage();
      return {
        proxied: proxy.stats.active,
        live: sizeOf(Reflect.get(supervisor, 'live')),
        heap: process.memoryUsage().heapUsed,
        handles: process.getActiveResourcesInfo().length,
        resources: resources(),
        listeners: listenerCount(supervisor),
      };
    };

    for (let i = 0; i < warmUp; i++) await lap(i);
    const before = await measure();
    for (let i = 0; i < laps; i++) {
      await lap(warmUp + i);
      if ((i + 1) % 100 === 0) log(`  ${i + 1}/${laps} cycles`);
    }
    const after = await measure();
    const diff = [...new Set([...before.resources.keys(), ...after.resources.keys()])]
      .map((name) => [name, (after.resources.get(name) ?? 0) - (before.resources.get(name) ?? 0)] as const)
      .filter(([, d]) => d !== 0)
      .map(([name, d]) => `${name} ${d > 0 ? '+' : ''}${d}`);

    return {
      figures: {
        cycle_heap_growth_mb: round((after.heap - before.heap) / MB, 2),
        cycle_handle_growth: after.handles - before.handles,
        cycle_listener_growth: after.listeners.total - before.listeners.total,
      },
      notes: [
        `${laps} cycles after ${warmUp} warm-up cycles; one lap (ms): ${describeSummary(summarize(lapMs))}`,
        `connections open through the proxy ${before.proxied} → ${after.proxied}; the supervisor's live connections ${before.live} → ${after.live}`,
        `heap ${round(before.heap / MB, 2)} → ${round(after.heap / MB, 2)} MB; handles ${before.handles} → ${after.handles}${diff.length ? ` (${diff.join(', ')})` : ''}; listeners ${JSON.stringify(before.listeners.parts)} → ${JSON.stringify(after.listeners.parts)}`,
      ],
    };
  },
};
