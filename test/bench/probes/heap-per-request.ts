/**
 * Where the bytes of a waiting request go: N creator starts waiting for a connection that never comes (a fake
 * connector, the system clock: each waiting request has a real timer), the heap kept per request after a GC,
 * and with --snapshot a heap snapshot to read by constructor.
 *   npx tsx --expose-gc test/bench/probes/heap-per-request.ts [N] [--dist] [--snapshot]
 * With --dist, the supervisor is the compiled build (npm run build first): tsx's `__name` wrappers give every
 * closure of the source a property array, which the compiled code has not.
 */
import { writeHeapSnapshot } from 'node:v8';
import { FakeConnector } from '../../support/fake-connector.js';

const n = Number(process.argv[2] ?? 10_000);
const { createSupervisor } = (await import(
  process.argv.includes('--dist') ? '../../../dist/src/index.js' : '../../../src/index.js'
)) as typeof import('../../../src/index.js');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const supervisor = createSupervisor({
  envConfig: false,
  connector: new FakeConnector(),
  reachabilityInterval: false,
  requests: { maxPending: n + 10 },
  creators: { bench: { maxPending: n + 10 } },
});
supervisor.start();
const creator = supervisor.creator('bench');
gc();
const before = process.memoryUsage().heapUsed;
const pending: Promise<unknown>[] = [];
for (let i = 0; i < n; i++) {
  pending.push(
    creator
      .start('greet', { workflowId: `w-${i}`, taskQueue: 'q', args: ['o', 0] }, { timeout: 600_000 })
      .catch(() => {}),
  );
}
await new Promise((resolve) => setTimeout(resolve, 50));
gc();
const after = process.memoryUsage().heapUsed;
console.log(`${n} waiting: ${((after - before) / n / 1024).toFixed(2)} KB each (heapUsed after GC)`);
if (process.argv.includes('--snapshot')) console.log(writeHeapSnapshot());
await supervisor.stop();
await Promise.all(pending);
