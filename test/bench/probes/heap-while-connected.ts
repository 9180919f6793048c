/**
 * Why a request issued right after a SIGKILL keeps more heap than one issued in `backoff` (docs/performance.md,
 * "Why the benchmark reads 2.3–2.4 KB"): a real dev server, a supervisor with the defaults, the server killed,
 * N starts (130 s deadline) issued 100 per turn, the heap kept per waiting request after a GC 10 s later.
 *   npx tsx --expose-gc test/bench/probes/heap-while-connected.ts [now|backoff|backoff-als] [N]
 * now: issued at once after the kill, the connection still up (the SDK's AsyncLocalStorage enabled);
 * backoff: issued once the supervisor released it; backoff-als: the same with a storage of our own enabled.
 * Prints whether a promise made when the requests are issued carries Node's async-hook symbols.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createSupervisor } from '../../../src/index.js';
import { DevServer } from '../../../src/testing/dev-server.js';
import { collectGarbage as gc } from '../context.js';

const mode = process.argv[2] ?? 'now';
const n = Number(process.argv[3] ?? 10_000);
if (!['now', 'backoff', 'backoff-als'].includes(mode)) throw new Error(`unknown mode ${mode}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = await DevServer.start();
const supervisor = createSupervisor({
  address: server.address,
  envConfig: false,
  requests: { maxPending: n + 100 },
  creators: { probe: { maxPending: n + 100 } },
});
try {
  supervisor.start();
  await supervisor.waitFor('connected', { timeout: '60s' });
  await sleep(11_000); // past the stable period
  const creator = supervisor.creator('probe');
  gc();
  const before = process.memoryUsage().heapUsed;
  await server.kill();
  if (mode !== 'now') await supervisor.waitFor('backoff', { timeout: '10s' });
  if (mode === 'backoff-als') new AsyncLocalStorage<number>().enterWith(1);
  const stamped = Object.getOwnPropertySymbols(Promise.resolve()).map((symbol) => symbol.description);
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    const options = { workflowId: `heap-${Date.now()}-${i}`, taskQueue: 'probe', args: ['o', 0] };
    pending.push(creator.start('greetAfterSleep', options, { timeout: 130_000 }).catch(() => {}));
  }
  await sleep(10_000);
  gc();
  const kb = (process.memoryUsage().heapUsed - before) / n / 1024;
  const { state, pendingRequests } = supervisor.snapshot();
  console.log(
    `${mode}: ${kb.toFixed(2)} KB per waiting request (${pendingRequests} waiting, ${state}); a promise made as they were issued carries [${stamped.join(', ')}]`,
  );
} finally {
  await supervisor.stop().catch(() => {});
  await server.dispose();
}
process.exit(0);
