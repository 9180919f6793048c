/**
 * What one supervisor with the defaults asks of the server just to watch its connection (issue 16 items 5 and 7):
 * health checks per second while connected and idle, counted from the probe observer over a window
 * (`--quick`: 6 s, else 30 s). Workers and creators add none (workers' native connections keep no probe); the
 * poller check adds its own (docs/api.md, `pollerCheck`), outside this figure.
 */
import { type Benchmark, sleep, startSupervisor } from './context.js';
import { round } from './stats.js';

export const probeCost: Benchmark = {
  name: 'probe-cost',
  keys: ['probe_cost_rps_per_supervisor'],
  async run(context) {
    const windowMs = context.quick ? 6_000 : 30_000;
    const { supervisor } = await startSupervisor(context);
    let probes = 0;
    const subscription = supervisor.observe({ probe: () => void probes++ });
    context.defer(() => subscription.dispose());
    const started = performance.now();
    await sleep(windowMs);
    const seconds = (performance.now() - started) / 1000;
    return {
      figures: { probe_cost_rps_per_supervisor: round(probes / seconds, 3) },
      notes: [
        `${probes} health checks in ${seconds.toFixed(1)} s, connected and idle, defaults (healthCheck.interval 500 ms): ${(probes / seconds).toFixed(3)}/s; a fleet of 1,000 replicas: ${Math.round((probes / seconds) * 1_000)}/s`,
      ],
    };
  },
};
