/**
 * What a worker's start costs the main thread. First start: a fresh process per trial
 * (first-worker-child.ts), a supervisor with one worker that bundles its `workflowsPath`, from `start()` to
 * the worker running: the event loop's longest delay, and how late requests queued for the first connection
 * were rejected at their deadline. Replacement: in this process, a supervised worker whose bundle is built
 * already is replaced (the server SIGKILLed for longer than `refreshAfterOutage`, started again: the worker
 * is refreshed), measured the same way from the kill to the new worker running.
 */
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Supervisor } from '../../src/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { waitUntil } from '../harness/wait.js';
import { type Benchmark, quietSdkRuntime, sleep, startSupervisor } from './context.js';
import { describeSummary, round, summarize } from './stats.js';

interface ChildFigures {
  readonly loopDelayMaxMs: number;
  readonly loopDelayP99Ms: number;
  readonly connectedMs: number;
  readonly runningMs: number;
  readonly lateMaxMs: number;
  readonly inWindow: number;
  readonly lateInWindowMaxMs: number;
  readonly outcomes: Record<string, number>;
}

const CHILD = fileURLToPath(new URL('./first-worker-child.ts', import.meta.url));

function runChild(address: string): Promise<ChildFigures> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, address], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-4_000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(line) as ChildFigures);
      } catch {
        reject(new Error(`first-worker child exited (${code ?? signal}) without figures: ${err || out}`));
      }
    });
  });
}

/** Resolves when the worker has gone through `starting` again and runs. */
function untilReplaced(supervisor: Supervisor, timeoutMs: number): Promise<void> {
  let left = false;
  const subscription = supervisor.onTransition((transition) => {
    if (transition.actor === 'worker:bench' && transition.to !== 'running') left = true;
  });
  return waitUntil(() => left && supervisor.snapshot().children['worker:bench'] === 'running', {
    timeoutMs,
    intervalMs: 5,
    what: 'the worker to be replaced and run again',
  })
    .then(() => {})
    .finally(() => subscription.dispose());
}

export const firstWorker: Benchmark = {
  name: 'first-worker',
  keys: ['first_worker_loop_delay_ms_max', 'first_worker_late_ms_max', 'replace_worker_loop_delay_ms_max'],
  async run(context) {
    const { quick, server, runId, log } = context;
    const trials = quick ? 1 : 5;
    const first: ChildFigures[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      first.push(await runChild(server.address));
      log(`  first start ${trial}/${trials}: ${JSON.stringify(first.at(-1))}`);
    }

    quietSdkRuntime();
    const { supervisor } = await startSupervisor(
      context,
      { workers: { bench: { taskQueue: `bench-replace-${runId}`, workflowsPath, activities } } },
      { stable: false },
    );
    await waitUntil(() => supervisor.snapshot().children['worker:bench'] === 'running', {
      timeoutMs: 120_000,
      what: 'the supervised worker to run',
    });
    const replacements = quick ? 2 : 5;
    const replaceMax: number[] = [];
    const replaceMs: number[] = [];
    for (let i = 0; i < replacements; i++) {
      await sleep(1_000);
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      const replaced = untilReplaced(supervisor, 120_000);
      await server.kill();
      const began = performance.now();
      loopDelay.enable();
      await sleep(1_500);
      await server.startAgain();
      await replaced;
      loopDelay.disable();
      replaceMax.push(loopDelay.max / 1e6);
      replaceMs.push(performance.now() - began);
    }

    const max = (values: readonly number[]) => round(Math.max(...values), 1);
    return {
      figures: {
        first_worker_loop_delay_ms_max: max(first.map((f) => f.loopDelayMaxMs)),
        first_worker_late_ms_max: max(first.map((f) => f.lateInWindowMaxMs)),
        replace_worker_loop_delay_ms_max: max(replaceMax),
      },
      notes: [
        `${trials} fresh processes, each a supervisor with one worker bundling the fixtures' workflowsPath; start() → connected (ms): ${describeSummary(summarize(first.map((f) => f.connectedMs)))}; → worker running: ${describeSummary(summarize(first.map((f) => f.runningMs)))}`,
        `event-loop delay from start() to the worker running, max per process (ms): ${describeSummary(summarize(first.map((f) => f.loopDelayMaxMs)), 1)}; p99: ${describeSummary(summarize(first.map((f) => f.loopDelayP99Ms)), 1)}`,
        `300 hanging requests per process issued at start(), deadlines 50 ms to 12 s: rejected after their deadline (ms), max per process for those due before the worker ran (${first.map((f) => f.inWindow).join(', ')} of 300): ${describeSummary(summarize(first.map((f) => f.lateInWindowMaxMs)), 1)}; all 300: ${describeSummary(summarize(first.map((f) => f.lateMaxMs)), 1)}; outcomes ${JSON.stringify(first[0]?.outcomes)}`,
        `${replacements} replacements (server SIGKILLed, down 1.5 s, restarted; the worker refreshed with its bundle built already): event-loop delay max from the kill to the new worker running (ms): ${describeSummary(summarize(replaceMax), 1)}; that window (ms): ${describeSummary(summarize(replaceMs))}`,
      ],
    };
  },
};
