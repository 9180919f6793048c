/**
 * The connection statechart against a real Temporal dev server (and the fault proxy): nothing mocked.
 * Timings are printed for the record (benchmarks hold the goals); assertions are about behaviour, with
 * bounds only where the behaviour itself is a bound (a deadline, a health-check deadline).
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { isTemporalUnavailableError, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { runtimeOf } from '../../src/supervisor/internals.js';
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

/** Spearman's rank correlation of two samples without ties. */
function rankCorrelation(a: readonly number[], b: readonly number[]): number {
  const ranks = (xs: readonly number[]) => {
    const rank = new Array<number>(xs.length);
    [...xs.keys()]
      .sort((i, j) => (xs[i] as number) - (xs[j] as number))
      .forEach((i, r) => {
        rank[i] = r;
      });
    return rank;
  };
  const [ra, rb] = [ranks(a), ranks(b)];
  const n = a.length;
  const d2 = ra.reduce((sum, r, i) => sum + (r - (rb[i] as number)) ** 2, 0);
  return 1 - (6 * d2) / (n * (n * n - 1));
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

  it('reconnectSpread: after a SIGKILL, ten supervisors wait their drawn delays and come back spread over the window', async () => {
    const s = await server();
    // The drawn delay replaces the rest of each one's backoff (docs/states.md, `backoff.spreading`).
    const spreadMs = 2_000;
    const fleet = Array.from({ length: 10 }, (_, i) => {
      const { supervisor, logs } = supervise(s.address, { reconnectSpread: spreadMs, seed: 100 + i });
      supervisor.start();
      return { supervisor, logs };
    });
    await Promise.all(fleet.map(({ supervisor }) => supervisor.waitFor('connected', { timeout: '30s' })));
    const spreadLine = 'Temporal server reachable again; reconnecting after a spread';
    const back = fleet.map(
      ({ supervisor, logs }) =>
        new Promise<{ connectedAt: number; delayMs: number }>((resolve) => {
          const subscription = supervisor.onStateChange(({ to }) => {
            if (to !== 'connected') return;
            subscription.dispose();
            const line = logs.findLast((l) => l.message === spreadLine);
            resolve({ connectedAt: performance.now(), delayMs: (line?.fields.delayMs as number) ?? -1 });
          });
        }),
    );
    await s.kill();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await s.startAgain();
    const readyAt = performance.now();
    const results = await Promise.all(back);
    const connected = results.map((r) => r.connectedAt - readyAt);
    const delays = results.map((r) => r.delayMs);
    console.log(
      `reconnectSpread ${spreadMs} ms: drawn delays (ms) ${delays.join(', ')}; server ready → connected (ms) ${connected.map((c) => c.toFixed(0)).join(', ')}`,
    );
    // Every supervisor drew its own delay within [0, 2 s) (logged at debug), the delays distinct.
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(spreadMs);
    }
    expect(new Set(delays).size).toBe(fleet.length);
    // The fleet came back spread over the window, not within one dial interval: ten uniform draws over 2 s
    // span less than 500 ms with probability ~3e-5 (at once, all ten came back within ~0.3 s).
    expect(Math.max(...connected) - Math.min(...connected)).toBeGreaterThan(500);
    // Each came back after its own delay: the order of coming back follows the order of the delays (Spearman's
    // rank correlation, 0.88 measured; the noise is the dial's 250 ms phase, and a redraw for one whose first
    // attempt met a server still starting).
    expect(rankCorrelation(delays, connected)).toBeGreaterThan(0.5);
    for (const { supervisor } of fleet) {
      const info = await supervisor.withClient((client) => client.workflowService.getSystemInfo({}), {
        timeout: '5s',
      });
      expect(info).toBeDefined();
    }
  });

  it('a connection given up after an outage can be collected: nothing of ours keeps it (one leaked per reconnect before)', async () => {
    const s = await server();
    const { supervisor } = supervise(s.address);
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '30s' });
    const runtime = runtimeOf(supervisor);
    // No strong reference of the test's own: the WeakRef is made in a function of its own.
    const ref = (() => {
      const first = runtime.registry.get(runtime.machineSnapshot().context.connection);
      if (!first) throw new Error('connected, yet no live connection');
      return new WeakRef(first as object);
    })();
    await s.kill();
    await supervisor.waitFor('backoff', { timeout: '30s' });
    await s.startAgain();
    await supervisor.waitFor('connected', { timeout: '30s' });
    expect(runtime.registry.get(runtime.machineSnapshot().context.connection)).not.toBe(ref.deref());
    // A full collection, a few times (grpc-js's channel lets go of its timers on the next turns).
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    for (let i = 0; i < 10 && ref.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      gc();
    }
    expect(ref.deref()).toBeUndefined();
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
