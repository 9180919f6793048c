import { status as grpcStatus } from '@grpc/grpc-js';
import { ValueError } from '@temporalio/common';
import { isTemporalUnavailableError, isWorkflowConflictError } from '../index.js';
import type { IntentFailureReason } from './types.js';

/** What a failed dispatch of one intent means for it. */
export type DispatchVerdict =
  /** A dead letter: a retry would fail the same way. */
  | { readonly kind: 'failed'; readonly reason: IntentFailureReason; readonly message: string }
  /** Temporal is not serving: give the intent back at once and pause the whole dispatcher. */
  | { readonly kind: 'unavailable'; readonly message: string }
  /** Something else went wrong with this intent: retried later, with backoff. */
  | { readonly kind: 'retry'; readonly message: string };

const SIZE_PATTERN = /size exceeds|too large|exceeds (the )?limit|blob data size/i;

function codeOf(error: unknown): number | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(error);
}

/**
 * The one table of dispatch failures (a start through the creator):
 *
 * | failure | verdict |
 * |---|---|
 * | `WorkflowConflictError` (the id is taken by another request id's execution) | failed `ALREADY_STARTED` |
 * | `TemporalUnavailableError`, any reason (not serving, deadline, connection lost, busy, stopped) | unavailable |
 * | gRPC INVALID_ARGUMENT whose message speaks of size (the server's blob size limit) | failed `PAYLOAD_TOO_LARGE` |
 * | gRPC INVALID_ARGUMENT otherwise | failed `INVALID_REQUEST` |
 * | `ValueError`/`PayloadConverterError` (the data converter refused the args) | failed `ARGS_NOT_SERIALIZABLE` |
 * | anything else | retry with backoff |
 */
export function classifyDispatchError(error: unknown): DispatchVerdict {
  const message = messageOf(error);
  if (isWorkflowConflictError(error)) return { kind: 'failed', reason: 'ALREADY_STARTED', message };
  if (isTemporalUnavailableError(error)) return { kind: 'unavailable', message };
  if (error instanceof ValueError || (error as Error | null)?.name === 'PayloadConverterError') {
    return { kind: 'failed', reason: 'ARGS_NOT_SERIALIZABLE', message };
  }
  if (codeOf(error) === grpcStatus.INVALID_ARGUMENT) {
    return SIZE_PATTERN.test(message)
      ? { kind: 'failed', reason: 'PAYLOAD_TOO_LARGE', message }
      : { kind: 'failed', reason: 'INVALID_REQUEST', message };
  }
  return { kind: 'retry', message };
}

/** Backoff of one intent's retries: base × 2^(attempts−1), capped, with ±20 % jitter (`random` in [0, 1)). */
export function intentRetryDelayMs(
  attempts: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const nominal = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(nominal * (0.8 + 0.4 * random()));
}
