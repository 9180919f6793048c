import type { ConnectionState } from '../machines/connection.types.js';
import type { ClassifiedError, FailureInfo } from '../machines/failure.js';

/** gRPC UNAVAILABLE: what `TemporalUnavailableError` reports as its `grpcStatus`, so code that handles it keeps working. */
const UNAVAILABLE = 14;

/** Why a request got no connected client. */
export type UnavailableReason =
  /** `start()` was never called. */
  | 'not_started'
  /** The supervisor is stopping or stopped. */
  | 'stopped'
  /** The caller asked not to wait (`failFast`) and the connection was not serving. */
  | 'fail_fast'
  /** The deadline passed before a connection was serving, or while the call ran. */
  | 'deadline'
  /** The last connection attempt failed permanently (credentials, namespace, TLS); waiting will not help. */
  | 'permanent_failure'
  /** Too many requests already wait for the connection (`requests.maxPending`). */
  | 'queue_full'
  /** The server went away while the call ran: UNAVAILABLE, or the call cancelled as its connection closed under it. */
  | 'connection_lost'
  /** The server refused the call for lack of resources (RESOURCE_EXHAUSTED, after the SDK's own retries). */
  | 'server_busy';

export interface TemporalUnavailableErrorFields {
  readonly reason: UnavailableReason;
  readonly state: ConnectionState;
  readonly attempt: number;
  readonly lastFailure: FailureInfo | undefined;
  readonly retryAfterMs: number | undefined;
  /**
   * True when the call may have reached the server before it failed (its answer was lost): the work may or
   * may not have been done. False when it was never sent. For a creator's request, true when any of its
   * attempts may have reached the server (a retry with the same request id is still safe).
   */
  readonly maybeApplied: boolean;
  readonly cause?: unknown;
  /** For a creator's request: which one, so that it can be retried idempotently. */
  readonly request?: RequestIdentity;
}

/** Identifies a creator's request: calling `start` again with this `requestId` cannot start a second run. */
export interface RequestIdentity {
  readonly requestId: string;
  readonly workflowId: string | undefined;
  /** Attempts made before the rejection. */
  readonly attempts: number;
}

/**
 * The `isXxxError` guards check a brand, not `instanceof`: a process can hold two copies of this package (its
 * ESM and CommonJS builds, loaded by `import` and by `require`), each with its own classes. The brand is a
 * `Symbol.for` key, shared by every copy, on each class's prototype.
 */
const BRAND = Symbol.for('temporal-supervisor.error');
/** @internal Marks `target`'s instances as `name` for {@link hasBrand} (the outbox's errors use it too). */
export function brand(target: { prototype: object }, name: string): void {
  Object.defineProperty(target.prototype, BRAND, { value: name });
}
/** @internal Whether `error` is an error of class `name` of any copy of this package. */
export function hasBrand(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === name;
}

/**
 * Temporal cannot be reached for this request: rejected within the request's deadline instead of hanging.
 * `code` is `'UNAVAILABLE'` and `grpcStatus` 14 so that code which already handles gRPC UNAVAILABLE keeps working.
 */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  readonly code = 'UNAVAILABLE' as const;
  readonly grpcStatus = UNAVAILABLE;
  readonly reason: UnavailableReason;
  readonly state: ConnectionState;
  readonly attempt: number;
  readonly lastFailure: FailureInfo | undefined;
  readonly retryAfterMs: number | undefined;
  readonly maybeApplied: boolean;
  readonly request: RequestIdentity | undefined;

  constructor(message: string, fields: TemporalUnavailableErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.reason = fields.reason;
    this.state = fields.state;
    this.attempt = fields.attempt;
    this.lastFailure = fields.lastFailure;
    this.retryAfterMs = fields.retryAfterMs;
    this.maybeApplied = fields.maybeApplied;
    this.request = fields.request;
  }

  /** Plain data for logs and JSON bodies (no cause object, no secrets). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      grpcStatus: this.grpcStatus,
      reason: this.reason,
      state: this.state,
      attempt: this.attempt,
      lastFailure: this.lastFailure,
      retryAfterMs: this.retryAfterMs,
      maybeApplied: this.maybeApplied,
      request: this.request,
    };
  }
}

export function isTemporalUnavailableError(error: unknown): error is TemporalUnavailableError {
  return hasBrand(error, 'TemporalUnavailableError');
}
brand(TemporalUnavailableError, 'TemporalUnavailableError');

/**
 * A creator's start found the workflow id taken by an execution that this request did not start (another
 * request id): nothing was started. Thanks to the stable request id, this never happens because of our own
 * retries.
 */
export class WorkflowConflictError extends Error {
  override readonly name = 'WorkflowConflictError';
  readonly code = 'ALREADY_STARTED' as const;
  readonly workflowId: string;
  readonly requestId: string;

  constructor(message: string, fields: { workflowId: string; requestId: string; cause?: unknown }) {
    super(message, { cause: fields.cause });
    this.workflowId = fields.workflowId;
    this.requestId = fields.requestId;
  }
}

export function isWorkflowConflictError(error: unknown): error is WorkflowConflictError {
  return hasBrand(error, 'WorkflowConflictError');
}
brand(WorkflowConflictError, 'WorkflowConflictError');

/** Bad options given to the supervisor: names the field, the value received and the fix. */
export class SupervisorOptionsError extends TypeError {
  override readonly name = 'SupervisorOptionsError';
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

export function isSupervisorOptionsError(error: unknown): error is SupervisorOptionsError {
  return hasBrand(error, 'SupervisorOptionsError');
}
brand(SupervisorOptionsError, 'SupervisorOptionsError');

/** An error from a connection attempt or probe, classified for the statechart. */
export class ConnectionFailureError extends Error implements ClassifiedError {
  override readonly name = 'ConnectionFailureError';
  readonly failure: FailureInfo;

  constructor(failure: FailureInfo, options?: { cause?: unknown }) {
    super(`${failure.code}: ${failure.message}`, options);
    this.failure = failure;
  }
}

/** `waitFor` did not see the state in time. */
export class SupervisorTimeoutError extends Error {
  override readonly name = 'SupervisorTimeoutError';
  readonly expected: readonly string[];
  readonly state: string;
  readonly timeoutMs: number;
  readonly snapshot: unknown;

  constructor(
    message: string,
    fields: { expected: readonly string[]; state: string; timeoutMs: number; snapshot: unknown },
  ) {
    super(message);
    this.expected = fields.expected;
    this.state = fields.state;
    this.timeoutMs = fields.timeoutMs;
    this.snapshot = fields.snapshot;
  }
}
