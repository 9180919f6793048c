/**
 * The connection statechart against a real Temporal dev server (and the fault proxy): nothing mocked.
 * Timings are printed for the record (benchmarks hold the goals); assertions are about behaviour, with
 * bounds only where the behaviour itself is a bound (a deadline, a health-check deadline).
 */
import { describe, expect, it } from 'vitest';
import { isTemporalUnavailableError, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { createSupervisor } from '../../src/supervisor/supervisor.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer, findFreePort } from '../harness/dev-server.js';
import { FaultProxy } from '../harness/fault-proxy.js';

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown>;
}

const defer = useCleanups();

function supervise(
  address: string,
  options: SupervisorOptions = {},
): { supervisor: Supervisor; logs: Line[] } {
  const logs: Line[] = [];
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) =>
    logs.push({ level, message, fields: fields ?? {} });
  const supervisor = createSupervisor({
    address,
    envConfig: false,
    logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') },
    ...options,
  });
  defer(() => supervisor.stop());
  return { supervisor, logs };
}

async function server(options: Parameters<typeof DevServer.start>[0] = {}): Promise<DevServer> {
  const s = await DevServer.start(options);
  defer(() => s.dispose());
  return s;
}

/** Resolves with the clock time at which `supervisor` next leaves `state`. */
function whenLeaving(supervisor: Supervisor, state: string): Promise<number> {
  return new Promise((resolve) => {
    const subscription = supervisor.onStateChange(({ from }) => {
      if (from === state) {
        subscription.dispose();
        resolve(performance.now());
      }
    });
  });
}

describe('connection statechart on a real Temporal server', () => {
  it('starts 5 s before the server, waits, and reaches connected by itself; a waiting request then runs', async () => {
    const port = await findFreePort();
    const { supervisor, logs } = supervise(`127.0.0.1:${port}`);
    supervisor.start();
    // A request made while Temporal is not there yet waits (bounded) instead of failing.
    const request = supervisor.withClient((client) => client.workflowService.getSystemInfo({}), {
      timeout: '60s',
    });
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    expect(['connecting', 'backoff']).toContain(supervisor.state);
    expect(supervisor.snapshot().attempt).toBeGreaterThan(1);
    expect(supervisor.snapshot().lastFailure?.kind).toBe('transient');
    expect(supervisor.snapshot().pendingRequests).toBe(1);

    const s = await server({ port });
    const ready = performance.now();
    await supervisor.waitFor('connected', { timeout: '30s' });
    const readyToConnectedMs = performance.now() - ready;
    await expect(request).resolves.toBeDefined();
    expect(supervisor.snapshot().pendingRequests).toBe(0);
    console.log(
      `late start: server ready → connected in ${readyToConnectedMs.toFixed(0)} ms (server start ${s.timings.startToReadyMs} ms)`,
    );
    // Every retry was logged at warn with its delay; none at error (nothing permanent happened).
    const retries = logs.filter((l) => l.fields.to === 'backoff');
    expect(retries.length).toBeGreaterThan(0);
    for (const retry of retries) {
      expect(retry.level).toBe('warn');
      expect(retry.fields.delayMs).toEqual(expect.any(Number));
      expect(retry.fields.kind).toBe('transient');
    }
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('survives SIGKILL and restart of the server: leaves connected at once, comes back with no action', async () => {
    const s = await server();
    const { supervisor } = supervise(s.address);
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });

    const detections: number[] = [];
    const recoveries: number[] = [];
    for (let trial = 0; trial < 3; trial++) {
      const left = whenLeaving(supervisor, 'connected');
      const killedAt = performance.now();
      await s.kill();
      detections.push((await left) - killedAt);
      await supervisor.waitFor('backoff', { timeout: '30s' });
      await s.startAgain();
      const readyAt = performance.now();
      await supervisor.waitFor('connected', { timeout: '30s' });
      recoveries.push(performance.now() - readyAt);
      // The new connection serves real calls.
      const info = await supervisor.withClient((client) => client.workflowService.getSystemInfo({}), {
        timeout: '5s',
      });
      expect(info).toBeDefined();
    }
    console.log(
      `kill → left connected (ms): ${detections.map((d) => d.toFixed(0)).join(', ')}; ` +
        `server ready → connected (ms): ${recoveries.map((r) => r.toFixed(0)).join(', ')}`,
    );
    // Detection comes from the channel, not the 2 s health-check interval.
    for (const detection of detections) expect(detection).toBeLessThan(2_000);
  });

  it('detects a black-holed server within one health-check interval plus its deadline, and recovers', async () => {
    const s = await server();
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: s.port } });
    defer(() => proxy.close());
    const healthCheck = { interval: '1s', timeout: '500ms', slowThreshold: '400ms' } as const;
    const { supervisor } = supervise(proxy.address, { healthCheck });
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });

    const left = whenLeaving(supervisor, 'connected');
    const holedAt = performance.now();
    await proxy.blackhole();
    const detectionMs = (await left) - holedAt;
    expect(supervisor.state).toBe('degraded');
    expect(detectionMs).toBeLessThan(1_000 + 500 + 500);
    // Enough failed probes give the connection up.
    await supervisor.waitFor('backoff', { timeout: '10s' });
    expect(supervisor.snapshot().lastFailure?.code).toMatch(/DEADLINE_EXCEEDED|CONNECT_TIMEOUT|CANCELLED/);

    await proxy.pass();
    await supervisor.waitFor('connected', { timeout: '30s' });
    console.log(`black-hole: left connected after ${detectionMs.toFixed(0)} ms`);
  });

  it('reports a namespace that does not exist as permanent: no tight loop, requests fail fast with the cause', async () => {
    const s = await server();
    const { supervisor, logs } = supervise(s.address, {
      namespace: 'no-such-namespace',
      permanentRetryDelay: '1s',
    });
    supervisor.start();
    await supervisor.waitFor('backoff', { timeout: '30s' });
    const snapshot = supervisor.snapshot();
    expect(snapshot.lastFailure).toMatchObject({ kind: 'permanent', code: 'NAMESPACE_NOT_FOUND' });
    expect(snapshot.retryDelayMs).toBe(1_000);
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors[0]?.fields).toMatchObject({
      to: 'backoff',
      code: 'NAMESPACE_NOT_FOUND',
      kind: 'permanent',
    });

    const started = performance.now();
    const rejection = await supervisor
      .withClient(async () => 'ran', { timeout: '30s' })
      .catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(100);
    expect(isTemporalUnavailableError(rejection)).toBe(true);
    expect(rejection).toMatchObject({ reason: 'permanent_failure', code: 'UNAVAILABLE', grpcStatus: 14 });
    expect((rejection as Error).message).toContain('NAMESPACE_NOT_FOUND');

    // It keeps checking, at the permanent cadence only: ~1 attempt a second, never a tight loop.
    const attemptsBefore = logs.filter((l) => l.fields.to === 'connecting').length;
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const attempts = logs.filter((l) => l.fields.to === 'connecting').length - attemptsBefore;
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(4);
  });

  it('never lets withClient wait past its deadline: server absent, and server black-holed mid-call', async () => {
    const port = await findFreePort();
    const { supervisor } = supervise(`127.0.0.1:${port}`);
    supervisor.start();
    for (const timeoutMs of [50, 300, 1_000]) {
      const started = performance.now();
      const error = await supervisor
        .withClient(async () => 'ran', { timeout: timeoutMs })
        .catch((e: unknown) => e);
      const elapsed = performance.now() - started;
      expect(error).toMatchObject({
        name: 'TemporalUnavailableError',
        reason: 'deadline',
        maybeApplied: false,
      });
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 5);
      expect(elapsed).toBeLessThan(timeoutMs + 150);
    }
    await supervisor.stop();

    const s = await server();
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: s.port } });
    defer(() => proxy.close());
    const viaProxy = supervise(proxy.address, { healthCheck: { interval: '30s' } }).supervisor;
    viaProxy.start();
    await viaProxy.waitFor('connected', { timeout: '30s' });
    await proxy.blackhole();
    const started = performance.now();
    const error = await viaProxy
      .withClient((client) => client.workflowService.describeNamespace({ namespace: 'default' }), {
        timeout: 700,
      })
      .catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toMatchObject({ name: 'TemporalUnavailableError', reason: 'deadline', maybeApplied: true });
    expect(elapsed).toBeLessThan(700 + 150);
  });

  it('stop() ends everything: no timer, socket or child keeps the process alive', async () => {
    const s = await server();
    const { supervisor } = supervise(s.address);
    const handlesBefore = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    await supervisor.stop();
    await supervisor.stop();
    expect(supervisor.state).toBe('disconnected');
    // Give closed sockets a turn to be released.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const handlesAfter = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    expect(handlesAfter).toBeLessThanOrEqual(handlesBefore);
    const rejection = await supervisor.withClient(async () => 'ran').catch((e: unknown) => e);
    expect(rejection).toMatchObject({ reason: 'stopped' });
  });
});
