import type { AnyActorRef } from 'xstate';
import type { ChildrenConfig, ProbeResult } from './connection.types.js';
import type { FailureInfo } from './failure.js';

/** The connection statechart's pure helpers (machines/connection.machine.ts): failures it makes, children's ids. */

/** Why a slow probe degraded the connection: the cause its log line and snapshot give. */
export function slowProbeFailure(result: ProbeResult, thresholdMs: number): FailureInfo {
  return {
    kind: 'transient',
    code: 'PROBE_SLOW',
    name: 'SlowHealthCheck',
    message: result.unanswered
      ? `The health check had no answer within ${thresholdMs} ms (healthCheck.slowThreshold)`
      : `The health check took ${result.latencyMs} ms, over ${thresholdMs} ms (healthCheck.slowThreshold)`,
  };
}

/** Ids of the supervised children, workers first (the order of start). */
export function childIds(children: ChildrenConfig): string[] {
  return [
    ...(children.workers ?? []).map((worker) => `worker:${worker.name}`),
    ...children.creators.map((name) => `creator:${name}`),
    ...(children.dispatchers ?? []).map((dispatcher) => `dispatcher:${dispatcher.name}`),
  ];
}

/**
 * Whether the child `id` still runs: a dispatcher stopped on its own (`outbox.stop()`) while the supervisor
 * runs is not told of the connection any more. True when the snapshot is not at hand (path generation).
 */
export function isActive(self: { getSnapshot(): unknown }, id: string): boolean {
  const children = (self.getSnapshot() as { children?: Record<string, AnyActorRef> } | undefined)?.children;
  const child = children?.[id];
  return child === undefined || child.getSnapshot().status === 'active';
}

export const notProvided = (name: string) => () => {
  throw new Error(
    `The connection machine's '${name}' actor was not provided. Use createSupervisor() from 'temporal-supervisor', or provide '${name}' with machine.provide({ actors: { ${name} } }).`,
  );
};

export const CONNECT_TIMEOUT: FailureInfo = {
  kind: 'transient',
  code: 'CONNECT_TIMEOUT',
  name: 'ConnectTimeout',
  message: 'The connection attempt did not finish within connectTimeout',
};
