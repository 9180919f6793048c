/**
 * Run by the `first-worker` benchmark in a process of its own (so that nothing of the SDK, webpack or the
 * workflow bundle is loaded yet, as in a service that just started): a supervisor with one worker
 * (`workflowsPath`: the bundle is built on this first start) against the server at argv[2].
 *
 * From `start()` until the worker runs, the event loop's delay is recorded (`monitorEventLoopDelay`, 10 ms
 * resolution), and `REQUESTS` requests queued for the first connection, issued at `start()` with deadlines
 * spread over the window, hang until their deadline: each must be rejected at its deadline, so how late
 * each rejection comes is how late the supervisor's timers fired. Prints one JSON line with the figures.
 *
 * Source maps are off, as in `node app.js` (tsx turns them on): with them on (`--enable-source-maps`), the
 * SDK's `Worker.create` spends ~60 ms more on this thread mapping a stack trace of its bundle pre-load.
 * argv[3] `source-maps` leaves them on.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createSupervisor } from '../../src/index.js';
import { activities, workflowsPath } from '../fixtures/index.js';
import { installRuntime } from '../harness/worker.js';

const REQUESTS = 300;
const FIRST_DEADLINE_MS = 50;
const SPACING_MS = 40;

const address = process.argv[2] ?? '';
if (process.argv[3] !== 'source-maps') process.setSourceMapsEnabled(false);
installRuntime({ level: 'ERROR', log: () => {} });
const supervisor = createSupervisor({
  address,
  envConfig: false,
  requests: { maxPending: REQUESTS + 10 },
  workers: { bench: { taskQueue: `bench-first-${Date.now()}`, workflowsPath, activities } },
});

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
const began = performance.now();
loopDelay.enable();
supervisor.start();
const lateness: { deadlineAt: number; late: number }[] = [];
const outcomes = new Map<string, number>();
const pending = Array.from({ length: REQUESTS }, async (_, i) => {
  const timeoutMs = FIRST_DEADLINE_MS + i * SPACING_MS;
  const issuedAt = performance.now();
  try {
    await supervisor.withClient(
      (_client, { signal }) => new Promise((resolve) => signal.addEventListener('abort', resolve)),
      { timeout: timeoutMs },
    );
    outcomes.set('resolved', (outcomes.get('resolved') ?? 0) + 1);
  } catch (error) {
    const reason = String((error as { reason?: unknown }).reason ?? (error as Error).name);
    outcomes.set(reason, (outcomes.get(reason) ?? 0) + 1);
  }
  const deadlineAt = issuedAt + timeoutMs - began;
  lateness.push({ deadlineAt, late: performance.now() - began - deadlineAt });
});

let connectedMs: number | undefined;
supervisor.onStateChange(({ to }) => {
  if (to === 'connected' && connectedMs === undefined) connectedMs = performance.now() - began;
});
await new Promise<void>((resolve, reject) => {
  const check = setInterval(() => {
    const state = supervisor.snapshot().children['worker:bench'];
    if (state === 'running') {
      clearInterval(check);
      resolve();
    } else if (performance.now() - began > 120_000) {
      clearInterval(check);
      reject(new Error(`the worker did not run within 120 s (state ${state})`));
    }
  }, 5);
});
const runningMs = performance.now() - began;
loopDelay.disable();
await Promise.all(pending);
await supervisor.stop();
process.stdout.write(
  `${JSON.stringify({
    loopDelayMaxMs: loopDelay.max / 1e6,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    connectedMs,
    runningMs,
    lateMaxMs: Math.max(...lateness.map((l) => l.late)),
    // Those whose deadline fell between start() and the worker running: the window the bundle used to block.
    inWindow: lateness.filter((l) => l.deadlineAt <= runningMs).length,
    lateInWindowMaxMs: Math.max(0, ...lateness.filter((l) => l.deadlineAt <= runningMs).map((l) => l.late)),
    outcomes: Object.fromEntries(outcomes),
  })}\n`,
);
