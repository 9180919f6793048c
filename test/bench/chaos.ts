/**
 * One chaos run, drawn: a supervised creator takes a steady stream of starts (one every 200 ms, one in four
 * fail-fast, the rest with a 3 s deadline) through the FaultProxy while the server is SIGKILLed and started
 * again, and then the network black-holes for 4 s. The SVG shows the connection state over time and each
 * request from issue to outcome. Measures no figure of its own: it is the picture of the others.
 */
import { isTemporalUnavailableError } from '../../src/index.js';
import { FaultProxy } from '../harness/fault-proxy.js';
import { type Benchmark, now, StateRecorder, sleep, startSupervisor } from './context.js';
import { renderTimeline, type TimelineBand, type TimelineEvent, type TimelineRequest } from './timeline.js';

export const chaos: Benchmark = {
  name: 'chaos',
  keys: [],
  async run(context) {
    const { server, runId, log, defer } = context;
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    defer(() => proxy.close());
    const { supervisor, creator } = await startSupervisor(context, { address: proxy.address });
    const recorder = new StateRecorder(supervisor);
    defer(() => recorder.dispose());
    const taskQueue = `bench-chaos-${runId}`;

    const t0 = now();
    const events: TimelineEvent[] = [];
    const mark = (label: string) => {
      events.push({ at: now() - t0, label });
      log(`  ${Math.round(now() - t0)} ms: ${label}`);
    };
    const requests: Promise<TimelineRequest>[] = [];
    let issuing = true;
    const issuer = (async () => {
      for (let i = 0; issuing; i++) {
        const failFast = i % 4 === 3;
        const issuedAt = now() - t0;
        requests.push(
          creator
            .start(
              'greetAfterSleep',
              { workflowId: `chaos-${runId}-${i}`, taskQueue, args: ['chaos', 0] },
              { timeout: 3_000, failFast },
            )
            .then(
              () => ({ issuedAt, settledAt: now() - t0, outcome: 'started', failFast }),
              (error: unknown) => ({
                issuedAt,
                settledAt: now() - t0,
                outcome: isTemporalUnavailableError(error) ? error.reason : 'error',
                failFast,
              }),
            ),
        );
        await sleep(200);
      }
    })();

    await sleep(1_500);
    mark('SIGKILL');
    await server.kill();
    await sleep(2_500);
    mark('restart');
    await server.startAgain();
    mark('ready');
    await supervisor.waitFor('connected', { timeout: '30s' });
    await sleep(1_500);
    mark('black-hole');
    await proxy.blackhole();
    await sleep(4_000);
    mark('heal');
    await proxy.pass();
    await supervisor.waitFor('connected', { timeout: '30s' });
    await sleep(1_500);
    issuing = false;
    await issuer;
    const drawn = await Promise.all(requests);
    const end = Math.max(now() - t0, ...drawn.map((r) => r.settledAt));

    const bands: TimelineBand[] = [];
    let state = 'connected';
    let from = 0;
    for (const change of recorder.changes) {
      const at = change.at - t0;
      bands.push({ from, to: at, state });
      state = change.to;
      from = at;
    }
    bands.push({ from, to: end, state });

    const count = (outcome: string) => drawn.filter((r) => r.outcome === outcome).length;
    return {
      figures: {},
      notes: [
        `${drawn.length} requests over ${(end / 1000).toFixed(1)} s: started ${count('started')}, fail_fast ${count('fail_fast')}, deadline ${count('deadline')}, connection_lost ${count('connection_lost')}; states ${bands.map((b) => b.state).join(' → ')}`,
      ],
      svg: renderTimeline({
        title: 'temporal-supervisor: one chaos run (SIGKILL + restart, then a 4 s black hole)',
        durationMs: end,
        bands: bands.filter((b) => b.to > b.from),
        requests: drawn,
        events,
      }),
    };
  },
};
