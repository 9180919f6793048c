/**
 * Rolling restart of both frontends on the production-shaped cluster (issue 16 items 3 and 7): a TemporalCluster
 * of its own (two frontends behind the balancer, `frontend.shutdownFailHealthCheckDuration` 4 s), a supervised
 * creator with `failFast` starting a workflow every 50 ms, and each frontend SIGTERMed in turn and started again.
 * A start that fails or is rejected counts in `rolling_restart_failed_requests`; the longest start that
 * succeeded is `rolling_restart_max_start_ms`. Defaults otherwise (a health probe every 2 s).
 */
import { createSupervisor } from '../../src/index.js';
import { TemporalCluster } from '../harness/cluster.js';
import { rollFrontends, underSteadyStarts } from '../support/rolling.js';
import type { Benchmark } from './context.js';

export const rollingRestart: Benchmark = {
  name: 'rolling-restart',
  keys: ['rolling_restart_failed_requests', 'rolling_restart_max_start_ms'],
  async run({ quick, log, defer }) {
    const rounds = quick ? 1 : 3;
    const cluster = await TemporalCluster.start({
      dynamicConfig: { 'frontend.shutdownFailHealthCheckDuration': '4s' },
    });
    defer(() => cluster.stop());
    const supervisor = createSupervisor({
      envConfig: false,
      address: cluster.address,
      creators: { orders: { deadline: '15s', failFast: true } },
    });
    defer(() => supervisor.stop());
    supervisor.start();
    await supervisor.waitFor('connected', { timeout: '60s' });
    let lost = 0;
    let maxStartMs = 0;
    const lines: string[] = [];
    for (let round = 1; round <= rounds; round++) {
      const outcome = await underSteadyStarts(supervisor, () => rollFrontends(cluster));
      lost += outcome.failed + outcome.rejected;
      maxStartMs = Math.max(maxStartMs, outcome.maxStartMs);
      const line = `round ${round}/${rounds}: ${outcome.started} started, ${outcome.failed} failed, ${outcome.rejected} rejected, max ${outcome.maxStartMs} ms, p99 ${outcome.p99StartMs} ms, connection states ${outcome.transitions.join(' ') || 'unchanged'}`;
      log(`  ${line}`);
      lines.push(line);
    }
    const renewals = (supervisor.snapshot().connection as { renewals?: number } | undefined)?.renewals ?? 0;
    return {
      figures: { rolling_restart_failed_requests: lost, rolling_restart_max_start_ms: maxStartMs },
      notes: [
        `${rounds} rolling restarts (2 frontends each), ${renewals} connection renewals; ${lines.join('; ')}`,
      ],
    };
  },
};
