/**
 * `registerOpenTelemetryMetrics` (temporal-supervisor/opentelemetry) against the real OpenTelemetry SDK
 * (`@opentelemetry/sdk-metrics`, InMemoryMetricExporter): on one supervisor (fake Temporal, manual clock) driven
 * through an outage, probes, rejections and a worker giving up, every series it exports equals the prom-client
 * series of `registerMetrics` on the same supervisor, the names translated as the OpenTelemetry Prometheus
 * exporter translates them. And: no secret in any exported value, bad options named, `dispose()` honoured, and no
 * value import of @opentelemetry/api in the module.
 */
import { readFileSync } from 'node:fs';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionFailureError, createSupervisor, registerMetrics } from '../../src/index.js';
import { registerOpenTelemetryMetrics } from '../../src/opentelemetry.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import {
  FakeConnector,
  failures,
  flush,
  onFakes,
  startConnected,
  stopOnFakes,
} from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

const API_KEY = 'otel-secret-api-key-5521';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// The worker of the story is driven on the manual clock: its package must be loaded before it is created.
beforeAll(() => loadWorkerPackage());
function otel() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  cleanups.push(() => provider.shutdown());
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    return exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((scope) => scope.metrics));
  };
  return { meter: provider.getMeter('test'), collect };
}

function setup() {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    ...onFakes(connector, clock),
    backoff: { initialDelay: 100, maxDelay: 100, jitter: 0 },
    apiKey: API_KEY,
    workers: { w: { taskQueue: 'q', activities: {}, restart: { maxRestarts: 1, delay: 10 } } },
    creators: { orders: {} },
  });
  const worker = runtimeOf(supervisor).workers.get('w');
  if (worker) worker.create = () => Promise.reject(new Error(`refused: ${API_KEY}`));
  cleanups.push(() => stopOnFakes(supervisor, connector, clock));
  return { clock, connector, supervisor };
}

/** The prom-client name the OpenTelemetry Prometheus exporter gives an instrument. */
function promName(metric: MetricData): string {
  const base = metric.descriptor.name.replaceAll('.', '_');
  const unit = metric.descriptor.unit === 's' ? '_seconds' : '';
  const total = metric.dataPointType === DataPointType.SUM ? '_total' : '';
  return `${base}${unit}${total}`;
}

const key = (labels: object) => JSON.stringify(Object.entries(labels).sort());

/** Every series as `name{labels}` → value; histograms as their count and sum. */
function otelSeries(metrics: MetricData[]): Map<string, number> {
  const series = new Map<string, number>();
  for (const metric of metrics) {
    const name = promName(metric);
    for (const point of metric.dataPoints) {
      const value = point.value as number | { count: number; sum?: number };
      if (typeof value === 'number') series.set(`${name}${key(point.attributes)}`, value);
      else {
        series.set(`${name}_count${key(point.attributes)}`, value.count);
        series.set(`${name}_sum${key(point.attributes)}`, value.sum ?? 0);
      }
    }
  }
  return series;
}

async function promSeries(registry: Registry): Promise<Map<string, number>> {
  const series = new Map<string, number>();
  for (const metric of await registry.getMetricsAsJSON()) {
    for (const value of metric.values) {
      const name = (value as { metricName?: string }).metricName ?? metric.name;
      if (name.endsWith('_bucket')) continue;
      series.set(`${name}${key(value.labels)}`, value.value);
    }
  }
  return series;
}

describe('registerOpenTelemetryMetrics', () => {
  it('exports the same series as registerMetrics through an outage, and no secret', async () => {
    const { clock, connector, supervisor } = setup();
    const { meter, collect } = otel();
    const registry = new Registry();
    const prom = registerMetrics(supervisor, { registry });
    const metrics = registerOpenTelemetryMetrics(supervisor, { meter });
    cleanups.push(async () => {
      prom.dispose();
      metrics.dispose();
    });

    /** Moves the clock, then lets the runtime react. */
    const tick = async (ms: number) => {
      clock.advance(ms);
      await flush();
    };
    supervisor.start();
    await tick(0);
    connector.fail(failures.unavailable); // → backoff
    await tick(0);
    await expect(supervisor.withClient(async () => 1, { failFast: true })).rejects.toMatchObject({
      reason: 'fail_fast',
    });
    await tick(100); // → connecting
    const connection = connector.succeed(); // → connected; the worker fails to start
    await tick(0);
    await tick(10); // it fails again: given up
    await tick(2_000);
    connection.pendingProbe?.resolve({ latencyMs: 12 });
    await tick(0);
    await tick(2_000);
    connection.pendingProbe?.reject(new ConnectionFailureError(failures.unavailable)); // → degraded
    await tick(0);
    await tick(1_234);

    const exported = await collect();
    const fromOtel = otelSeries(exported);
    const fromProm = await promSeries(registry);
    expect([...fromOtel.keys()].sort()).toEqual([...fromProm.keys()].sort());
    for (const [series, value] of fromProm) expect(fromOtel.get(series), series).toBeCloseTo(value, 9);
    // The story left its marks (a comparison of two empty sets would prove nothing).
    expect(fromOtel.get(`temporal_supervisor_connection_attempts_total${key({ result: 'failure' })}`)).toBe(
      1,
    );
    expect(fromOtel.get(`temporal_supervisor_worker_state${key({ worker: 'w', state: 'givenUp' })}`)).toBe(1);
    expect(fromOtel.get(`temporal_supervisor_state${key({ state: 'degraded' })}`)).toBe(1);
    expect(
      fromOtel.get(`temporal_supervisor_health_check_duration_seconds_count${key({ result: 'success' })}`),
    ).toBe(1);
    expect(
      fromOtel.get(
        `temporal_supervisor_requests_rejected_total${key({ reason: 'fail_fast', source: 'client' })}`,
      ),
    ).toBe(1);
    expect(metrics.names).toHaveLength(21); // 9 supervisor gauges, 5 outbox gauges (docs/operations.md), 6 counters, 1 histogram
    expect(JSON.stringify(exported)).not.toContain(API_KEY);
    const histogram = exported.find((m) => m.descriptor.name === 'temporal_supervisor.health_check_duration');
    expect(histogram?.dataPoints[0]?.value).toMatchObject({
      buckets: { boundaries: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    });
  });

  it('honours prefix and healthCheckBuckets; dispose() stops observing and counting', async () => {
    const { connector, supervisor } = setup();
    const { meter, collect } = otel();
    const metrics = registerOpenTelemetryMetrics(supervisor, {
      meter,
      prefix: 'orders.temporal',
      healthCheckBuckets: [0.01, 1],
    });
    expect(metrics.names).toContain('orders.temporal.state');
    await startConnected(supervisor, connector);
    let exported = await collect();
    const transitions = () =>
      exported.find((m) => m.descriptor.name === 'orders.temporal.transitions')?.dataPoints.length ?? 0;
    expect(exported.some((m) => m.descriptor.name === 'orders.temporal.state')).toBe(true);
    const before = transitions();
    expect(before).toBeGreaterThan(0);

    metrics.dispose();
    metrics.dispose();
    connector.connections.at(-1)?.emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    expect(supervisor.state).toBe('backoff');
    exported = await collect();
    // The callback is gone: the state gauge is not read again (the SDK repeats its last cumulative points).
    const backoff = exported
      .find((m) => m.descriptor.name === 'orders.temporal.state')
      ?.dataPoints.find((point) => point.attributes.state === 'backoff');
    expect(backoff?.value ?? 0).toBe(0);
    expect(transitions()).toBe(before);
  });

  it.each([
    [
      { meter: undefined },
      'meter',
      /expected `meter` to be an OpenTelemetry Meter \(missing createObservableGauge/,
    ],
    [{ meter: { createCounter() {} } }, 'meter', /missing createObservableGauge, createHistogram/],
    [{ meter: 'meter' }, 'meter', /OpenTelemetry Meter/],
    [{ prefix: '9x' }, 'prefix', /`prefix`.*received "9x"/],
    [{ healthCheckBuckets: [1, 0.5] }, 'healthCheckBuckets', /increasing positive numbers/],
    [{ nope: 1 }, 'nope', /unknown option `nope`/],
  ])('rejects %j naming %s', (options, field, message) => {
    const { supervisor } = setup();
    const { meter } = otel();
    const given = { meter, ...options } as never;
    expect(() => registerOpenTelemetryMetrics(supervisor, given)).toThrow(message);
    try {
      registerOpenTelemetryMetrics(supervisor, given);
    } catch (error) {
      expect(error).toMatchObject({ name: 'SupervisorOptionsError', field });
    }
  });

  it('imports only types of @opentelemetry/api: nothing of it is loaded by the module', () => {
    const source = readFileSync(new URL('../../src/opentelemetry.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/^import (type )?[^;]*from '(@opentelemetry\/[^']+)'/gm)];
    expect(imports.length).toBeGreaterThan(0);
    for (const [statement, typeOnly] of imports) expect(typeOnly, statement).toBe('type ');
    const index = readFileSync(new URL('../../src/index.ts', import.meta.url), 'utf8');
    expect(index).not.toMatch(/opentelemetry/);
  });
});
