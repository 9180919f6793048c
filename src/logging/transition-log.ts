import type { ConnectionState } from '../../machines/connection.types.js';
import type { FailureInfo } from '../../machines/failure.js';
import type { LogFields, LogLevel } from './logger.js';

/** The fixed message of each kind of supervised child's state changes. */
export const CHILD_MESSAGES = {
  worker: 'Temporal worker state changed',
  creator: 'Workflow creator state changed',
  dispatcher: 'Outbox dispatcher state changed',
} as const;

/** What the log line of a child's transition reads from the child's context (when it has it). */
interface ChildContext {
  readonly restarts?: readonly number[];
  readonly maxRestarts?: number;
  readonly restartDelayMs?: number;
  readonly lastFailure?: FailureInfo;
  readonly generation?: number;
  readonly connectionId?: number;
  readonly bindings?: number;
}

/** One log line. */
export interface LogEntry {
  readonly level: LogLevel;
  readonly message: string;
  readonly fields: LogFields;
}

/**
 * The log line of one coarse state change of a worker or creator (`undefined` for a substate change, or
 * for an actor that is neither). Levels: the first state (`from: 'none'`) at debug; ordinary changes at
 * info; a worker restarting after a failure at warn; a worker given up (beyond its restart intensity) at
 * error. Failure messages pass `redact` again, whatever made them.
 */
export function childTransitionEntry(
  transition: { readonly actor: string; readonly from: string; readonly to: string; readonly event: string },
  context: unknown,
  redact: (text: string) => string,
): LogEntry | undefined {
  const { actor, from, to, event } = transition;
  if (from === to) return undefined;
  const kind = actor.startsWith('worker:') ? 'worker' : actor.startsWith('creator:') ? 'creator' : undefined;
  if (!kind) return undefined;
  const c = (typeof context === 'object' && context !== null ? context : {}) as ChildContext;
  const fields: LogFields = { from, to, event };
  let level: LogLevel = from === 'none' ? 'debug' : 'info';
  if (kind === 'worker') {
    if (to === 'restarting' || to === 'givenUp' || (to === 'starting' && from === 'restarting')) {
      fields.restarts = c.restarts?.length ?? 0;
      fields.maxRestarts = c.maxRestarts;
    }
    if (to === 'restarting') {
      level = 'warn';
      fields.delayMs = c.restartDelayMs;
    }
    if (to === 'givenUp') level = 'error';
    if ((to === 'restarting' || to === 'givenUp') && c.lastFailure) {
      fields.code = c.lastFailure.code;
      fields.kind = c.lastFailure.kind;
      fields.cause = redact(c.lastFailure.message);
    }
    if (to === 'running' && c.generation !== undefined) fields.generation = c.generation;
  } else if (to === 'ready' && c.connectionId !== undefined) {
    fields.connectionId = c.connectionId;
  }
  return { level, message: CHILD_MESSAGES[kind], fields };
}

const LEVEL_BY_STATE: Readonly<Record<ConnectionState, LogLevel>> = {
  disconnected: 'info',
  connecting: 'debug',
  connected: 'info',
  degraded: 'warn',
  backoff: 'warn',
  stopping: 'info',
};

/** What the connection's log line reads of the supervisor's snapshot. */
interface ConnectionView {
  readonly attempt: number;
  readonly retryDelayMs: number;
  readonly lastFailure: FailureInfo | undefined;
  readonly lastProbeLatencyMs: number | undefined;
}

/**
 * The log line of one change of the connection's lifecycle state: `backoff` and `degraded` at warn with the
 * failure, a permanent failure at error, `connecting` at debug, the rest at info.
 */
export function connectionTransitionEntry(
  from: ConnectionState,
  to: ConnectionState,
  event: string,
  view: ConnectionView,
  redact: (text: string) => string,
): LogEntry {
  const permanent = to === 'backoff' && view.lastFailure?.kind === 'permanent';
  const level: LogLevel = permanent ? 'error' : LEVEL_BY_STATE[to];
  const fields: LogFields = { from, to, event, attempt: view.attempt };
  if (to === 'backoff') fields.delayMs = view.retryDelayMs;
  if ((to === 'backoff' || to === 'degraded') && view.lastFailure) {
    fields.code = view.lastFailure.code;
    fields.kind = view.lastFailure.kind;
    fields.cause = redact(view.lastFailure.message);
  }
  if (to === 'connected' && view.lastProbeLatencyMs !== undefined) fields.latencyMs = view.lastProbeLatencyMs;
  return { level, message: 'Temporal connection state changed', fields };
}

/** What the dispatcher's log line reads: its context and the outbox's counts (see `DispatcherView`). */
interface DispatcherLogView {
  readonly failures: number;
  readonly lastFailure: FailureInfo | undefined;
  readonly depth: { readonly pending: number; readonly oldestPendingAgeMs: number } | undefined;
  readonly outcomes: { readonly started: number; readonly failed: number; readonly retried: number };
}

/**
 * The log line of one state change of an outbox dispatcher, with the outbox's depth, the age of its oldest
 * pending intent and this process's outcomes. Levels: the first state, and the busy round of `draining` ↔
 * `idle`, at debug (one per drain); `paused`, `stopping`, `stopped` and a recovery at info; `backoff` (a
 * failed drain) at warn with the failure; `givenUp` (`maxFailures` failed drains in a row) at error.
 */
export function dispatcherTransitionEntry(
  transition: { readonly from: string; readonly to: string; readonly event: string },
  view: DispatcherLogView,
  redact: (text: string) => string,
): LogEntry | undefined {
  const { from, to, event } = transition;
  if (from === to) return undefined;
  const busy = (state: string) => state === 'draining' || state === 'idle';
  let level: LogLevel = from === 'none' || (busy(from) && busy(to)) ? 'debug' : 'info';
  const fields: LogFields = { from, to, event };
  if (view.depth) {
    fields.pending = view.depth.pending;
    fields.oldestPendingAgeMs = view.depth.oldestPendingAgeMs;
  }
  fields.started = view.outcomes.started;
  fields.failed = view.outcomes.failed;
  fields.retried = view.outcomes.retried;
  if (to === 'backoff' || to === 'givenUp') {
    level = to === 'givenUp' ? 'error' : 'warn';
    fields.failures = view.failures;
    if (view.lastFailure) {
      fields.code = view.lastFailure.code;
      fields.cause = redact(view.lastFailure.message);
    }
  }
  return { level, message: CHILD_MESSAGES.dispatcher, fields };
}
