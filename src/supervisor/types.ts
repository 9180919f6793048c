import type { ConnectionState } from '../../machines/connection.types.js';
import type { FailureInfo } from '../../machines/failure.js';
import type { DispatcherView } from '../children/dispatcher-actors.js';
import type { UnavailableReason } from '../errors.js';

/** What `onStateChange` listeners receive. */
export interface StateChange {
  readonly from: ConnectionState;
  readonly to: ConnectionState;
  /** The event that caused the change (`START`, `xstate.after.retryDelay.connection.backoff`, …). */
  readonly event: string;
  readonly snapshot: SupervisorSnapshot;
}

/** A plain, serializable, secret-free view of the supervisor. */
export interface SupervisorSnapshot {
  readonly state: ConnectionState;
  /** The machine's full state value, e.g. `{ online: { connected: 'probing' } }`. */
  readonly value: unknown;
  /** When the current state was entered (clock time, ms). */
  readonly since: number;
  readonly attempt: number;
  readonly retryDelayMs: number;
  /** While backing off: time left before the next attempt. */
  readonly retryAfterMs: number | undefined;
  readonly lastFailure: FailureInfo | undefined;
  readonly connection: unknown;
  readonly lastProbeLatencyMs: number | undefined;
  readonly probeFailures: number;
  readonly probeSuccesses: number;
  /** Requests waiting for a connection. */
  readonly pendingRequests: number;
  /** The supervised children and their states, by id (`worker:<name>`, `creator:<name>`, `dispatcher:<name>`). */
  readonly children: Readonly<Record<string, string>>;
  /**
   * The outboxes attached (`createOutbox({ supervisor })`), by name: the dispatcher's state, the store's
   * depth and oldest pending age as last read, and this process's dispatch outcomes. `{}` when none.
   */
  readonly outboxes: Readonly<Record<string, DispatcherView>>;
}

/** How one request ended, for `onRequest` listeners (the inspector draws them as marks on its timeline). */
export interface RequestOutcome {
  /** `client` (`withClient`, `getClient`) or `creator:<name>`. */
  readonly source: string;
  /** `started`: it ran on the server; `late`: it ran, after waiting for a connection; `rejected`: see `reason`. */
  readonly outcome: 'started' | 'late' | 'rejected';
  /** For `rejected`: the `TemporalUnavailableError`'s reason. */
  readonly reason?: UnavailableReason;
  /** When it ended, ms on the supervisor's clock. */
  readonly at: number;
}

/**
 * @internal What the metrics observe that the transition stream does not carry: each health check, and
 * each request rejected with `TemporalUnavailableError` (`source`: `client`, or `creator:<name>`).
 */
export interface SupervisorObserver {
  probe?(result: { readonly ok: boolean; readonly seconds: number }): void;
  rejected?(reason: UnavailableReason, source: string): void;
}
