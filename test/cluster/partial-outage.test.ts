/**
 * Issue 16: a partial outage on the production-shaped cluster. With history SIGKILLed the frontends still answer
 * health checks SERVING and starts fail; the `history` probe sees it, the default `health` probe does not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSupervisor, isTemporalUnavailableError, type Supervisor } from '../../src/index.js';
import { TemporalCluster } from '../harness/cluster.js';
import { waitUntil } from '../harness/wait.js';

let cluster: TemporalCluster;
const supervisors: Supervisor[] = [];

beforeAll(async () => {
  cluster = await TemporalCluster.start();
});

afterAll(async () => {
  await Promise.all(supervisors.map((s) => s.stop()));
  await cluster?.stop();
});

function supervised(method: 'health' | 'history') {
  const supervisor = createSupervisor({
    envConfig: false,
    address: cluster.address,
    healthCheck: { method, interval: '500ms', degradedInterval: '250ms', timeout: '1s' },
    creators: { orders: { deadline: '3s' } },
  });
  supervisors.push(supervisor);
  supervisor.start();
  return supervisor;
}

describe('history down while the frontends answer SERVING', () => {
  it('the history probe leaves connected within its bound; requests are typed; it recovers when history returns', async () => {
    const withHistoryProbe = supervised('history');
    const withHealthProbe = supervised('health');
    await withHistoryProbe.waitFor('connected', { timeout: '30s' });
    await withHealthProbe.waitFor('connected', { timeout: '30s' });

    const killed = performance.now();
    await cluster.services.history.kill();
    await withHistoryProbe.waitFor(['backoff', 'degraded'], { timeout: '10s' });
    const detectedMs = Math.round(performance.now() - killed);
    await withHistoryProbe.waitFor('backoff', { timeout: '15s' });
    console.log(`history SIGKILLed: the history probe left connected after ${detectedMs} ms`);
    // Probe interval 500 ms + timeout 1 s, with the cluster's own ~300 ms to answer UNAVAILABLE, and slack for CI.
    expect(detectedMs).toBeLessThan(5_000);

    // The health probe still sees SERVING: connected (or degraded by a request's UNAVAILABLE, then back).
    expect(['connected', 'degraded']).toContain(withHealthProbe.state);

    // A start now is typed, within its deadline, never hanging.
    const started = performance.now();
    const outcome = await withHistoryProbe
      .creator('orders')
      .start('never-runs', { workflowId: `partial-${Date.now()}`, taskQueue: 'partial', args: [] })
      .catch((error: unknown) => error);
    expect(isTemporalUnavailableError(outcome)).toBe(true);
    expect(performance.now() - started).toBeLessThan(3_000 + 1_000);

    await cluster.services.history.start();
    await withHistoryProbe.waitFor('connected', { timeout: '60s' });
    await waitUntil(
      async () => {
        await withHistoryProbe
          .creator('orders')
          .start('never-runs', { workflowId: `partial-back-${Date.now()}`, taskQueue: 'partial', args: [] });
        return true;
      },
      { timeoutMs: 60_000, what: 'a start after history is back' },
    );
  });
});
