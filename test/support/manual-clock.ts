import type { Clock } from '../../src/runtime/clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when the test says so, firing due timers one at a time in due order (ties in
 * the order they were set). Unlike XState's SimulatedClock it can say what is pending and step to the next
 * timer, which lets a test fire exactly the delayed event a model path names.
 */
export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { id, due: this.time + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Timers set and neither fired nor cleared. */
  get pending(): number {
    return this.timers.size;
  }

  /** Due time of the next timer, if any. */
  get nextDue(): number | undefined {
    let next: Timer | undefined;
    for (const timer of this.timers.values()) if (!next || timer.due < next.due) next = timer;
    return next?.due;
  }

  /** Moves to the next timer's due time and fires it; false when nothing is pending. */
  fireNext(): boolean {
    let next: Timer | undefined;
    for (const timer of this.timers.values()) if (!next || timer.due < next.due) next = timer;
    if (!next) return false;
    this.timers.delete(next.id);
    this.time = Math.max(this.time, next.due);
    next.fn();
    return true;
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = this.nextDue;
      if (due === undefined || due > target) break;
      this.fireNext();
    }
    this.time = target;
  }
}
