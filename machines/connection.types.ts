import type { DispatcherInput } from './dispatcher.machine.js';
import type { FailureInfo } from './failure.js';
import type { WorkerInput } from './worker.machine.js';

/**
 * The types of the connection statechart (machines/connection.machine.ts): its configuration, context, input,
 * events, states and tags. Kept apart from the machine so that code which only names them (errors, options,
 * the runtime) does not load the machine.
 */

/** What `src/` hands the machine for a live connection: opaque here; serializes to safe metadata only. */
export interface ConnectionHandle {
  /** Increases by one for each connection made by a supervisor. */
  readonly id: number;
  /** Safe metadata for snapshots, logs and the inspector (never credentials). */
  toJSON(): unknown;
}

/** Timings and thresholds of the connection machine, all required (see `src/options/defaults.ts`). */
export interface ConnectionConfig {
  readonly connectTimeoutMs: number;
  readonly backoff: {
    readonly initialDelayMs: number;
    readonly maxDelayMs: number;
    readonly multiplier: number;
    readonly jitter: number;
  };
  readonly permanentRetryDelayMs: number;
  readonly stablePeriodMs: number;
  /**
   * Once the reachability watcher sees the server back: the retry waits a delay drawn uniformly from
   * [0, this), instead of the rest of the backoff (0: at once).
   */
  readonly reconnectSpreadMs: number;
  readonly healthCheck: {
    readonly intervalMs: number;
    readonly degradedIntervalMs: number;
    readonly timeoutMs: number;
    readonly slowThresholdMs: number;
    readonly failuresToDisconnect: number;
    readonly successesToRecover: number;
  };
}

export interface ConnectionContext {
  readonly config: ConnectionConfig;
  /** Consecutive failed attempts (connects that failed, or connections lost) since the last stable period. */
  readonly attempt: number;
  /** The delay chosen on the last entry to `backoff`. */
  readonly retryDelayMs: number;
  /** Why the machine last left or failed to reach `online`. */
  readonly lastFailure: FailureInfo | undefined;
  /** The live connection while `online` (and while `stopping` closes it). */
  readonly connection: ConnectionHandle | undefined;
  /** Failed probes in a row while `degraded`. */
  readonly probeFailures: number;
  /** Good probes in a row while `degraded`. */
  readonly probeSuccesses: number;
  /** Round-trip time of the last successful probe. */
  readonly lastProbeLatencyMs: number | undefined;
  /** State of the pseudo-random generator used for jitter (see `machines/backoff.ts`). */
  readonly random: number;
  /** The spread's own generator (derived from the seed), so that a spread leaves the backoff's draws as they were. */
  readonly spreadRandom: number;
  /** The delay drawn in `backoff.spreading` for this backoff's retry; undefined until the server is seen back. */
  readonly spreadDelayMs: number | undefined;
  readonly children: ChildrenConfig;
  /** Set by the first STOP: a stopped machine ignores START and STOP (its children are gone for good). */
  readonly stopped: boolean;
}

/** The supervised children, by name. */
export interface ChildrenConfig {
  readonly creators: readonly string[];
  readonly workers?: readonly WorkerInput[];
  /** Outbox dispatchers (fixed ids `dispatcher:<name>`): given at the start, or attached later. */
  readonly dispatchers?: readonly DispatcherInput[];
}

export interface ConnectionInput {
  readonly config: ConnectionConfig;
  /** Seed of the jitter generator. */
  readonly seed: number;
  /** Children to spawn (fixed ids `worker:<name>`, `creator:<name>`, `dispatcher:<name>`); none by default. */
  readonly children?: ChildrenConfig;
}

export type RetryReason = 'operator' | 'server_reachable';
export type SignalSource = 'request' | 'channel';

export type ConnectionEvent =
  | { readonly type: 'START' }
  | { readonly type: 'STOP' }
  | { readonly type: 'RETRY_NOW'; readonly reason: RetryReason }
  | { readonly type: 'CHECK_NOW' }
  | { readonly type: 'UNAVAILABLE_SEEN'; readonly source: SignalSource; readonly failure: FailureInfo }
  | { readonly type: 'CONNECTION_LOST'; readonly failure: FailureInfo }
  /** Spawns (or replaces a stopped) dispatcher child `dispatcher:<name>`; ignored once stopped. */
  | { readonly type: 'ATTACH_DISPATCHER'; readonly dispatcher: DispatcherInput };

/** The lifecycle states, as reported by the supervisor: each is a tag on its state node. */
export type ConnectionState =
  | 'disconnected'
  | 'connecting'
  | 'connected'
  | 'degraded'
  | 'backoff'
  | 'stopping';
export const CONNECTION_STATES: readonly ConnectionState[] = [
  'disconnected',
  'connecting',
  'connected',
  'degraded',
  'backoff',
  'stopping',
];
/** Tags: the lifecycle state's name, plus `serving` on every state where requests get a client. */
export type ConnectionTag = ConnectionState | 'serving';

export interface ProbeResult {
  readonly latencyMs: number;
  /**
   * The server had not answered at all within `healthCheck.slowThreshold` while `connected`: the probe was
   * given up as slow (a black hole looks like this), `latencyMs` being how long it had waited.
   */
  readonly unanswered?: boolean;
}
