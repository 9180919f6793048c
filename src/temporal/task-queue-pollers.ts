import type { Client } from '@temporalio/client';
// CommonJS: Node's ESM loader sees no named exports in it.
import proto from '@temporalio/proto';

/**
 * The pollers the server has seen on one partition of a task queue: `DescribeTaskQueue` in its legacy mode
 * (`apiMode` unspecified), which answers from that partition's poller history.
 *
 * Checked against Temporal server v1.29.1 (service/matching): the history is keyed by the poller's `identity`
 * and stamped (`lastAccessTime`) when a long poll starts and again when it ends; entries live
 * `matching.PollerHistoryTTL` (5 min) after their last stamp, so a worker that stopped polling stays listed for
 * minutes: absence is a `lastAccessTime` that no longer moves, not a missing entry. A poll lands on one of the
 * queue's read partitions (`matching.numTaskqueueReadPartitions`, 4 by default), each with its own history; the
 * legacy mode accepts a partition's RPC name (`/_sys/<queue>/<n>`, common/tqid `RpcName`), where the enhanced
 * mode would fan out to all but keep one entry per identity, not the newest (`dedupPollers`).
 * test/integration/poller-check.test.ts reads a real worker's entry through this function.
 */

export type TaskQueueKind = 'workflow' | 'activity';

export interface SeenPoller {
  readonly identity: string;
  /** The server's time of the poller's last poll start or end, in ms since the epoch. */
  readonly lastAccessMs: number;
}

const { TaskQueueKind: Kind, TaskQueueType } = proto.temporal.api.enums.v1;
const TYPES: Record<TaskQueueKind, proto.temporal.api.enums.v1.TaskQueueType> = {
  workflow: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  activity: TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
};

/** The RPC name of partition `partition` of the normal task queue `taskQueue` (0: the queue's own name). */
export function partitionName(taskQueue: string, partition: number): string {
  return partition === 0 ? taskQueue : `/_sys/${taskQueue}/${partition}`;
}

export async function describePollers(
  client: Client,
  request: {
    readonly namespace: string;
    readonly taskQueue: string;
    readonly kind: TaskQueueKind;
    readonly partition: number;
    readonly timeoutMs: number;
  },
): Promise<SeenPoller[]> {
  const response = await client.connection.withDeadline(Date.now() + request.timeoutMs, () =>
    client.workflowService.describeTaskQueue({
      namespace: request.namespace,
      taskQueue: {
        name: partitionName(request.taskQueue, request.partition),
        kind: Kind.TASK_QUEUE_KIND_NORMAL,
      },
      taskQueueType: TYPES[request.kind],
    }),
  );
  return (response.pollers ?? []).map((poller) => ({
    identity: poller.identity ?? '',
    lastAccessMs: timestampMs(poller.lastAccessTime),
  }));
}

/** A protobuf timestamp in ms since the epoch (0 when absent). */
export function timestampMs(timestamp: proto.google.protobuf.ITimestamp | null | undefined): number {
  if (!timestamp) return 0;
  const seconds = Number(timestamp.seconds ?? 0);
  return seconds * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6);
}
