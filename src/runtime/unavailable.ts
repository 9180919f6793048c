import type { ConnectionState } from '../../machines/connection.types.js';
import type { FailureInfo } from '../../machines/failure.js';
import { TemporalUnavailableError, type UnavailableReason } from '../errors.js';

/** What a rejection tells of the connection at that moment (from the supervisor's snapshot). */
export interface AvailabilityView {
  readonly state: ConnectionState;
  readonly attempt: number;
  readonly lastFailure: FailureInfo | undefined;
  readonly retryAfterMs: number | undefined;
}

export interface UnavailableExtra {
  readonly maybeApplied?: boolean;
  readonly cause?: unknown;
  readonly waitedMs?: number;
  /** Replaces the reason's own wording. */
  readonly detail?: string | undefined;
}

/**
 * The `TemporalUnavailableError` of a request refused or failed for `reason`: the rule in words, then the state
 * of the connection (state, attempt, last failure, next attempt). `maxPending` is quoted for `queue_full`.
 */
export function unavailableError(
  view: AvailabilityView,
  reason: UnavailableReason,
  maxPending: number,
  extra: UnavailableExtra = {},
): TemporalUnavailableError {
  const failure = view.lastFailure;
  const detail = [
    `state ${view.state}`,
    `attempt ${view.attempt}`,
    failure ? `last failure ${failure.code}: ${failure.message}` : undefined,
    view.retryAfterMs !== undefined ? `next attempt in ~${view.retryAfterMs} ms` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
  return new TemporalUnavailableError(
    `Temporal is unavailable: ${extra.detail ?? why(reason, view, maxPending, extra)} (${detail})`,
    {
      reason,
      state: view.state,
      attempt: view.attempt,
      lastFailure: failure,
      retryAfterMs: view.retryAfterMs,
      maybeApplied: extra.maybeApplied ?? false,
      cause: extra.cause,
    },
  );
}

function why(reason: UnavailableReason, view: AvailabilityView, maxPending: number, extra: UnavailableExtra) {
  switch (reason) {
    case 'not_started':
      return 'the supervisor was not started (call start())';
    case 'stopped':
      return 'the supervisor is stopped';
    case 'fail_fast':
      return `the connection is ${view.state} and the request asked not to wait (failFast)`;
    case 'deadline':
      return extra.maybeApplied === true
        ? `the call did not finish within its deadline (${extra.waitedMs ?? '?'} ms); it may or may not have reached the server`
        : `no connection was serving within the request's deadline (waited ${extra.waitedMs ?? 0} ms)`;
    case 'permanent_failure':
      return 'the last connection attempt failed permanently; an operator must fix the cause';
    case 'queue_full':
      return `${maxPending} requests already wait for the connection (requests.maxPending)`;
    case 'connection_lost':
      return 'the server went away while the call ran (its error is the cause); it may or may not have reached the server';
    case 'server_busy':
      return 'the server refused the call for lack of resources (RESOURCE_EXHAUSTED); nothing was applied';
  }
}

/** The same rejection, re-issued with the identity of the creator's request it belongs to. */
export function withRequest(
  error: TemporalUnavailableError,
  request: { readonly requestId: string; readonly workflowId: string | undefined; readonly attempts: number },
  earlierMaybeApplied: boolean,
): TemporalUnavailableError {
  return new TemporalUnavailableError(error.message, {
    reason: error.reason,
    state: error.state,
    attempt: error.attempt,
    lastFailure: error.lastFailure,
    retryAfterMs: error.retryAfterMs,
    maybeApplied: earlierMaybeApplied || error.maybeApplied,
    cause: error.cause,
    request,
  });
}
