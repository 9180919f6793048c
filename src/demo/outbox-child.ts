/**
 * The demo's second service, run as a child process by the tour's last step (src/demo/outbox-step.ts) so that
 * the tour can SIGKILL it: a supervisor with one creator and an embedded outbox (PGlite) in the data directory
 * it is given. Configured by the JSON in TEMPORAL_SUPERVISOR_DEMO_OUTBOX
 * (`{ address, namespace, dir, taskQueue, prefix, count, packingMs }`); it enqueues `count` orders (none when
 * reopened), then starts its supervisor. One JSON line per event on stdout: `opened` (with the depth found),
 * `enqueued`, then `progress` every 200 ms. SIGTERM stops it cleanly.
 */
import { createOutbox } from '../outbox/outbox.js';
import { createSupervisor } from '../supervisor/supervisor.js';

interface ChildConfig {
  readonly address: string;
  readonly namespace: string;
  readonly dir: string;
  readonly taskQueue: string;
  readonly prefix: string;
  readonly count: number;
  readonly packingMs: number;
}

const config = JSON.parse(process.env.TEMPORAL_SUPERVISOR_DEMO_OUTBOX ?? '{}') as ChildConfig;
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

const supervisor = createSupervisor({
  address: config.address,
  namespace: config.namespace,
  envConfig: false,
  creators: { outbox: {} },
  backoff: { initialDelay: 200, maxDelay: 2_000 },
  logger: quiet,
});
const outbox = await createOutbox({
  supervisor,
  creator: 'outbox',
  name: 'demo',
  store: { path: config.dir },
  pollInterval: 500,
});
say({ event: 'opened', pid: process.pid, depth: (await outbox.metrics()).depth });
for (let i = 1; i <= config.count; i++) {
  const id = `${config.prefix}-${i}`;
  await outbox.enqueue({
    id,
    workflowType: 'processOrder',
    workflowId: id,
    taskQueue: config.taskQueue,
    args: [id, config.packingMs],
  });
}
say({ event: 'enqueued', count: config.count, depth: (await outbox.metrics()).depth });
supervisor.start();
setInterval(() => say({ event: 'progress', state: outbox.state, ...outbox.snapshot().outcomes }), 200);
process.once('SIGTERM', () => {
  void outbox
    .stop()
    .then(() => supervisor.stop())
    .finally(() => process.exit(0));
});
