/**
 * Throughput and added latency of workflow starts through a supervised creator and through a plain client,
 * on the same server in the same run, side by side: both sides run at the same moments, so the machine's
 * noise falls on both alike. The workflows go to a task queue no worker polls: only the start is measured.
 */
import { type Benchmark, plainClient, startSupervisor } from './context.js';
import { describeSummary, percentile, round, summarize } from './stats.js';

type Start = (n: number) => Promise<unknown>;

/**
 * Runs both sides at once for `durationMs`: `slots` loops each, every loop starting one workflow after
 * another. Both sides see the same server, the same machine and the same noise at the same moments, so the
 * ratio of what each completed is the ratio of their throughputs. Returns the completions per side and per
 * window of `windowMs`.
 */
async function sideBySide(
  sides: { readonly supervised: Start; readonly plain: Start },
  slots: number,
  durationMs: number,
  windowMs: number,
  ids: { next: number },
  errors: Map<string, number>,
): Promise<{ supervised: number[]; plain: number[] }> {
  const windows = Math.ceil(durationMs / windowMs);
  const counts = {
    supervised: new Array<number>(windows).fill(0),
    plain: new Array<number>(windows).fill(0),
  };
  const began = performance.now();
  const end = began + durationMs;
  const loop = async (side: keyof typeof sides) => {
    while (performance.now() < end) {
      try {
        await sides[side](ids.next++);
      } catch (error) {
        // A failed start counts as nothing done; it is reported, and the run goes on.
        errors.set(describe(error), (errors.get(describe(error)) ?? 0) + 1);
        continue;
      }
      const done = performance.now();
      if (done < end) counts[side][Math.floor((done - began) / windowMs)]! += 1;
    }
  };
  await Promise.all(Array.from({ length: slots }, () => [loop('supervised'), loop('plain')]).flat());
  return counts;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message.slice(0, 80)}` : String(error);
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

export const throughput: Benchmark = {
  name: 'throughput',
  keys: ['throughput_ratio', 'added_latency_us_p50', 'added_latency_us_p99'],
  async run(context) {
    const { quick, runId, log } = context;
    const durationMs = quick ? 10_000 : 60_000;
    const windowMs = 5_000;
    const concurrency = 16;
    const sequential = quick ? 150 : 1_000;
    const taskQueue = `bench-tp-${runId}`;

    const { supervisor, creator } = await startSupervisor(context);
    const client = await plainClient(context);

    const options = (id: string) => ({ workflowId: id, taskQueue, args: ['tp', 0] });
    const supervised: Start = (n) => creator.start('greetAfterSleep', options(`tp-${runId}-s-${n}`));
    const plain: Start = (n) => client.workflow.start('greetAfterSleep', options(`tp-${runId}-p-${n}`));

    const ids = { next: 0 };
    const errors = new Map<string, number>();
    // Warm up both paths (JIT, HTTP/2 streams, the server's caches).
    await sideBySide({ supervised, plain }, concurrency / 2, quick ? 2_000 : 5_000, 1_000, ids, errors);
    const counts = await sideBySide(
      { supervised, plain },
      concurrency / 2,
      durationMs,
      windowMs,
      ids,
      errors,
    );
    const ratios = counts.supervised.map((s, i) => s / Math.max(1, counts.plain[i] ?? 0));
    const supervisedRate = sum(counts.supervised) / (durationMs / 1000);
    const plainRate = sum(counts.plain) / (durationMs / 1000);
    log(
      `  side by side for ${durationMs / 1000} s: supervised ${supervisedRate.toFixed(1)}/s, plain ${plainRate.toFixed(1)}/s`,
    );

    // Latency of one start per side, both issued at the same moment, one pair after another.
    const latency = { supervised: [] as number[], plain: [] as number[] };
    const timed = async (side: keyof typeof latency, start: Start) => {
      const began = performance.now();
      try {
        await start(ids.next++);
      } catch (error) {
        errors.set(describe(error), (errors.get(describe(error)) ?? 0) + 1);
        return;
      }
      latency[side].push((performance.now() - began) * 1000);
    };
    for (let i = 0; i < sequential; i++) {
      await Promise.all(
        i % 2 === 0
          ? [timed('supervised', supervised), timed('plain', plain)]
          : [timed('plain', plain), timed('supervised', supervised)],
      );
    }
    const added = (p: number) =>
      round((percentile(latency.supervised, p) ?? 0) - (percentile(latency.plain, p) ?? 0), 0);

    // The supervisor's own cost per call, without the network: withClient around a call that does nothing.
    const overhead = { supervised: [] as number[], direct: [] as number[] };
    const nothing = async () => undefined;
    for (let i = 0; i < 5_000; i++) {
      let began = performance.now();
      await supervisor.withClient(nothing);
      overhead.supervised.push((performance.now() - began) * 1000);
      began = performance.now();
      await nothing();
      overhead.direct.push((performance.now() - began) * 1000);
    }

    return {
      figures: {
        throughput_ratio: round(supervisedRate / plainRate, 3),
        added_latency_us_p50: added(50),
        added_latency_us_p99: added(99),
      },
      notes: [
        `both sides at once for ${durationMs / 1000} s, ${concurrency / 2} starts in flight each: supervised ${supervisedRate.toFixed(1)}/s, plain ${plainRate.toFixed(1)}/s; ratio per ${windowMs / 1000} s window ${describeSummary(summarize(ratios), 3)}`,
        `one start per side at the same moment, ${sequential} pairs in a row (µs): supervised ${describeSummary(summarize(latency.supervised))}; plain ${describeSummary(summarize(latency.plain))}`,
        `failed starts (either side, not counted): ${[...errors].map(([e, c]) => `${e} ×${c}`).join('; ') || 'none'}`,
        `supervisor's own cost per call (withClient around a no-op, µs): ${describeSummary(summarize(overhead.supervised), 1)}; a bare awaited no-op: ${describeSummary(summarize(overhead.direct), 1)}`,
      ],
    };
  },
};
