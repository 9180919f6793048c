/**
 * Where an event-loop stall's milliseconds go: a timer every 5 ms notes each gap longer than `minMs` between
 * its turns, and how much of that gap the main thread spent on a CPU and waiting for one, read from the
 * kernel's per-thread scheduler counters (/proc/self/task/PID/schedstat: ns on a CPU, ns runnable but not
 * running). A stall whose main thread ran for a few ms and waited the rest is the machine's (the dev server,
 * the collector's helper threads, other processes on the two cores), not the code on the loop. Linux only:
 * elsewhere (or when the file cannot be read) the counters are `undefined`.
 */
import { readFileSync } from 'node:fs';

export interface Stall {
  /** ms from `start()` to the beginning of the gap. */
  readonly at: number;
  readonly ms: number;
  readonly onCpuMs?: number;
  readonly waitingMs?: number;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;

function schedstat(): readonly [number, number] | undefined {
  try {
    const [onCpu, waiting] = readFileSync(SCHEDSTAT, 'utf8').split(' ').map(Number);
    return onCpu !== undefined && waiting !== undefined && Number.isFinite(onCpu + waiting)
      ? [onCpu, waiting]
      : undefined;
  } catch {
    return undefined;
  }
}

export class StallTracer {
  readonly stalls: Stall[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private began = 0;
  private last = 0;
  private lastCounters: readonly [number, number] | undefined;

  constructor(private readonly minMs = 30) {}

  start(): void {
    this.began = performance.now();
    this.resume();
    this.timer = setInterval(() => this.tick(), 5);
  }

  /** Forget the time since the last turn (a pause the caller made on purpose, e.g. a forced GC). */
  resume(): void {
    this.last = performance.now();
    this.lastCounters = schedstat();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The stall whose main thread was on a CPU longest, and the longest stall. */
  summary(): { longest?: Stall; busiest?: Stall } {
    const by = (key: (s: Stall) => number) =>
      this.stalls.reduce<Stall | undefined>(
        (best, s) => (best === undefined || key(s) > key(best) ? s : best),
        undefined,
      );
    const longest = by((s) => s.ms);
    const busiest = this.stalls.every((s) => s.onCpuMs !== undefined) ? by((s) => s.onCpuMs ?? 0) : undefined;
    return { ...(longest ? { longest } : {}), ...(busiest ? { busiest } : {}) };
  }

  private tick(): void {
    const now = performance.now();
    const counters = schedstat();
    const ms = now - this.last;
    if (ms > this.minMs) {
      const before = this.lastCounters;
      this.stalls.push({
        at: Math.round(this.last - this.began),
        ms: Math.round(ms),
        ...(counters && before
          ? {
              onCpuMs: Math.round((counters[0] - before[0]) / 1e6),
              waitingMs: Math.round((counters[1] - before[1]) / 1e6),
            }
          : {}),
      });
    }
    this.last = now;
    this.lastCounters = counters;
  }
}

export function describeStall(stall: Stall | undefined): string {
  if (stall === undefined) return 'none';
  const split =
    stall.onCpuMs === undefined
      ? ''
      : `, the main thread on a CPU ${stall.onCpuMs} ms and waiting for one ${stall.waitingMs} ms`;
  return `${stall.ms} ms at +${(stall.at / 1000).toFixed(1)} s${split}`;
}
