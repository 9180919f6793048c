import { Counter, Gauge, Histogram, type Metric, Registry } from 'prom-client';
import {
  areBuckets,
  COUNTERS,
  type CounterName,
  count,
  DEFAULT_BUCKETS,
  GAUGES,
  HEALTH_CHECK_DURATION,
  instrumented,
} from './observability/instruments.js';
import type { Disposable } from './runtime/transition-hub.js';
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

const METRIC_PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

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
/** The metrics `registerMetrics` made (so that `registerOutboxMetrics` can tell them from others). */
const supervisorMetrics = new WeakSet<object>();

/** @internal Whether `metric` was made by `registerMetrics`. */
export function isSupervisorMetric(metric: object): boolean {
  return supervisorMetrics.has(metric);
}

export function registerMetrics(supervisor: Supervisor, options: MetricsOptions = {}): SupervisorMetrics {
  const { registry, prefix, buckets } = resolveMetricsOptions(options);
  const target = instrumented(supervisor);
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
    supervisorMetrics.add(metric);
    return metric;
  };
  const registers = [registry];
  for (const gauge of GAUGES) {
    add(
      new Gauge<string>({
        name: name(`${gauge.name}${gauge.seconds ? '_seconds' : ''}`),
        help: gauge.help,
        labelNames: gauge.labels,
        registers,
        collect() {
          gauge.read(target, (value, labels) => (labels ? this.set(labels, value) : this.set(value)));
        },
      }),
    );
  }
  const counters = Object.fromEntries(
    Object.entries(COUNTERS).map(([key, { name: suffix, help, labels }]) => [
      key,
      add(new Counter<string>({ name: name(`${suffix}_total`), help, labelNames: labels, registers })),
    ]),
  ) as Record<CounterName, Counter<string>>;
  const healthChecks = add(
    new Histogram<string>({
      name: name(`${HEALTH_CHECK_DURATION.name}_seconds`),
      help: HEALTH_CHECK_DURATION.help,
      labelNames: HEALTH_CHECK_DURATION.labels,
      buckets: [...buckets],
      registers,
    }),
  );
  for (const result of ['success', 'failure']) healthChecks.zero({ result });
  const subscriptions = count(target, {
    add: (counter, labels, value = 1) => counters[counter].inc(labels, value),
    healthCheck: (seconds, labels) => healthChecks.observe(labels, seconds),
  });

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
  if (!areBuckets(buckets)) {
    throw new TypeError(
      `registerMetrics: expected \`healthCheckBuckets\` to be increasing positive numbers of seconds, received ${JSON.stringify(healthCheckBuckets)}. Pass e.g. \`healthCheckBuckets: [0.01, 0.1, 1]\`.`,
    );
  }
  return { registry, prefix, buckets };
}
