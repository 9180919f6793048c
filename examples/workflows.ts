/**
 * The orders service's workflow. The worker bundles this file on its own (webpack + swc), so it imports only
 * `@temporalio/workflow` and types.
 */
import { proxyActivities } from '@temporalio/workflow';
import type * as activities from './activities.js';

const { confirmOrder } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '2 seconds' },
});

/** Processes one order and says so. */
export async function processOrder(orderId: string): Promise<string> {
  return await confirmOrder(orderId);
}
