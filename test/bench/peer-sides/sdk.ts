/**
 * The `peers` benchmark's plain-SDK side, as the Temporal docs show it: `Connection.connect` + `new Client`
 * for starts, `NativeConnection.connect` + `Worker.create` + `worker.run()` for the worker (the harness's
 * startWorker, which is exactly that), nothing on top. A start is `client.workflow.start` under the SDK's
 * documented per-call deadline, `connection.withDeadline(deadline, fn)` (@temporalio/client 1.24).
 */
import { Client, Connection } from '@temporalio/client';
import { startWorker } from '../../harness/worker.js';
import type { PeerSide, SideConfig } from '../peers-protocol.js';

export async function sdkSide({ address, taskQueue, deadlineMs }: SideConfig): Promise<PeerSide> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const worker = await startWorker({ address, taskQueue, sdkLogs: { level: 'WARN' } });
  let runOutcome: string | undefined;
  worker.running.then(
    () => {
      runOutcome = 'run() resolved';
    },
    (error: unknown) => {
      runOutcome = `run() rejected: ${error instanceof Error ? error.message : String(error)}`;
    },
  );
  return {
    start: (workflowId) =>
      connection.withDeadline(Date.now() + deadlineMs, () =>
        client.workflow.start('greetAfterSleep', { workflowId, taskQueue, args: ['peer', 0] }),
      ),
    status: () => ({ worker: worker.worker.getState(), ...(runOutcome ? { runOutcome } : {}) }),
    async stop() {
      await worker.shutdown().catch(() => {});
      await connection.close();
    },
  };
}
