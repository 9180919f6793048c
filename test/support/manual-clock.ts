import type { Clock } from '../../src/runtime/clock.js';

interface Timer {
  readonly id: number;
  readonly due: number;
  readonly fn: () => void;
}

/** Lets pending promise callbacks run (a few turns of the real event loop). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** `a` fires before `b`: earlier due time, ties in the order they were set. */
function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.id < b.id);
}

/**
 * A clock that moves only when the test says so, firing due timers one at a time in due order (ties in
 * the order they were set). Unlike XState's SimulatedClock it can say what is pending and step to the next
 * timer, which lets a test fire exactly the delayed event a model path names.
 *
 * Timers sit in a binary heap (cleared ones are dropped lazily), so a simulation with thousands of timers
 * (test/bench/fleet-sim.ts: a thousand supervisors on one clock) steps in O(log n).
 */
export class ManualClock implements Clock {
  private time = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  private readonly heap: Timer[] = [];

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    const timer = { id, due: this.time + Math.max(0, ms), fn };
    this.timers.set(id, timer);
    this.push(timer);
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
    return this.peek()?.due;
  }

  /** Moves to the next timer's due time and fires it; false when nothing is pending. */
  fireNext(): boolean {
    const next = this.peek();
    if (!next) return false;
    this.pop();
    this.timers.delete(next.id);
    this.time = Math.max(this.time, next.due);
    next.fn();
    return true;
  }

  /**
   * Like {@link advance}, but lets promise callbacks run before and after each timer, as a real event loop
   * does between timers: a fake that answers at once (a healthy server) answers before the next timer fires.
   */
  async run(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      await settle();
      const due = this.nextDue;
      if (due === undefined || due > target) break;
      this.fireNext();
    }
    this.time = target;
    await settle();
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

  /** The earliest live timer, dropping cleared ones from the top of the heap. */
  private peek(): Timer | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.timers.get(top.id) === top) return top;
      this.pop();
    }
  }

  private push(timer: Timer): void {
    const heap = this.heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Timer, heap[parent] as Timer)) break;
      [heap[i], heap[parent]] = [heap[parent] as Timer, heap[i] as Timer];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < heap.length && before(heap[left] as Timer, heap[first] as Timer)) first = left;
      if (right < heap.length && before(heap[right] as Timer, heap[first] as Timer)) first = right;
      if (first === i) return;
      [heap[i], heap[first]] = [heap[first] as Timer, heap[i] as Timer];
      i = first;
    }
  }
}
