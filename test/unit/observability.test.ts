/**
 * Logs and metrics of every actor on the real runtime (fake Temporal, manual clock), through an outage, a
 * worker failing beyond its restart intensity, slow and failed probes and a permanent failure; with an API
 * key, a TLS client key and an `authorization` header configured, and failure messages that quote them (as
 * a custom connector or the SDK might). Every log line, the metrics text, the snapshot and the health JSON
 * are searched for each secret.
 */
import { Registry } from 'prom-client';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FailureInfo } from '../../machines/failure.js';
import {
  ConnectionFailureError,
  createSupervisor,
  healthOf,
  registerMetrics,
  type Supervisor,
  type SupervisorOptions,
} from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
import { loadWorkerPackage } from '../../src/temporal/worker-package.js';
import { FakeConnector, failures, flush } from '../support/fake-connector.js';
import { messageMetaLogger, pinoToMemory } from '../support/loggers.js';
import { ManualClock } from '../support/manual-clock.js';
import { parseSamples, sampleValue } from '../support/prometheus.js';
import {
  API_KEY,
  AUTHORIZATION,
  leakedSecrets,
  SECRET_STRINGS,
  TLS_CERT,
  TLS_KEY,
} from '../support/secrets.js';

// @temporalio/worker is loaded lazily, on the first worker; load it before the manual clock runs the tests.
beforeAll(() => loadWorkerPackage());

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const KEY_LINE = SECRET_STRINGS[2] as string;

/** Failures whose messages quote the secrets, as an unredacted source would. */
const leaky = {
  refused: { ...failures.unavailable, message: `connect ECONNREFUSED; sent authorization ${AUTHORIZATION}` },
  probe: { ...failures.unavailable, message: `probe failed; tls key line ${KEY_LINE}` },
  lost: { ...failures.unavailable, code: 'UNAVAILABLE', message: `GOAWAY for api key ${API_KEY}` },
  denied: { ...failures.unauthenticated, message: `bad key ${API_KEY} (${AUTHORIZATION})` },
} satisfies Record<string, FailureInfo>;

function setup(logger: SupervisorOptions['logger']) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
    backoff: { initialDelay: 100, maxDelay: 100, jitter: 0 },
    apiKey: API_KEY,
    tls: { clientCertPair: { crt: TLS_CERT, key: TLS_KEY } },
    metadata: { 'x-authorization': AUTHORIZATION },
    logger,
    workers: { w: { taskQueue: 'q', activities: {}, restart: { maxRestarts: 1, delay: 10 } } },
    creators: { orders: {} },
  });
  // The worker's SDK side fails with a message that quotes the API key.
  const worker = runtimeOf(supervisor).workers.get('w');
  if (!worker) throw new Error('no worker');
  worker.create = () => Promise.reject(new Error(`Worker.create refused: apiKey ${API_KEY} rejected`));
  const registry = new Registry();
  const metrics = registerMetrics(supervisor, { registry });
  cleanups.push(async () => {
    metrics.dispose();
    await stop(supervisor, clock, connector);
  });
  return { clock, connector, supervisor, registry, metrics };
}

async function stop(supervisor: Supervisor, clock: ManualClock, connector: FakeConnector) {
  for (const attempt of connector.attempts) attempt.reject(new Error('test over'));
  const stopping = supervisor.stop();
  await flush();
  clock.advance(60_000);
  await flush();
  await stopping;
}

/** Drives the whole story; returns what each step produced. */
async function outage(supervisor: Supervisor, clock: ManualClock, connector: FakeConnector) {
  supervisor.start();
  await flush();
  connector.fail(leaky.refused); // → backoff
  await flush();

  // Rejected at once (failFast), by a plain call and by a creator.
  await expect(supervisor.withClient(async () => 1, { failFast: true })).rejects.toMatchObject({
    reason: 'fail_fast',
  });
  await expect(
    supervisor.creator('orders').start('wf', { taskQueue: 'q', workflowId: 'a' }, { failFast: true }),
  ).rejects.toMatchObject({ reason: 'fail_fast' });
  // One that waits.
  const waiting = supervisor.withClient(async () => 'served', { timeout: 5_000 });
  await flush();
  const pendingWhileDown = supervisor.snapshot().pendingRequests;

  clock.advance(100); // → connecting
  await flush();
  const connection = connector.succeed(); // → connected; the worker fails to start → restarting
  await flush();
  await expect(waiting).resolves.toBe('served');
  clock.advance(10); // → starting → fails again → givenUp (maxRestarts 1)
  await flush();

  // Five good probes of 12 ms (healthCheck.interval 500 ms).
  for (let i = 0; i < 5; i++) {
    await clock.run(500);
    connection.pendingProbe?.resolve({ latencyMs: 12 });
    await flush();
  }
  // A failed probe → degraded.
  await clock.run(500);
  connection.pendingProbe?.reject(new ConnectionFailureError(leaky.probe));
  await flush();
  // The connection is lost → backoff; a request waits; the next attempt fails permanently.
  connection.emit({ type: 'lost', failure: leaky.lost });
  await flush();
  const doomed = supervisor.withClient(async () => 'never', { timeout: 10_000 });
  doomed.catch(() => {});
  clock.advance(100);
  await flush();
  connector.fail(leaky.denied);
  await flush();
  await expect(doomed).rejects.toMatchObject({ reason: 'permanent_failure' });
  return { pendingWhileDown };
}

describe('transition logs (pino)', () => {
  it('one line per coarse change of every actor, with the agreed fields and levels, and no secret', async () => {
    const { logger, lines, text } = pinoToMemory();
    const { clock, connector, supervisor, registry } = setup(logger);
    await outage(supervisor, clock, connector);
    const health = JSON.stringify(healthOf(supervisor));
    const snapshot = JSON.stringify(supervisor.snapshot());
    const metricsText = await registry.metrics();
    await stop(supervisor, clock, connector);

    const all = lines();
    const of = (msg: string, bindings: Record<string, unknown> = {}) =>
      all.filter((l) => l.msg === msg && Object.entries(bindings).every(([k, v]) => l[k] === v));

    // The worker: idle → starting → restarting (warn) → starting → givenUp (error) → stopped.
    const worker = of('Temporal worker state changed', { worker: 'w' });
    expect(worker.map((l) => `${l.from}→${l.to}@${l.level}`)).toEqual([
      'none→idle@20',
      'idle→starting@30',
      'starting→restarting@40',
      'restarting→starting@30',
      'starting→givenUp@50',
      'givenUp→stopped@30',
    ]);
    expect(worker[2]).toMatchObject({
      component: 'temporal-supervisor',
      event: 'xstate.error.actor.createWorker',
      restarts: 1,
      maxRestarts: 1,
      delayMs: 10,
      code: 'UNKNOWN',
      kind: 'transient',
      cause: 'Worker.create refused: apiKey [REDACTED] rejected',
    });
    expect(worker[4]).toMatchObject({ restarts: 2, maxRestarts: 1, code: 'UNKNOWN', kind: 'transient' });
    expect(worker[4]?.cause).toContain('[REDACTED]');

    // The creator follows the connection: waiting → ready → waiting → stopping → stopped.
    const creator = of('Workflow creator state changed', { creator: 'orders' });
    expect(creator.map((l) => `${l.from}→${l.to}@${l.level}`)).toEqual([
      'none→waiting@20',
      'waiting→ready@30',
      'ready→waiting@30',
      'waiting→stopping@30',
      'stopping→stopped@30',
    ]);
    expect(creator[1]).toMatchObject({ event: 'CONNECTION_UP', connectionId: 2 });

    // The connection: coarse states only; the permanent failure at error, causes redacted.
    const connection = of('Temporal connection state changed');
    expect(connection.map((l) => `${l.from}→${l.to}@${l.level}`)).toEqual([
      'disconnected→connecting@20',
      'connecting→backoff@40',
      'backoff→connecting@20',
      'connecting→connected@30',
      'connected→degraded@40',
      'degraded→backoff@40',
      'backoff→connecting@20',
      'connecting→backoff@50',
      'backoff→stopping@30',
      'stopping→disconnected@30',
    ]);
    expect(connection[1]).toMatchObject({ delayMs: 100, code: 'UNAVAILABLE', kind: 'transient' });
    expect(connection[1]?.cause).toBe('connect ECONNREFUSED; sent authorization [REDACTED]');
    expect(connection[7]).toMatchObject({ code: 'UNAUTHENTICATED', kind: 'permanent', delayMs: 30_000 });

    // Nothing secret anywhere.
    expect(leakedSecrets(text())).toEqual([]);
    expect(leakedSecrets(metricsText)).toEqual([]);
    expect(leakedSecrets(snapshot)).toEqual([]);
    expect(leakedSecrets(health)).toEqual([]);
    // …and that is the redactor's doing, not an absence of secrets to leak.
    expect(text()).toContain('[REDACTED]');
    expect(snapshot).toContain('[REDACTED]');
  });

  it('probing does not flood the logs: substate changes write no line', async () => {
    const { logger, lines } = pinoToMemory('trace');
    const { clock, connector, supervisor } = setup(logger);
    supervisor.start();
    await flush();
    const connection = connector.succeed();
    await flush();
    clock.advance(10);
    await flush();
    const before = lines().length;
    const seen: string[] = [];
    supervisor.onTransition((t) => seen.push(t.toPath));
    for (let i = 0; i < 20; i++) {
      await clock.run(500);
      connection.pendingProbe?.resolve({ latencyMs: 3 });
      await flush();
    }
    expect(seen.filter((p) => p === 'online.connected.probing')).toHaveLength(20);
    expect(lines().length).toBe(before);
  });
});

describe('transition logs (a `(message, meta)` logger)', () => {
  it('gets the same fixed messages, with the child bindings merged into meta', async () => {
    const { logger, calls } = messageMetaLogger(false);
    const { clock, connector, supervisor } = setup(logger);
    supervisor.start();
    await flush();
    connector.succeed();
    await flush();
    clock.advance(10);
    await flush();
    const worker = calls.filter(([, message]) => message === 'Temporal worker state changed');
    expect(worker.map(([level, , meta]) => `${level}:${meta?.from}→${meta?.to}`)).toEqual([
      'debug:none→idle',
      'info:idle→starting',
      'warn:starting→restarting',
      'info:restarting→starting',
      'error:starting→givenUp',
    ]);
    expect(worker[2]?.[2]).toMatchObject({
      component: 'temporal-supervisor',
      worker: 'w',
      restarts: 1,
      delayMs: 10,
      cause: 'Worker.create refused: apiKey [REDACTED] rejected',
    });
    expect(leakedSecrets(JSON.stringify(calls))).toEqual([]);
  });
});

describe('registerMetrics', () => {
  it('counts and reports what an operator needs, by Prometheus conventions', async () => {
    const { clock, connector, supervisor, registry, metrics } = setup(undefined);
    const { pendingWhileDown } = await outage(supervisor, clock, connector);
    expect(pendingWhileDown).toBe(1);
    const text = await registry.metrics();
    const v = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(text, `temporal_supervisor_${name}`, labels);

    expect(v('state', { state: 'backoff' })).toBe(1);
    expect(v('state', { state: 'connected' })).toBe(0);
    expect(v('connection_attempts_total', { result: 'success' })).toBe(1);
    expect(v('connection_attempts_total', { result: 'failure' })).toBe(2);
    expect(v('connection_failures_total', { kind: 'transient', code: 'UNAVAILABLE' })).toBe(2);
    expect(v('connection_failures_total', { kind: 'permanent', code: 'UNAUTHENTICATED' })).toBe(1);
    expect(v('health_check_duration_seconds_count', { result: 'success' })).toBe(5);
    expect(v('health_check_duration_seconds_sum', { result: 'success' })).toBeCloseTo(0.06, 10);
    expect(v('health_check_duration_seconds_bucket', { result: 'success', le: '0.01' })).toBe(0);
    expect(v('health_check_duration_seconds_bucket', { result: 'success', le: '0.025' })).toBe(5);
    expect(v('health_check_duration_seconds_count', { result: 'failure' })).toBe(1);
    expect(v('requests_rejected_total', { reason: 'fail_fast', source: 'client' })).toBe(1);
    expect(v('requests_rejected_total', { reason: 'fail_fast', source: 'creator:orders' })).toBe(1);
    expect(v('requests_rejected_total', { reason: 'permanent_failure', source: 'client' })).toBe(1);
    expect(v('worker_restarts_total', { worker: 'w' })).toBe(1);
    // Failed otherwise than by not polling: none counted there.
    expect(v('worker_not_polling_total', { worker: 'w' })).toBe(0);
    expect(v('worker_state', { worker: 'w', state: 'givenUp' })).toBe(1);
    expect(v('worker_state', { worker: 'w', state: 'running' })).toBe(0);
    expect(v('creator_state', { creator: 'orders', state: 'waiting' })).toBe(1);
    expect(v('transitions_total', { actor: 'worker:w', from: 'starting', to: 'givenUp' })).toBe(1);
    expect(v('transitions_total', { actor: 'connection', from: 'degraded', to: 'backoff' })).toBe(1);
    expect(v('live')).toBe(0);
    expect(v('ready')).toBe(0);
    expect(v('pending_requests')).toBe(0);
    expect(v('creator_pending_requests', { creator: 'orders' })).toBe(0);
    expect(v('time_in_state_seconds')).toBe(0);
    clock.advance(1_500);
    expect(sampleValue(await registry.metrics(), 'temporal_supervisor_time_in_state_seconds')).toBe(1.5);

    // Conventions: counters end in _total, every name has its unit or none, labels stay low-cardinality.
    for (const name of metrics.names) expect(name).toMatch(/^temporal_supervisor_[a-z_]+$/);
    const labelValues = new Set(parseSamples(text).flatMap((s) => Object.values(s.labels)));
    expect(labelValues.size).toBeLessThan(60);
    expect(leakedSecrets(text)).toEqual([]);
  });

  it('counts pending requests while they wait', async () => {
    const { connector, supervisor, registry } = setup(undefined);
    supervisor.start();
    await flush();
    connector.fail(failures.unavailable);
    await flush();
    const waiting = [1, 2, 3].map(() => supervisor.withClient(async () => 1, { timeout: 5_000 }));
    for (const w of waiting) w.catch(() => {});
    await flush();
    expect(sampleValue(await registry.metrics(), 'temporal_supervisor_pending_requests')).toBe(3);
  });

  it('refuses bad options and a second registration in one registry, naming the fix', () => {
    const { supervisor, registry } = setup(undefined);
    expect(() => registerMetrics(supervisor, { registry })).toThrow(
      /already has a metric named temporal_supervisor_state .*another `registry`, or another `prefix`/,
    );
    expect(() => registerMetrics(supervisor, { prefix: '9bad' })).toThrow(/`prefix`.*received "9bad"/);
    expect(() => registerMetrics(supervisor, { registry: {} as Registry })).toThrow(/prom-client Registry/);
    expect(() => registerMetrics(supervisor, { healthCheckBuckets: [1, 0.5] })).toThrow(/increasing/);
    expect(() => registerMetrics(supervisor, { nope: 1 } as never)).toThrow(/unknown option `nope`/);
    // Under another prefix, the same registry takes a second supervisor's metrics.
    const other = registerMetrics(supervisor, { registry, prefix: 'other_' });
    expect(other.names).toContain('other_state');
    other.dispose();
    expect(registry.getSingleMetric('other_state')).toBeUndefined();
  });

  it('stops counting once disposed, frees its names, and defaults to its own registry', async () => {
    const { connector, supervisor } = setup(undefined);
    const own = registerMetrics(supervisor, { prefix: 'own_' });
    expect(own.registry).toBeInstanceOf(Registry);
    const counter = own.registry.getSingleMetric('own_transitions_total');
    if (!counter) throw new Error('no counter');
    supervisor.start();
    await flush();
    const counted = async () => (await counter.get()).values.reduce((sum, { value }) => sum + value, 0);
    expect(await counted()).toBe(1); // disconnected → connecting
    own.dispose();
    own.dispose();
    expect(await own.registry.metrics()).toBe('\n');
    connector.fail(failures.unavailable);
    await flush();
    expect(supervisor.state).toBe('backoff');
    expect(await counted()).toBe(1);
  });
});
