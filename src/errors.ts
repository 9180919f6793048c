import type { ConnectionState } from '../machines/connection.machine.js';
import type { ClassifiedError, FailureInfo } from '../machines/failure.js';

/** gRPC status numbers and their names (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
const GRPC_STATUS_NAMES: Readonly<Record<number, string>> = {
  0: 'OK',
  1: 'CANCELLED',
  2: 'UNKNOWN',
  3: 'INVALID_ARGUMENT',
  4: 'DEADLINE_EXCEEDED',
  5: 'NOT_FOUND',
  6: 'ALREADY_EXISTS',
  7: 'PERMISSION_DENIED',
  8: 'RESOURCE_EXHAUSTED',
  9: 'FAILED_PRECONDITION',
  10: 'ABORTED',
  11: 'OUT_OF_RANGE',
  12: 'UNIMPLEMENTED',
  13: 'INTERNAL',
  14: 'UNAVAILABLE',
  15: 'DATA_LOSS',
  16: 'UNAUTHENTICATED',
};

export const GRPC_UNAVAILABLE = 14;
export const GRPC_DEADLINE_EXCEEDED = 4;

/**
 * Statuses that no retry will fix while the configuration stays as it is. INVALID_ARGUMENT and
 * FAILED_PRECONDITION count only where the supervisor itself made the call (connect, probe): its requests are
 * fixed, so such an answer means the server or the configuration does not fit.
 */
const PERMANENT_STATUSES = new Set([3, 5, 7, 9, 12, 16]);

/**
 * Messages of TLS misconfiguration (wrong protocol, untrusted or mismatched certificate). A handshake cut
 * short by a restarting server ("socket disconnected before secure TLS connection was established") is
 * transient and deliberately not matched.
 */
const TRANSPORT_DOWN_PATTERN =
  /tcp connect error|connection refused|ConnectionRefused|connection reset|ConnectionReset|broken pipe|ECONNREFUSED|ECONNRESET/i;

const TLS_PATTERN =
  /wrong version number|certificate|ssl routines|self[- ]signed|unable to (get|verify)|handshake failure|alert number|ERR_SSL|ERR_TLS_CERT|tlsv1 alert/i;

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
  /** The call itself failed with UNAVAILABLE: the server went away while it ran. */
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
function brand(target: { prototype: object }, name: string): void {
  Object.defineProperty(target.prototype, BRAND, { value: name });
}
function hasBrand(error: unknown, name: string): boolean {
  return typeof error === 'object' && error !== null && (error as { [BRAND]?: unknown })[BRAND] === name;
}

/**
 * Temporal cannot be reached for this request: rejected within the request's deadline instead of hanging.
 * `code` is `'UNAVAILABLE'` and `grpcStatus` 14 so that code which already handles gRPC UNAVAILABLE keeps working.
 */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
  readonly code = 'UNAVAILABLE' as const;
  readonly grpcStatus = GRPC_UNAVAILABLE;
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

/** The gRPC status number of an error or of anything in its `cause` chain. */
export function grpcStatusOf(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current != null; depth++) {
    if (typeof current === 'object' && 'code' in current) {
      const code = (current as { code: unknown }).code;
      if (typeof code === 'number' && code >= 0 && code <= 16) return code;
    }
    current =
      typeof current === 'object' && 'cause' in current ? (current as { cause: unknown }).cause : undefined;
  }
  return undefined;
}

function messagesOf(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current != null; depth++) {
    if (current instanceof Error) parts.push(current.message);
    else if (typeof current === 'string') parts.push(current);
    else if (typeof current === 'object' && typeof (current as { message?: unknown }).message === 'string') {
      parts.push((current as { message: string }).message);
    }
    current =
      typeof current === 'object' && 'cause' in current ? (current as { cause: unknown }).cause : undefined;
  }
  return parts.join(': ');
}

function firstLine(text: string, max = 300): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/**
 * Sorts a failure of a connection attempt or probe into transient (retry with backoff) or permanent
 * (an operator must change something). Unknown failures are transient: retried, never dropped. `redact`
 * runs on the whole message before it is cut to one line, so no part of a secret survives the cut.
 */
export function classifyFailure(
  error: unknown,
  redact: (text: string) => string = (text) => text,
): FailureInfo {
  if (error instanceof ConnectionFailureError) return redactFailure(error.failure, redact);
  const name = error instanceof Error ? error.name : 'Error';
  const message = firstLine(redact(messagesOf(error) || String(error)));
  if (name === 'NamespaceNotFoundError') {
    return { kind: 'permanent', code: 'NAMESPACE_NOT_FOUND', grpcCode: 5, name, message };
  }
  if (TLS_PATTERN.test(message)) {
    return { kind: 'permanent', code: 'TLS_ERROR', name, message };
  }
  // Core (a worker's native connection) reports statuses only in its TransportError's message.
  const grpcCode = grpcStatusOf(error) ?? coreStatusOf(message);
  if (grpcCode === 5 && /namespace/i.test(message)) {
    return { kind: 'permanent', code: 'NAMESPACE_NOT_FOUND', grpcCode, name, message };
  }
  if (grpcCode !== undefined && grpcCode !== 0) {
    const code = GRPC_STATUS_NAMES[grpcCode] ?? `GRPC_${grpcCode}`;
    return {
      kind: PERMANENT_STATUSES.has(grpcCode) ? 'permanent' : 'transient',
      code,
      grpcCode,
      name,
      message,
    };
  }
  // Core's transport errors carry no status: a refused or reset connection is the server being away.
  if (TRANSPORT_DOWN_PATTERN.test(message)) {
    return { kind: 'transient', code: 'UNAVAILABLE', grpcCode: GRPC_UNAVAILABLE, name, message };
  }
  if (/deadline/i.test(message)) {
    return { kind: 'transient', code: 'DEADLINE_EXCEEDED', grpcCode: 4, name, message };
  }
  if (name === 'AbortError') return { kind: 'transient', code: 'CANCELLED', grpcCode: 1, name, message };
  return { kind: 'transient', code: 'UNKNOWN', name, message };
}

/**
 * The gRPC status in a message of core's (tonic's) shape, `… Status { code: NotFound, message: … }`: e.g.
 * "Namespace default was not found or otherwise could not be described: Status { code: Unavailable … }"
 * is the server being down, not the namespace missing.
 */
function coreStatusOf(message: string): number | undefined {
  const match = /Status \{ code: ([A-Za-z]+)/.exec(message);
  if (!match?.[1]) return undefined;
  const wanted = match[1].replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
  const found = Object.entries(GRPC_STATUS_NAMES).find(([, statusName]) => statusName === wanted);
  return found ? Number(found[0]) : undefined;
}

/** True for the statuses that say "the server did not answer" (UNAVAILABLE, DEADLINE_EXCEEDED). */
export function isUnavailableStatus(error: unknown): boolean {
  const status = grpcStatusOf(error);
  return status === GRPC_UNAVAILABLE || status === GRPC_DEADLINE_EXCEEDED;
}

/**
 * Removes every known secret (API key, TLS private key, authorization metadata) from a string. Every
 * occurrence of every secret is marked first and overlapping or touching marks are merged, so that two
 * overlapping secrets leave nothing of either. Secrets shorter than 4 characters are not scrubbed (they
 * would mangle ordinary text).
 */
export function createRedactor(secrets: readonly string[]): (text: string) => string {
  const usable = [...new Set(secrets.filter((s) => s.length >= 4))];
  if (usable.length === 0) return (text) => text;
  return (text) => {
    const ranges: [number, number][] = [];
    for (const secret of usable) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
        ranges.push([at, at + secret.length]);
      }
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    let out = '';
    let cursor = 0;
    let open: [number, number] | undefined;
    for (const range of ranges) {
      if (open && range[0] <= open[1]) open[1] = Math.max(open[1], range[1]);
      else {
        if (open) {
          out += `${text.slice(cursor, open[0])}[REDACTED]`;
          cursor = open[1];
        }
        open = [range[0], range[1]];
      }
    }
    if (open) out += `${text.slice(cursor, open[0])}[REDACTED]`;
    return out + text.slice(open ? open[1] : cursor);
  };
}

/** A failure with every secret scrubbed from its message. */
export function redactFailure(failure: FailureInfo, redact: (text: string) => string): FailureInfo {
  const message = redact(failure.message);
  return message === failure.message ? failure : { ...failure, message };
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
