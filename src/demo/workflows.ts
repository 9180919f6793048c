/**
 * The demo's workflow. The worker bundles this file on its own (webpack + swc), from `src/demo/` under tsx and
 * from `dist/src/demo/` in the published package, so it imports only `@temporalio/workflow` and types.
 */
import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from './activities.js';

const { reserveStock, confirmOrder } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds' },
});

/**
 * Reserves stock, waits `packingMs` on a durable timer (it survives a restart of the server: the timer lives
 * in the server's database, not in this process), then confirms the order.
 */
export async function processOrder(orderId: string, packingMs: number): Promise<string> {
  await reserveStock(orderId);
  await sleep(packingMs);
  return await confirmOrder(orderId);
}
