/**
 * Signal-with-start through a creator on the real server: the creator's request id reaches the server
 * (the SDK would send a random one), so repeating a request by its id delivers no second signal.
 */
import { Client, Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createSupervisor } from '../../src/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';

const defer = useCleanups();

describe('signal-with-start through a creator, on the real server', () => {
  it('a repeated request (same request id) signals once; a new request signals again', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      creators: { orders: {} },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    const orders = supervisor.creator('orders');
    const options = {
      workflowId: `sws-${Date.now()}`,
      taskQueue: 'nobody-polls',
      signal: 'go',
      signalArgs: [1],
    };

    const first = await orders.signalWithStart('someWorkflow', options);
    const again = await orders.signalWithStart('someWorkflow', options, { requestId: first.requestId });
    expect(again.runId).toBe(first.runId);
    const other = await orders.signalWithStart('someWorkflow', options);
    expect(other.runId).toBe(first.runId);

    const connection = await Connection.connect({ address: server.address });
    defer(() => connection.close());
    const history = await new Client({ connection }).workflow.getHandle(options.workflowId).fetchHistory();
    const signals = (history.events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    // Without our request id on the wire, the repeat would have signaled a second time (3 in all).
    expect(signals).toBe(2);
  });
});
