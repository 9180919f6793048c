/**
 * The README's "Embed in ten lines", as it is there (test/unit/readme.test.ts keeps the two identical).
 *
 *   TEMPORAL_ADDRESS=localhost:7233 npx tsx examples/embed.ts
 */
import { fileURLToPath } from 'node:url';
import { createSupervisor } from 'temporal-supervisor';
import * as activities from './activities.js';

const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));
const supervisor = createSupervisor({
  workers: { orders: { taskQueue: 'orders', workflowsPath, activities } }, // address etc.: TEMPORAL_* variables
  creators: { orders: { deadline: '5s' } }, // a start waits at most 5 s for Temporal
});
supervisor.start(); // never throws because Temporal is down: it connects, and reconnects, in the background
const order = { workflowId: `order-${Date.now()}`, taskQueue: 'orders', args: ['42'] };
const { runId } = await supervisor.creator('orders').start('processOrder', order); // exactly once
console.log(`order started, run ${runId}`);
process.once('SIGTERM', () => void supervisor.stop()); // creator, then worker (drained), then connection
