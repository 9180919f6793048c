/**
 * Black-hole trials: the supervisor reaches the server through the FaultProxy, which at a random moment
 * stops moving bytes either way while keeping every connection open (a silent network partition: no RST,
 * no FIN, nothing for the gRPC channel to notice). Only the health probes can tell; the figure is how long
 * the supervisor takes to leave `connected`. Supervisor defaults: a probe every 500 ms, given up as slow
 * when unanswered after 400 ms (docs/connection.md, "A black hole within a second").
 */
import { FaultProxy } from '../harness/fault-proxy.js';
import { type Benchmark, now, StateRecorder, sleep, startSupervisor } from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

export const blackhole: Benchmark = {
  name: 'blackhole',
  keys: ['blackhole_detection_ms_p95'],
  async run(context) {
    const { quick, server, log, defer } = context;
    const trials = quick ? 3 : 20;
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    defer(() => proxy.close());
    const { supervisor } = await startSupervisor(context, { address: proxy.address }, { stable: false });
    const recorder = new StateRecorder(supervisor);
    defer(() => recorder.dispose());
    const detection: number[] = [];
    const states = new Map<string, number>();
    for (let trial = 1; trial <= trials; trial++) {
      await supervisor.waitFor('connected', { timeout: '60s' });
      // A random phase against the probe interval.
      await sleep(Math.random() * 1_000);
      if (supervisor.state !== 'connected') {
        trial--;
        continue;
      }
      const at = now();
      await proxy.blackhole();
      const leftAt = await recorder.first((c) => c.from === 'connected', at, 30_000, 'leaving connected');
      const to = recorder.changes.find((c) => c.at === leftAt)?.to ?? '?';
      states.set(to, (states.get(to) ?? 0) + 1);
      detection.push(leftAt - at);
      log(`  trial ${trial}/${trials}: left connected for ${to} after ${Math.round(leftAt - at)} ms`);
      await proxy.pass();
    }
    return {
      figures: { blackhole_detection_ms_p95: round(percentile(detection, 95)) },
      notes: [
        `${trials} trials, black hole at a random moment: ${describeSummary(summarize(detection))} ms; left connected for ${[...states].map(([s, c]) => `${s} ${c}`).join(', ')}`,
      ],
    };
  },
};
