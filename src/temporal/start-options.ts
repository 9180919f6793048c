/**
 * Giving a workflow start our own request id.
 *
 * Reliance on a non-public SDK symbol: `InternalWorkflowStartOptionsSymbol` from
 * `@temporalio/client/lib/internal.js` (checked against @temporalio/client 1.24.0) makes `client.workflow.start`
 * send the request id we choose instead of a random one; the server deduplicates StartWorkflowExecution by it,
 * which is what makes a retried start exactly-once. Caught by test/integration/creator.test.ts (200 starts
 * through an outage, 0 duplicates) and test/unit/creator.test.ts if the symbol stops being honoured.
 */
import { InternalWorkflowStartOptionsSymbol } from '@temporalio/client/lib/internal.js';

/** `options` with `requestId` as the start's request id. */
export function withRequestId<O extends object>(options: O, requestId: string): O {
  return { ...options, [InternalWorkflowStartOptionsSymbol]: { requestId } };
}
