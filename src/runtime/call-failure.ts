/**
 * The one table that says what a failed call means: from what the call's error says (its gRPC status, whether
 * the channel was closed under it, whether the server denied the namespace) and how the call ended (did our own
 * deadline cancel it) to what the caller is told. Pure: `withClient`, the creators and the workers all read it.
 *
 * Rows, first match wins (docs/guarantees.md, "What a failed call means"):
 *
 * | status / fact                        | deadline passed | reason          | maybeApplied | retryable | reportsUnavailable |
 * |--------------------------------------|-----------------|-----------------|--------------|-----------|--------------------|
 * | CANCELLED, channel closed under it   | any             | connection_lost | true         | true      | false              |
 * | CANCELLED                            | yes             | deadline        | true         | false     | false              |
 * | CANCELLED                            | no              | connection_lost | true         | true      | false              |
 * | RESOURCE_EXHAUSTED                   | any             | server_busy     | false        | true      | false              |
 * | NOT_FOUND naming the namespace       | any             | connection_lost | false        | true      | false              |
 * | UNAVAILABLE                          | any             | connection_lost | true         | true      | true               |
 * | DEADLINE_EXCEEDED                    | any             | deadline        | true         | false     | false              |
 * | anything else                        | any             | (the caller's own error, passed through untouched) |
 */
import type { UnavailableReason } from '../errors.js';
import { status } from './grpc-status.js';

/** What the call's error says, and how the call ended. */
export interface CallFacts {
  /** The gRPC status of the error or of its cause chain, if any. */
  readonly status: number | undefined;
  /** The call ended because its channel was closed under it (our closed-channel guard's CANCELLED). */
  readonly closedChannel: boolean;
  /** The server answered that the namespace does not exist. */
  readonly namespaceNotFound: boolean;
  /** Our own deadline had passed (and so cancelled the call) when it failed. */
  readonly deadlinePassed: boolean;
}

/** What the caller is told about a failed call. */
export interface CallFailure {
  readonly reason: UnavailableReason;
  /** The call may have reached the server before it failed (its answer was lost). */
  readonly maybeApplied: boolean;
  /** A creator may retry it (with the same request id) while its deadline allows. */
  readonly retryable: boolean;
  /** The connection machine should hear of it (`UNAVAILABLE_SEEN`): the server stopped answering. */
  readonly reportsUnavailable: boolean;
  /** Wording for the error message, where the reason's own is not enough. */
  readonly detail?: string;
}

const LOST: CallFailure = {
  reason: 'connection_lost',
  maybeApplied: true,
  retryable: true,
  reportsUnavailable: false,
};
const TIMED_OUT: CallFailure = {
  reason: 'deadline',
  maybeApplied: true,
  retryable: false,
  reportsUnavailable: false,
};

/** The row of the table for these facts, or `undefined` when the error is the caller's own to see. */
export function classifyCall(facts: CallFacts): CallFailure | undefined {
  switch (facts.status) {
    case status.CANCELLED:
      // Cancelled and not by our deadline: the channel was closed under the call (the connection was released),
      // whatever grpc-js's wording. Seen in the outage benchmark as ServiceError('Failed to start Workflow').
      return facts.closedChannel || !facts.deadlinePassed ? LOST : TIMED_OUT;
    case status.RESOURCE_EXHAUSTED:
      // An overloaded server (rate limits, a flood of starts) that the SDK's retries did not outlast.
      return { reason: 'server_busy', maybeApplied: false, retryable: true, reportsUnavailable: false };
    case status.UNAVAILABLE:
      return { ...LOST, reportsUnavailable: true };
    case status.DEADLINE_EXCEEDED:
      return TIMED_OUT;
  }
  if (facts.namespaceNotFound) {
    // The namespace existed when this connection was made (connecting checks it): a server that does not know
    // it now is one restarting (the dev server answers NOT_FOUND while it loads its namespaces; seen in the soak).
    return {
      reason: 'connection_lost',
      maybeApplied: false,
      retryable: true,
      reportsUnavailable: false,
      detail: 'the server answered that the namespace does not exist (restarting?)',
    };
  }
  return undefined;
}

/** The reasons a creator retries within its deadline (with the same request id). */
const RETRYABLE_REASONS: ReadonlySet<UnavailableReason> = new Set(['connection_lost', 'server_busy']);

/** Whether a rejection with this reason may be retried by a creator within its deadline. */
export function isRetryableReason(reason: UnavailableReason): boolean {
  return RETRYABLE_REASONS.has(reason);
}
