import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError } from '../errors.js';
import { redactFailure } from '../logging/redact.js';
import { status, statusCode, statusName } from './grpc-status.js';

/**
 * Statuses that no retry will fix while the configuration stays as it is. INVALID_ARGUMENT and
 * FAILED_PRECONDITION count only where the supervisor itself made the call (connect, probe): its requests are
 * fixed, so such an answer means the server or the configuration does not fit.
 */
const PERMANENT_STATUSES: ReadonlySet<number> = new Set([
  status.INVALID_ARGUMENT,
  status.NOT_FOUND,
  status.PERMISSION_DENIED,
  status.FAILED_PRECONDITION,
  status.UNIMPLEMENTED,
  status.UNAUTHENTICATED,
]);

/** Core's (a worker's native connection) transport errors, which carry no status: the server is away. */
const TRANSPORT_DOWN_PATTERN =
  /tcp connect error|connection refused|ConnectionRefused|connection reset|ConnectionReset|broken pipe|ECONNREFUSED|ECONNRESET/i;

/**
 * Messages of TLS misconfiguration (wrong protocol, untrusted or mismatched certificate). A handshake cut
 * short by a restarting server ("socket disconnected before secure TLS connection was established") is
 * transient and deliberately not matched.
 */
const TLS_PATTERN =
  /wrong version number|certificate|ssl routines|self[- ]signed|unable to (get|verify)|handshake failure|alert number|ERR_SSL|ERR_TLS_CERT|tlsv1 alert/i;

/** The gRPC status number of an error or of anything in its `cause` chain. */
export function grpcStatusOf(error: unknown): number | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current != null; depth++) {
    if (typeof current === 'object' && 'code' in current) {
      const code = (current as { code: unknown }).code;
      if (typeof code === 'number' && statusName(code) !== undefined) return code;
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
    return { kind: 'permanent', code: 'NAMESPACE_NOT_FOUND', grpcCode: status.NOT_FOUND, name, message };
  }
  if (TLS_PATTERN.test(message)) {
    return { kind: 'permanent', code: 'TLS_ERROR', name, message };
  }
  // Core (a worker's native connection) reports statuses only in its TransportError's message.
  const grpcCode = grpcStatusOf(error) ?? coreStatusOf(message);
  if (grpcCode === status.NOT_FOUND && /namespace/i.test(message)) {
    return { kind: 'permanent', code: 'NAMESPACE_NOT_FOUND', grpcCode, name, message };
  }
  if (grpcCode !== undefined && grpcCode !== status.OK) {
    const code = statusName(grpcCode) ?? `GRPC_${grpcCode}`;
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
    return { kind: 'transient', code: 'UNAVAILABLE', grpcCode: status.UNAVAILABLE, name, message };
  }
  if (/deadline/i.test(message)) {
    return {
      kind: 'transient',
      code: 'DEADLINE_EXCEEDED',
      grpcCode: status.DEADLINE_EXCEEDED,
      name,
      message,
    };
  }
  if (name === 'AbortError')
    return { kind: 'transient', code: 'CANCELLED', grpcCode: status.CANCELLED, name, message };
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
  return statusCode(wanted);
}

/** True for the statuses that say "the server did not answer" (UNAVAILABLE, DEADLINE_EXCEEDED). */
export function isUnavailableStatus(error: unknown): boolean {
  const code = grpcStatusOf(error);
  return code === status.UNAVAILABLE || code === status.DEADLINE_EXCEEDED;
}
