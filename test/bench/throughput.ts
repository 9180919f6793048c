/**
 * Throughput and added latency of workflow starts through a supervised creator and through a plain client,
 * on the same server in the same run, side by side: all sides run at the same moments, so the machine's
 * noise falls on each alike. A third side, a second plain client on its own connection, is the control:
 * plain against plain shows how far the method itself scatters on this machine (an A/A comparison). The
 * workflows go to a task queue no worker polls: only the start is measured.
 */
import { type Benchmark, plainClient, startSupervisor } from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

type Start = (n: number) => Promise<unknown>;
const SIDES = ['supervised', 'plain', 'control'] as const;
type Side = (typeof SIDES)[number];

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 80)}` : String(error);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Runs every side at once for `durationMs`, `slots` loops each, every loop starting one workflow after
 * another, and counts the completions per side and per window of `windowMs`: the ratio of two sides'
 * counts is the ratio of their throughputs under the same conditions. A failed start counts as nothing
 * done and is noted in `errors`.
 */
async function sideBySide(
  sides: Readonly<Record<Side, Start>>,
  slots: number,
  durationMs: number,
  windowMs: number,
  ids: { next: number },
  errors: Map<string, number>,
): Promise<Record<Side, number[]>> {
  const windows = Math.ceil(durationMs / windowMs);
  const counts = Object.fromEntries(
    SIDES.map((side) => [side, new Array<number>(windows).fill(0)]),
  ) as Record<Side, number[]>;
  const began = performance.now();
  const end = began + durationMs;
  const loop = async (side: Side) => {
    while (performance.now() < end) {
      try {
        await sides[side](ids.next++);
      } catch (error) {
        errors.set(describe(error), (errors.get(describe(error)) ?? 0) + 1);
        continue;
      }
      const done = performance.now();
      if (done < end) counts[side][Math.floor((done - began) / windowMs)]! += 1;
    }
  };
  await Promise.all(Array.from({ length: slots }, () => SIDES.map((side) => loop(side))).flat());
  return counts;
}

export const throughput: Benchmark = {
  name: 'throughput',
  keys: ['throughput_ratio', 'added_latency_us_p50', 'added_latency_us_p99', 'own_cost_us_p50'],
  async run(context) {
    const { quick, runId, log } = context;
    const durationMs = quick ? 10_000 : 60_000;
    const windowMs = 5_000;
    const slots = 8;
    const sequential = quick ? 150 : 1_000;
    const taskQueue = `bench-tp-${runId}`;

    const { supervisor, creator } = await startSupervisor(context);
    const client = await plainClient(context);
    const controlClient = await plainClient(context);
    const options = (id: string) => ({ workflowId: id, taskQueue, args: ['tp', 0] });
    const sides: Record<Side, Start> = {
      supervised: (n) => creator.start('greetAfterSleep', options(`tp-${runId}-${n}`)),
      plain: (n) => client.workflow.start('greetAfterSleep', options(`tp-${runId}-${n}`)),
      control: (n) => controlClient.workflow.start('greetAfterSleep', options(`tp-${runId}-${n}`)),
    };

    const ids = { next: 0 };
    const errors = new Map<string, number>();
    // Warm up every path (JIT, HTTP/2 streams, the server's caches).
    await sideBySide(sides, slots, quick ? 2_000 : 5_000, 1_000, ids, errors);
    const counts = await sideBySide(sides, slots, durationMs, windowMs, ids, errors);
    const rate = (side: Side) => sum(counts[side]) / (durationMs / 1000);
    const perWindow = (side: Side) => counts[side].map((c, i) => c / Math.max(1, counts.plain[i] ?? 0));
    log(
      `  side by side for ${durationMs / 1000} s: ${SIDES.map((side) => `${side} ${rate(side).toFixed(1)}/s`).join(', ')}`,
    );

    // Latency of one start per side, all issued at the same moment, one set after another (order rotated).
    const latency: Record<Side, number[]> = { supervised: [], plain: [], control: [] };
    const timed = async (side: Side) => {
      const began = performance.now();
      try {
        await sides[side](ids.next++);
      } catch (error) {
        errors.set(describe(error), (errors.get(describe(error)) ?? 0) + 1);
        return;
      }
      latency[side].push((performance.now() - began) * 1000);
    };
    for (let i = 0; i < sequential; i++) {
      const order = [...SIDES.slice(i % 3), ...SIDES.slice(0, i % 3)];
      await Promise.all(order.map((side) => timed(side)));
    }
    const added = (side: Side, p: number) =>
      round((percentile(latency[side], p) ?? 0) - (percentile(latency.plain, p) ?? 0), 0);

    // The supervisor's own cost per call, without the network: withClient around a call that does nothing.
    // Per call (p50: what one call costs) and over the whole loop (the mean: GC and the rest included).
    const overhead = { supervised: [] as number[], direct: [] as number[] };
    const nothing = async () => undefined;
    const calls = 5_000;
    let loopMs = 0;
    for (let i = 0; i < calls; i++) {
      let began = performance.now();
      await supervisor.withClient(nothing);
      const took = performance.now() - began;
      loopMs += took;
      overhead.supervised.push(took * 1000);
      began = performance.now();
      await nothing();
      overhead.direct.push((performance.now() - began) * 1000);
    }

    return {
      figures: {
        throughput_ratio: round(rate('supervised') / rate('plain'), 3),
        added_latency_us_p50: added('supervised', 50),
        added_latency_us_p99: added('supervised', 99),
        own_cost_us_p50: round(percentile(overhead.supervised, 50), 1),
      },
      notes: [
        `all sides at once for ${durationMs / 1000} s, ${slots} starts in flight each: ${SIDES.map((side) => `${side} ${rate(side).toFixed(1)}/s`).join(', ')}`,
        `supervised ÷ plain per ${windowMs / 1000} s window: ${describeSummary(summarize(perWindow('supervised')), 3)}; control ÷ plain (A/A, the method's own scatter): ${round(rate('control') / rate('plain'), 3)} overall, per window ${describeSummary(summarize(perWindow('control')), 3)}`,
        `one start per side at the same moment, ${sequential} sets in a row (µs): ${SIDES.map((side) => `${side} ${describeSummary(summarize(latency[side]))}`).join('; ')}; control − plain (A/A): p50 ${added('control', 50)}, p99 ${added('control', 99)}`,
        `failed starts (not counted): ${[...errors].map(([e, c]) => `${e} ×${c}`).join('; ') || 'none'}`,
        `supervisor's own cost per call (withClient around a no-op on the live connection, µs): ${describeSummary(summarize(overhead.supervised), 1)}, mean ${round((loopMs * 1000) / calls, 1)}; a bare awaited no-op: ${describeSummary(summarize(overhead.direct), 1)}`,
      ],
    };
  },
};
