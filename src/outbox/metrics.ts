import { Gauge, type Metric, Registry } from 'prom-client';
import { isSupervisorMetric } from '../metrics.js';
import { OUTBOX_GAUGES } from '../observability/instruments.js';
import type { Outbox, OutboxSnapshot } from './outbox.js';

export interface OutboxMetricsOptions {
  /** Where the metrics are registered (the supervisor's, to expose both together). @default a new `Registry` */
  registry?: Registry;
  /** Prefix of every metric name. @default 'temporal_supervisor_' */
  prefix?: string;
}

/** The registered metrics; `dispose()` unregisters them. */
export interface RegisteredOutboxMetrics {
  readonly registry: Registry;
  readonly names: readonly string[];
  dispose(): void;
}

/**
 * Exposes an outbox as Prometheus gauges (prom-client), labelled by the outbox's name, its depth read from
 * the store at each scrape: `outbox_intents{status}` (pending, started, failed), the age of the oldest
 * pending intent, the dispatcher's state, and this process's dispatch outcomes
 * (`outbox_dispatch_outcomes{outcome}`: started, failed, retried, deferred; `failed` by reason in
 * `outbox_dead_letters{reason}`). A store that cannot be read leaves the store's gauges at their last values.
 * The gauges are those of `OUTBOX_GAUGES` (src/observability/instruments.ts), which `registerMetrics(supervisor)`
 * also reports for every outbox attached to the supervisor (depth as last read): with both on one registry,
 * this skips the gauges the supervisor's metrics already expose.
 *
 * @example registerOutboxMetrics(outbox) // its own registry; registerMetrics(supervisor) already has them
 */
export function registerOutboxMetrics(
  outbox: Outbox,
  options: OutboxMetricsOptions = {},
): RegisteredOutboxMetrics {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'temporal_supervisor_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new TypeError(
      `Expected \`prefix\` to be a Prometheus metric name prefix, got ${JSON.stringify(prefix)}.`,
    );
  }
  const metrics: Metric[] = [];
  const registers = [registry];
  // One read of the store per scrape, shared by the gauges that need it (the registry collects them at once).
  let reading: Promise<OutboxSnapshot> | undefined;
  const viewNow = () => {
    reading ??= outbox
      .metrics()
      .then(
        (m): OutboxSnapshot => m,
        () => outbox.snapshot(),
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  for (const definition of OUTBOX_GAUGES) {
    const name = `${prefix}${definition.name}${definition.seconds ? '_seconds' : ''}`;
    const existing = registry.getSingleMetric(name);
    if (existing && isSupervisorMetric(existing)) continue;
    if (existing) {
      for (const m of metrics) registry.removeSingleMetric((m as unknown as { name: string }).name);
      throw new TypeError(`A metric named ${name} is already registered: pass another registry or prefix.`);
    }
    const metric: Gauge = new Gauge({
      name,
      help: definition.help,
      labelNames: ['outbox', ...definition.labels],
      registers,
      async collect() {
        const view = await viewNow();
        definition.read(view, (value, labels) => metric.set({ outbox: outbox.name, ...labels }, value));
      },
    });
    metrics.push(metric);
  }
  return {
    registry,
    names: metrics.map((m) => (m as unknown as { name: string }).name),
    dispose() {
      for (const m of metrics) registry.removeSingleMetric((m as unknown as { name: string }).name);
    },
  };
}
