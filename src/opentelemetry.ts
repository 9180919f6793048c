/**
 * `temporal-supervisor/opentelemetry`: the supervisor's metrics through an OpenTelemetry `Meter`, the same
 * instruments as `registerMetrics`' prom-client ones (src/observability/instruments.ts defines both).
 *
 * A subpath of its own, and only types from `@opentelemetry/api` (erased at compile time): the meter is the
 * caller's, so neither this module nor the main entry loads `@opentelemetry/api`, and a service that does not
 * use OpenTelemetry needs none of it, not even its types.
 */
import type { Attributes, Counter, Histogram, Meter, Observable } from '@opentelemetry/api';
import { SupervisorOptionsError } from './errors.js';
import * as instruments from './observability/instruments.js';
import type { Disposable } from './runtime/transition-hub.js';
import type { Supervisor } from './supervisor/supervisor.js';

export interface OpenTelemetryMetricsOptions {
  /** Where the instruments are created: `metrics.getMeter('my-service')`, or a `MeterProvider`'s. */
  meter: Meter;
  /** Namespace of every instrument name (`<prefix>.state`, …). @default 'temporal_supervisor' */
  prefix?: string;
  /**
   * Bucket boundaries of the health-check duration histogram, in seconds (the histogram's `advice`; a View
   * of the MeterProvider overrides it). @default [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
   */
  healthCheckBuckets?: readonly number[];
}

/** The created instruments; `dispose()` stops observing and counting (OpenTelemetry cannot delete them). */
export interface OpenTelemetryMetrics extends Disposable {
  /** The instrument names created, prefix included. */
  readonly names: readonly string[];
}

const PREFIX = /^[A-Za-z][A-Za-z0-9_.-]{0,200}$/;

/**
 * Exposes a supervisor's state through an OpenTelemetry meter: the gauges (`<prefix>.state`,
 * `<prefix>.time_in_state` in `s`, …) as observable gauges read from the snapshot at each collection, the
 * counters (`<prefix>.transitions`, `<prefix>.connection_attempts`, …) counting from the call on, and
 * `<prefix>.health_check_duration` (`s`) as a histogram. Attributes are those of the prom-client labels. Through
 * the OpenTelemetry Prometheus exporter the names come out as `registerMetrics`' ones
 * (`temporal_supervisor_time_in_state_seconds`, `temporal_supervisor_transitions_total`).
 *
 * @throws {SupervisorOptionsError} on a missing or bad `meter`, `prefix` or `healthCheckBuckets`, naming it.
 * @example
 * import { metrics } from '@opentelemetry/api';
 * import { registerOpenTelemetryMetrics } from 'temporal-supervisor/opentelemetry';
 * registerOpenTelemetryMetrics(supervisor, { meter: metrics.getMeter('orders') });
 */
export function registerOpenTelemetryMetrics(
  supervisor: Supervisor,
  options: OpenTelemetryMetricsOptions,
): OpenTelemetryMetrics {
  const { meter, prefix, buckets } = resolve(options);
  const target = instruments.instrumented(supervisor);
  const names: string[] = [];
  const named = (name: string) => {
    const full = `${prefix}.${name}`;
    names.push(full);
    return full;
  };

  const gauges = instruments.GAUGES.map((gauge) => ({
    gauge,
    instrument: meter.createObservableGauge(named(gauge.name), {
      description: gauge.help,
      ...(gauge.seconds ? { unit: 's' } : {}),
    }),
  }));
  const observables: Observable[] = gauges.map(({ instrument }) => instrument);
  const observeAll = (result: {
    observe(observable: Observable, value: number, attributes?: Attributes): void;
  }) => {
    for (const { gauge, instrument } of gauges) {
      gauge.read(target, (value, labels) => result.observe(instrument, value, labels));
    }
  };
  meter.addBatchObservableCallback(observeAll, observables);

  const counters = Object.fromEntries(
    Object.entries(instruments.COUNTERS).map(([key, { name, help }]) => [
      key,
      meter.createCounter(named(name), { description: help }),
    ]),
  ) as Record<instruments.CounterName, Counter>;
  const healthChecks: Histogram = meter.createHistogram(named(instruments.HEALTH_CHECK_DURATION.name), {
    description: instruments.HEALTH_CHECK_DURATION.help,
    unit: 's',
    advice: { explicitBucketBoundaries: [...buckets] },
  });
  const subscriptions = instruments.count(target, {
    add: (counter, labels, value = 1) => counters[counter].add(value, labels),
    healthCheck: (seconds, labels) => healthChecks.record(seconds, labels),
  });

  let disposed = false;
  return {
    names,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const subscription of subscriptions) subscription.dispose();
      meter.removeBatchObservableCallback(observeAll, observables);
    },
  };
}

const METER_METHODS = [
  'createObservableGauge',
  'createCounter',
  'createHistogram',
  'addBatchObservableCallback',
  'removeBatchObservableCallback',
] as const;

function resolve(options: OpenTelemetryMetricsOptions): {
  meter: Meter;
  prefix: string;
  buckets: readonly number[];
} {
  const fail = (field: string, message: string): never => {
    throw new SupervisorOptionsError(field, `registerOpenTelemetryMetrics: ${message}`);
  };
  if (typeof options !== 'object' || options === null) {
    fail('options', "expected options as an object, e.g. { meter: metrics.getMeter('my-service') }.");
  }
  for (const key of Object.keys(options)) {
    if (!['meter', 'prefix', 'healthCheckBuckets'].includes(key)) {
      fail(key, `unknown option \`${key}\`. Known options: meter, prefix, healthCheckBuckets.`);
    }
  }
  const { meter, prefix = 'temporal_supervisor', healthCheckBuckets = instruments.DEFAULT_BUCKETS } = options;
  const missing = METER_METHODS.filter(
    (method) => typeof (meter as unknown as Record<string, unknown> | undefined)?.[method] !== 'function',
  );
  if (typeof meter !== 'object' || meter === null || missing.length > 0) {
    fail(
      'meter',
      `expected \`meter\` to be an OpenTelemetry Meter (missing ${missing.join(', ')}). Pass \`meter: metrics.getMeter('my-service')\` from @opentelemetry/api (1.7 or later), or a MeterProvider's getMeter().`,
    );
  }
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    fail(
      'prefix',
      `expected \`prefix\` to be an instrument name start (a letter, then letters, digits, _ . -), received ${JSON.stringify(prefix)}. Pass e.g. \`prefix: 'orders.temporal'\`.`,
    );
  }
  const buckets = healthCheckBuckets;
  if (!instruments.areBuckets(buckets)) {
    fail(
      'healthCheckBuckets',
      `expected \`healthCheckBuckets\` to be increasing positive numbers of seconds, received ${JSON.stringify(healthCheckBuckets)}. Pass e.g. \`healthCheckBuckets: [0.01, 0.1, 1]\`.`,
    );
  }
  return { meter, prefix, buckets };
}
