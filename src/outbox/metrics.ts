import { Gauge, type Metric, Registry } from 'prom-client';
import type { Outbox } from './outbox.js';
import type { OutboxDepth } from './types.js';

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
 * Exposes an outbox as Prometheus gauges (prom-client), labelled by the outbox's name and read at each
 * scrape: the depth (`outbox_intents{status}`: pending, started, failed, from the store), the age of the
 * oldest pending intent, the dispatcher's state, and this process's dispatch outcomes
 * (`outbox_dispatch_outcomes{outcome}`: started, failed, retried, deferred; `failed` by reason in
 * `outbox_dead_letters{reason}`). A store that cannot be read leaves the store's gauges at their last values.
 *
 * @example registerOutboxMetrics(outbox, { registry: registerMetrics(supervisor).registry })
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
  const gauge = (
    suffix: string,
    help: string,
    labelNames: string[],
    collect: (g: Gauge) => Promise<void> | void,
  ) => {
    const name = `${prefix}${suffix}`;
    if (registry.getSingleMetric(name)) {
      throw new TypeError(`A metric named ${name} is already registered: pass another registry or prefix.`);
    }
    const metric: Gauge = new Gauge({
      name,
      help,
      labelNames: ['outbox', ...labelNames],
      registers,
      async collect() {
        await collect(metric);
      },
    });
    metrics.push(metric);
  };
  const labels = { outbox: outbox.name };
  // One read of the store per scrape, shared by the gauges that need it (the registry collects them at once).
  let reading: Promise<OutboxDepth | undefined> | undefined;
  const depthNow = () => {
    reading ??= outbox
      .metrics()
      .then(
        (m) => m.depth,
        () => outbox.snapshot().depth,
      )
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  gauge(
    'outbox_intents',
    'Intents in the outbox store, by status (pending is the depth).',
    ['status'],
    async (g) => {
      const depth = await depthNow();
      if (!depth) return;
      for (const status of ['pending', 'started', 'failed'] as const)
        g.set({ ...labels, status }, depth[status]);
    },
  );
  gauge(
    'outbox_oldest_pending_age_seconds',
    'Age of the oldest pending intent (0 when none).',
    [],
    async (g) => {
      const depth = await depthNow();
      if (depth) g.set(labels, depth.oldestPendingAgeMs / 1000);
    },
  );
  gauge(
    'outbox_dispatcher_state',
    '1 for the state the dispatcher is in, 0 for the others.',
    ['state'],
    (g) => {
      const current = outbox.state;
      for (const state of ['paused', 'draining', 'idle', 'backoff', 'stopping', 'stopped']) {
        g.set({ ...labels, state }, state === current ? 1 : 0);
      }
    },
  );
  gauge(
    'outbox_dispatch_outcomes',
    'Dispatch outcomes of this process since it started.',
    ['outcome'],
    (g) => {
      const o = outbox.snapshot().outcomes;
      for (const outcome of ['started', 'failed', 'retried', 'deferred'] as const)
        g.set({ ...labels, outcome }, o[outcome]);
    },
  );
  gauge('outbox_dead_letters', 'Intents this process parked as failed, by reason.', ['reason'], (g) => {
    for (const [reason, n] of Object.entries(outbox.snapshot().outcomes.failedByReason))
      g.set({ ...labels, reason }, n ?? 0);
  });
  return {
    registry,
    names: metrics.map((m) => (m as unknown as { name: string }).name),
    dispose() {
      for (const m of metrics) registry.removeSingleMetric((m as unknown as { name: string }).name);
    },
  };
}
