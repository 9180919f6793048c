/**
 * Logs and metrics through a real outage: a real dev server SIGKILLed while a supervised worker runs a
 * workflow sleeping on a durable timer, then restarted on the same port and database. The supervisor has
 * an API key and an `x-authorization` header (an API key is itself sent as `authorization`, so the two cannot be given together) (the dev server speaks plaintext, so no TLS client key here: the
 * unit tests cover that one), a pino logger writing into memory, core log forwarding, and a registry.
 * Every log line must parse as JSON; no secret may appear in the logs, the metrics text, the snapshot or
 * the health JSON; and the outage must be visible in all of them.
 */
import { randomUUID } from 'node:crypto';
import { Runtime } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSupervisor, healthOf, registerMetrics } from '../../src/index.js';
import { activities, expectedGreetings, workflowsPath } from '../fixtures/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';
import { pinoToMemory } from '../support/loggers.js';
import { sampleValue } from '../support/prometheus.js';
import { API_KEY, AUTHORIZATION, leakedSecrets } from '../support/secrets.js';

const defer = useCleanups();

describe('observability through a SIGKILL of the real server', () => {
  it('logs each transition, counts the outage, forwards core logs, and leaks no secret', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const { logger, lines, text } = pinoToMemory('debug');
    const taskQueue = `observability-${randomUUID()}`;
    const supervisor = createSupervisor({
      address: server.address,
      envConfig: false,
      apiKey: API_KEY,
      tls: false,
      metadata: { 'x-authorization': AUTHORIZATION },
      logger,
      // INFO: the core says little at WARN in an outage this short (measured: nothing), and this proves the path.
      coreLogs: { level: 'INFO' },
      healthCheck: { interval: '500ms' },
      backoff: { maxDelay: '1s' },
      workers: { greeter: { taskQueue, workflowsPath, activities } },
      creators: { api: {} },
    });
    defer(() => supervisor.stop());
    const registry = new Registry();
    const metrics = registerMetrics(supervisor, { registry });
    defer(async () => metrics.dispose());

    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    await waitUntil(() => supervisor.snapshot().children['worker:greeter'] === 'running', {
      timeoutMs: 60_000,
      what: 'the worker running',
    });
    const workflowId = `observability-${randomUUID()}`;
    await supervisor.creator('api').start('greetAfterSleep', { taskQueue, workflowId, args: ['Ada', 3_000] });

    // The outage.
    await server.kill();
    await waitUntil(() => supervisor.state === 'backoff', { timeoutMs: 30_000, what: 'backoff' });
    const healthDuringOutage = JSON.stringify(healthOf(supervisor));
    const snapshotDuringOutage = JSON.stringify(supervisor.snapshot());
    await expect(supervisor.withClient(async () => 'ran', { failFast: true })).rejects.toMatchObject({
      reason: 'fail_fast',
    });
    const metricsDuringOutage = await registry.metrics();
    await server.startAgain();
    await supervisor.waitFor('connected', { timeout: '30s' });

    // The workflow that slept through it completes.
    const result = await supervisor.withClient((client) => client.workflow.getHandle(workflowId).result(), {
      timeout: '60s',
    });
    expect(result).toEqual(expectedGreetings('Ada'));
    await waitUntil(() => supervisor.snapshot().children['worker:greeter'] === 'running', {
      timeoutMs: 30_000,
      what: 'the worker running again',
    });
    const metricsAfter = await registry.metrics();
    const healthAfter = JSON.stringify(healthOf(supervisor));
    await supervisor.stop();
    // The SDK shut its Runtime down with the last worker's connection (nothing keeps the process alive),
    // and a Runtime it makes later will not log into this supervisor's logger.
    expect(Runtime._instance).toBeUndefined();
    expect(Runtime.defaultOptions).toEqual({});
    // Core log lines are buffered ~100 ms by the SDK before they reach the logger.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const all = lines(); // every line parses as JSON, or this throws
    const connection = all.filter((l) => l.msg === 'Temporal connection state changed');
    const worker = all.filter((l) => l.msg === 'Temporal worker state changed');
    const creator = all.filter((l) => l.msg === 'Workflow creator state changed');
    const sdk = all.filter((l) => l.component === 'temporal-sdk');
    const excerpt = [...connection, ...worker, ...creator]
      .sort((a, b) => Number(a.time) - Number(b.time))
      .map((l) => JSON.stringify(l));
    console.log(`observability log excerpt (state changes, in order):\n${excerpt.join('\n')}`);
    const core = sdk.filter((l) => l.sdkComponent === 'core');
    console.log(
      `observability SDK lines forwarded: ${sdk.length}, of which core: ${core.length}:\n${[...core.slice(0, 4), ...sdk.filter((l) => l.sdkComponent !== 'core').slice(0, 2)].map((l) => JSON.stringify(l)).join('\n')}`,
    );
    console.log(`observability metrics during the outage:\n${metricsDuringOutage}`);
    console.log(`observability metrics after recovery:\n${metricsAfter}`);

    // The outage in the logs: connected → … → backoff (warn) → connecting → connected.
    const path = connection.map((l) => `${l.from}→${l.to}`);
    expect(path[0]).toBe('disconnected→connecting');
    const down = connection.findIndex((l) => l.to === 'backoff');
    expect(down).toBeGreaterThan(0);
    expect(connection[down]).toMatchObject({ level: 40, kind: 'transient', code: expect.any(String) });
    expect(path.slice(down)).toContain('connecting→connected');
    expect(path.at(-1)).toBe('stopping→disconnected');
    expect(worker.some((l) => l.to === 'running' && l.worker === 'greeter')).toBe(true);
    expect(worker.at(-1)).toMatchObject({ to: 'stopped' });
    expect(creator.map((l) => l.to)).toEqual(expect.arrayContaining(['ready', 'waiting', 'stopped']));
    // Forwarded SDK lines: the core's (Rust) and the worker's TypeScript side.
    expect(core.length).toBeGreaterThan(0);
    expect(sdk.some((l) => l.sdkComponent === 'worker' && l.msg === 'Worker state changed')).toBe(true);

    // The outage in the metrics.
    expect(sampleValue(metricsDuringOutage, 'temporal_supervisor_state', { state: 'backoff' })).toBe(1);
    expect(sampleValue(metricsDuringOutage, 'temporal_supervisor_ready')).toBe(0);
    expect(sampleValue(metricsAfter, 'temporal_supervisor_state', { state: 'connected' })).toBe(1);
    expect(
      sampleValue(metricsAfter, 'temporal_supervisor_connection_attempts_total', { result: 'success' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(metricsAfter, 'temporal_supervisor_transitions_total', {
        actor: 'connection',
        from: 'connecting',
        to: 'connected',
      }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(metricsAfter, 'temporal_supervisor_requests_rejected_total', {
        reason: 'fail_fast',
        source: 'client',
      }),
    ).toBe(1);
    expect(
      sampleValue(metricsAfter, 'temporal_supervisor_health_check_duration_seconds_count', {
        result: 'success',
      }),
    ).toBeGreaterThan(0);
    expect(
      sampleValue(metricsAfter, 'temporal_supervisor_worker_state', { worker: 'greeter', state: 'running' }),
    ).toBe(1);

    // No secret anywhere.
    expect(leakedSecrets(text())).toEqual([]);
    for (const output of [
      metricsDuringOutage,
      metricsAfter,
      snapshotDuringOutage,
      healthDuringOutage,
      healthAfter,
      JSON.stringify(supervisor.snapshot()),
    ]) {
      expect(leakedSecrets(output)).toEqual([]);
    }
  });
});
