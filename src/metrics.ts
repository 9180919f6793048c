import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import { CONNECTION_STATES } from '../machines/connection.types.js';
import { creatorMachine } from '../machines/creator.machine.js';
import { workerMachine } from '../machines/worker.machine.js';
import { healthOf } from './health.js';
import type { Disposable } from './runtime/transition-hub.js';
import { runtimeOf } from './supervisor/internals.js';
import type { Supervisor } from './supervisor/supervisor.js';

export interface MetricsOptions {
  /** Where the metrics are registered. @default a new `Registry` (not prom-client's global one) */
  registry?: Registry;
  /** Prefix of every metric name. @default 'temporal_supervisor_' */
  prefix?: string;
  /**
   * Upper bounds of the health-check duration histogram, in seconds.
   * @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
   */
  healthCheckBuckets?: readonly number[];
}

/** The registered metrics: `registry.metrics()` is the exposition text; `dispose()` unregisters them. */
export interface SupervisorMetrics extends Disposable {
  readonly registry: Registry;
  /** The names registered, prefix included. */
  readonly names: readonly string[];
}

const DEFAULT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Every state of a worker and of a creator: the machines' top-level states (each is also its tag). */
const WORKER_STATES = Object.keys(workerMachine.root.states);
const CREATOR_STATES = Object.keys(creatorMachine.root.states);

/**
 * Exposes a supervisor's state as Prometheus metrics (prom-client), by Prometheus conventions: units in
 * the names, `_total` counters, and low-cardinality labels only (states, reasons, failure codes, and the
 * configured worker and creator names). Gauges are read from `snapshot()` at each scrape, so they are right
 * whenever this is called; counters count from the call on.
 *
 * A function rather than a supervisor option: the supervisor stays free of any metrics library, the
 * registry (yours, or a new one) and its lifetime stay with the caller, and one process can expose several
 * supervisors, each in its own registry or under its own prefix.
 *
 * @throws {TypeError} on a bad `registry`, `prefix` or `healthCheckBuckets`, or when a metric of the same
 * name is already in the registry (another supervisor's: pass another registry or prefix).
 * @example
 * const metrics = registerMetrics(supervisor);
 * app.get('/metrics', async (_req, res) => {
 *   res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
 * });
 */
export function registerMetrics(supervisor: Supervisor, options: MetricsOptions = {}): SupervisorMetrics {
  const { registry, prefix, buckets } = resolveMetricsOptions(options);
  const runtime = runtimeOf(supervisor);
  const clock = runtime.clock;
  const workers = [...runtime.workers.keys()];
  const creators = [...runtime.creators.keys()];
  const metrics: Metric[] = [];
  const name = (suffix: string) => {
    const full = `${prefix}${suffix}`;
    if (registry.getSingleMetric(full)) {
      for (const metric of metrics) registry.removeSingleMetric((metric as unknown as { name: string }).name);
      throw new TypeError(
        `registerMetrics: the registry already has a metric named ${full} (another supervisor's, or an earlier registerMetrics() not disposed). Pass another \`registry\`, or another \`prefix\`, or dispose the earlier registration.`,
      );
    }
    return full;
  };
  const add = <M extends Metric>(metric: M): M => {
    metrics.push(metric);
    return metric;
  };
  const registers = [registry];
  const gauge = <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    collect: (this: Gauge<L>) => void,
  ) => add(new Gauge<L>({ name: name(suffix), help, labelNames, registers, collect }));
  const counter = <L extends string>(suffix: string, help: string, labelNames: readonly L[]) =>
    add(new Counter<L>({ name: name(suffix), help, labelNames, registers }));
  /** 1 for each child's current state, 0 for its other states. */
  const childStates = (kind: 'worker' | 'creator', names: readonly string[], states: readonly string[]) =>
    function (this: Gauge<string>) {
      const { children } = supervisor.snapshot();
      for (const child of names) {
        const current = children[`${kind}:${child}`] ?? 'stopped';
        for (const state of states) this.set({ [kind]: child, state }, state === current ? 1 : 0);
      }
    };

  gauge('state', 'Connection state: 1 for the current state, 0 for the others.', ['state'], function () {
    const current = supervisor.state;
    for (const state of CONNECTION_STATES) this.set({ state }, state === current ? 1 : 0);
  });
  gauge('time_in_state_seconds', 'Time since the connection entered its current state.', [], function () {
    this.set(Math.max(0, clock.now() - supervisor.snapshot().since) / 1000);
  });
  gauge(
    'connection_attempt',
    'Number of the current (or last) connection attempt since the connection was last stable.',
    [],
    function () {
      this.set(supervisor.snapshot().attempt);
    },
  );
  gauge(
    'ready',
    'Readiness (1: requests can be served now, connected or degraded), as the readiness endpoint.',
    [],
    function () {
      this.set(healthOf(supervisor).ready ? 1 : 0);
    },
  );
  gauge(
    'live',
    'Liveness (0 only when a supervised child has given up beyond its restart intensity).',
    [],
    function () {
      this.set(healthOf(supervisor).live ? 1 : 0);
    },
  );
  gauge(
    'pending_requests',
    'Requests (withClient, getClient, creators) waiting for a serving connection.',
    [],
    function () {
      this.set(supervisor.snapshot().pendingRequests);
    },
  );
  gauge(
    'creator_pending_requests',
    'Requests of a creator accepted and not yet settled (waiting or in flight), against its maxPending.',
    ['creator'],
    function () {
      for (const creator of creators) this.set({ creator }, supervisor.creator(creator).pending);
    },
  );
  gauge(
    'worker_state',
    'State of each supervised worker: 1 for its current state, 0 for the others.',
    ['worker', 'state'],
    childStates('worker', workers, WORKER_STATES),
  );
  gauge(
    'creator_state',
    'State of each workflow creator: 1 for its current state, 0 for the others.',
    ['creator', 'state'],
    childStates('creator', creators, CREATOR_STATES),
  );

  const transitions = counter(
    'transitions_total',
    'State changes of the connection (coarse states) and of each worker and creator.',
    ['actor', 'from', 'to'],
  );
  const attempts = counter(
    'connection_attempts_total',
    'Connection attempts that ended, by result: success, failure, or abandoned (stop).',
    ['result'],
  );
  const failures = counter(
    'connection_failures_total',
    'Entries into backoff (a failed attempt or a lost connection), by failure kind and code.',
    ['kind', 'code'],
  );
  const healthChecks = add(
    new Histogram({
      name: name('health_check_duration_seconds'),
      help: 'Duration of each health check of the connection, by result (success or failure).',
      labelNames: ['result'],
      buckets: [...buckets],
      registers,
    }),
  );
  const rejected = counter(
    'requests_rejected_total',
    'Requests rejected with TemporalUnavailableError, by reason, and by source (client: withClient or getClient; creator:<name>: a creator request).',
    ['reason', 'source'],
  );
  const restarts = counter(
    'worker_restarts_total',
    'Restarts of each worker after a failure (entries into restarting).',
    ['worker'],
  );
  for (const result of ['success', 'failure', 'abandoned']) attempts.inc({ result }, 0);
  for (const worker of workers) restarts.inc({ worker }, 0);
  for (const result of ['success', 'failure']) healthChecks.zero({ result });

  const subscriptions: Disposable[] = [
    supervisor.onTransition(({ actor, from, to }) => {
      if (from === to || from === 'none') return;
      transitions.inc({ actor, from, to });
      if (actor === 'connection') {
        if (from === 'connecting') {
          const result =
            to === 'connected' || to === 'degraded' ? 'success' : to === 'backoff' ? 'failure' : 'abandoned';
          attempts.inc({ result });
        }
        if (to === 'backoff') {
          const failure = supervisor.snapshot().lastFailure;
          // Codes are upper-case names (gRPC statuses, ours); anything else from a custom connector is OTHER.
          const code = failure && /^[A-Z][A-Z0-9_]{0,63}$/.test(failure.code) ? failure.code : 'OTHER';
          failures.inc({ kind: failure?.kind === 'permanent' ? 'permanent' : 'transient', code });
        }
      } else if (to === 'restarting' && actor.startsWith('worker:')) {
        restarts.inc({ worker: actor.slice('worker:'.length) });
      }
    }),
    supervisor.observe({
      probe: ({ ok, seconds }) => healthChecks.observe({ result: ok ? 'success' : 'failure' }, seconds),
      rejected: (reason, source) => rejected.inc({ reason, source }),
    }),
  ];

  let disposed = false;
  return {
    registry,
    names: metrics.map((metric) => (metric as unknown as { name: string }).name),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const subscription of subscriptions) subscription.dispose();
      for (const metric of metrics) registry.removeSingleMetric((metric as unknown as { name: string }).name);
    },
  };
}

function resolveMetricsOptions(options: MetricsOptions): {
  registry: Registry;
  prefix: string;
  buckets: readonly number[];
} {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(
      `registerMetrics: expected options as an object, received ${String(options)}. Pass e.g. registerMetrics(supervisor, { prefix: 'temporal_supervisor_' }).`,
    );
  }
  for (const key of Object.keys(options)) {
    if (!['registry', 'prefix', 'healthCheckBuckets'].includes(key)) {
      throw new TypeError(
        `registerMetrics: unknown option \`${key}\`. Known options: registry, prefix, healthCheckBuckets.`,
      );
    }
  }
  const { registry = new Registry(), prefix = 'temporal_supervisor_', healthCheckBuckets } = options;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof (registry as Registry).registerMetric !== 'function' ||
    typeof (registry as Registry).getSingleMetric !== 'function'
  ) {
    throw new TypeError(
      'registerMetrics: expected `registry` to be a prom-client Registry. Pass `new Registry()` from prom-client (the one this package depends on), or leave it out for a new one.',
    );
  }
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_PREFIX.test(prefix))) {
    throw new TypeError(
      `registerMetrics: expected \`prefix\` to be a valid start of a Prometheus metric name (letters, digits, _ and :, not starting with a digit), received ${JSON.stringify(prefix)}. Pass e.g. \`prefix: 'orders_temporal_'\`.`,
    );
  }
  const buckets = healthCheckBuckets ?? DEFAULT_BUCKETS;
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some((b, i) => typeof b !== 'number' || !(b > 0) || (i > 0 && b <= (buckets[i - 1] as number)))
  ) {
    throw new TypeError(
      `registerMetrics: expected \`healthCheckBuckets\` to be increasing positive numbers of seconds, received ${JSON.stringify(healthCheckBuckets)}. Pass e.g. \`healthCheckBuckets: [0.01, 0.1, 1]\`.`,
    );
  }
  return { registry, prefix, buckets };
}
