/**
 * What the `peers` benchmark (peers.ts) and its children (peers-child.ts) say to each other, and what each
 * side (plain SDK, nestjs-temporal-core, us) implements. No SDK import here: the nestjs-temporal-core child
 * loads its own copy of the SDK from its cache directory, and must not load ours as well.
 */

export const SIDES = ['sdk', 'nest', 'us'] as const;
export type SideName = (typeof SIDES)[number];

/** Given to a child as argv[3] (JSON). */
export interface SideConfig {
  readonly address: string;
  readonly taskQueue: string;
  /** Prefix of the workflow ids this side starts. */
  readonly idPrefix: string;
  readonly startsPerSecond: number;
  readonly deadlineMs: number;
  /** The nestjs-temporal-core side: the directory its packages were installed into. */
  readonly nestDir?: string;
}

/** How a side's start was rejected, as far as a caller can tell from the error. */
export interface Rejection {
  /** The error's class (`constructor.name`), e.g. `ServiceError`, `TemporalUnavailableError`, `Error`. */
  readonly errorClass: string;
  /** A gRPC status carried by the error or its cause, by name (`DEADLINE_EXCEEDED`), if any. */
  readonly grpcStatus?: string;
  /** A caller can branch on it without reading the message (our guards; a gRPC status on the SDK's errors). */
  readonly typed: boolean;
  /** Our `reason` (`deadline`, `connection_lost`, …), when there is one. */
  readonly reason?: string;
  /** Ours: the rejection says the start may have reached the server (`maybeApplied`). */
  readonly maybeApplied?: boolean;
  readonly message: string;
}

/** A child's line on stdout (JSON). Times are wall-clock epoch ms (`now()`), comparable across processes. */
export type ChildEvent =
  | { readonly type: 'ready'; readonly at: number; readonly setupMs: number }
  | { readonly type: 'issued'; readonly id: string; readonly at: number }
  | { readonly type: 'started'; readonly id: string; readonly at: number }
  | { readonly type: 'rejected'; readonly id: string; readonly at: number; readonly rejection: Rejection }
  /** The side's own view of its connection and worker, whenever it changes (polled every 100 ms). */
  | { readonly type: 'status'; readonly at: number; readonly status: Readonly<Record<string, unknown>> }
  | { readonly type: 'done'; readonly at: number; readonly unsettled: readonly string[] }
  | { readonly type: 'failed'; readonly at: number; readonly message: string };

/** One side, set up in its child: a start, the side's view of itself, and a stop. */
export interface PeerSide {
  start(workflowId: string): Promise<unknown>;
  /** Anything a side knows about its errors beyond the generic reading (ours: the guards). */
  classify?(error: unknown): Partial<Rejection> | undefined;
  status(): Record<string, unknown>;
  stop(): Promise<void>;
}

/** Wall-clock ms with sub-ms resolution (as context.ts's `now`, without its imports). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** gRPC status names by code (@grpc/grpc-js `status`), so that no SDK copy is needed to name one. */
const GRPC_STATUS = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;

/** The generic reading of a rejection: its class, and a numeric gRPC `code` on it or down its `cause` chain. */
export function describeRejection(error: unknown): Rejection {
  const errorClass = error instanceof Error ? error.constructor.name : error === null ? 'null' : typeof error;
  let grpcStatus: string | undefined;
  let cursor: unknown = error;
  for (let depth = 0; depth < 5 && cursor instanceof Object; depth++) {
    const code = (cursor as { code?: unknown }).code;
    if (typeof code === 'number' && GRPC_STATUS[code] !== undefined) {
      grpcStatus = GRPC_STATUS[code];
      break;
    }
    cursor = (cursor as { cause?: unknown }).cause;
  }
  const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
  // The SDK's own class for a taken workflow id is as good as a status to branch on.
  const typed = grpcStatus !== undefined || errorClass === 'WorkflowExecutionAlreadyStartedError';
  return { errorClass, ...(grpcStatus ? { grpcStatus } : {}), typed, message };
}
