import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionState } from '../machines/connection.types.js';
import type { FailureInfo } from '../machines/failure.js';
import { runtimeOf } from './supervisor/internals.js';
import type { Supervisor } from './supervisor/supervisor.js';

/** What the health endpoints report (also the JSON body). Secret-free, like every snapshot. */
export interface HealthReport {
  /** The process is sound: false only when a supervised child has given up beyond its restart intensity. */
  readonly live: boolean;
  /** Requests can be served now: connected (or degraded, if `readyWhenDegraded`), and not shutting down. */
  readonly ready: boolean;
  /** `shutdown()` or `stop()` was called: not ready, whatever the state. */
  readonly shuttingDown: boolean;
  readonly state: ConnectionState;
  readonly children: Readonly<Record<string, string>>;
  /** Children given up beyond their restart intensity. */
  readonly givenUp: readonly string[];
  /**
   * Workers that are not running because the server stopped seeing their polls (`pollerCheck`): being replaced
   * (`restarting`, `starting`), or given up. Liveness fails only once such a failure is one too many.
   */
  readonly notPolling: readonly string[];
  /**
   * Running workers whose task queue the server cannot answer for while the supervisor's connection serves
   * (the poller check's reads fail: matching is down, so the worker cannot poll either). Neither liveness nor
   * readiness changes: a restart would not help, and starts still succeed. Cleared at the next good read.
   */
  readonly taskQueueUnreachable: readonly string[];
  readonly lastFailure: FailureInfo | undefined;
  readonly retryAfterMs: number | undefined;
  readonly pendingRequests: number;
}

export interface HealthOptions {
  /** Whether `degraded` (still serving, but probes failing or slow) counts as ready. @default true */
  readyWhenDegraded?: boolean;
}

/**
 * Liveness and readiness of a supervisor. Liveness deliberately ignores Temporal being down: restarting the
 * process would not bring Temporal back, and the supervisor already reconnects; only a child that gave up
 * (a worker failing beyond its restart intensity) makes the process unsound.
 */
export function healthOf(supervisor: Supervisor, options: HealthOptions = {}): HealthReport {
  const snapshot = supervisor.snapshot();
  const givenUp = Object.entries(snapshot.children)
    .filter(([, state]) => state === 'givenUp')
    .map(([id]) => id);
  const notPolling = Object.entries(snapshot.children)
    .filter(([id, state]) => state !== 'running' && workerFailureCode(supervisor, id) === NOT_POLLING)
    .map(([id]) => id);
  const taskQueueUnreachable = [...runtimeOf(supervisor).workers]
    .filter(([, worker]) => worker.taskQueueUnreachable !== undefined)
    .map(([name]) => `worker:${name}`);
  const { shuttingDown } = supervisor;
  const serving =
    snapshot.state === 'connected' || (snapshot.state === 'degraded' && (options.readyWhenDegraded ?? true));
  return {
    live: givenUp.length === 0,
    ready: serving && !shuttingDown,
    shuttingDown,
    state: snapshot.state,
    children: snapshot.children,
    givenUp,
    notPolling,
    taskQueueUnreachable,
    lastFailure: snapshot.lastFailure,
    retryAfterMs: snapshot.retryAfterMs,
    pendingRequests: snapshot.pendingRequests,
  };
}

/** The failure code of a worker that runs but does not poll (src/children/poller-watch.ts). */
export const NOT_POLLING = 'WORKER_NOT_POLLING';

/** The code of the last failure of the supervised child `id` (`worker:<name>`), if it has one. */
export function workerFailureCode(supervisor: Supervisor, id: string): string | undefined {
  const context = runtimeOf(supervisor).child(id)?.getSnapshot().context as
    | { lastFailure?: FailureInfo }
    | undefined;
  return context?.lastFailure?.code;
}

export type HealthCheck = 'live' | 'ready';

/**
 * A request handler for a probe: status 200 when the check passes, 503 when it fails, and the
 * `HealthReport` as JSON either way. It has node:http's `(req, res)` signature, so it mounts as it is in a
 * node:http server and in express (`app.get('/readyz', handler)`); in fastify, pass the raw objects
 * (`fastify.get('/readyz', (req, reply) => { handler(req.raw, reply.raw) })`).
 */
export function createHealthHandler(
  supervisor: Supervisor,
  check: HealthCheck,
  options: HealthOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  if (check !== 'live' && check !== 'ready') {
    throw new TypeError(
      `createHealthHandler: expected check 'live' or 'ready', received ${JSON.stringify(check)}`,
    );
  }
  return (_req, res) => {
    const report = healthOf(supervisor, options);
    const body = JSON.stringify(report);
    res.writeHead(report[check] ? 200 : 503, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };
}
