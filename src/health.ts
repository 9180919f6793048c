import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionState } from '../machines/connection.types.js';
import type { FailureInfo } from '../machines/failure.js';
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
    lastFailure: snapshot.lastFailure,
    retryAfterMs: snapshot.retryAfterMs,
    pendingRequests: snapshot.pendingRequests,
  };
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
