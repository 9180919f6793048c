import type { Clock } from './clock.js';
import type { AbortLike } from './stop-signal.js';

/**
 * One waiting request: its promise's settle functions, when its wait ends and its signal, as fields of one
 * object that is also its signal's listener (a waiting request is counted in thousands during an outage:
 * closures and timers per waiter are its heap).
 */
class Waiter<T> {
  /** Its place in the queue's deadline heap (-1: not in it). */
  heapIndex = -1;

  constructor(
    private readonly queue: WaitQueue<T>,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortLike | undefined,
    readonly waitMs: number,
    readonly due: number,
  ) {}

  /** Its signal aborted: out, with the signal's reason. */
  handleEvent(): void {
    this.queue.leave(this);
    this.reject(this.signal?.reason);
  }
}

/**
 * A bounded FIFO of requests waiting for a value (the supervisor's: a serving connection), each until the
 * value comes, its own wait time passes, or its signal aborts. Nothing in it outlives its deadline.
 *
 * One timer for the whole queue, armed for the earliest deadline of a min-heap of waiters, instead of a timer
 * per waiter (a Node `Timeout` and its callback are ~200 bytes each, measured with 10,000 waiting).
 */
export class WaitQueue<T> {
  /** Arrival order: the order of release. */
  private readonly waiters = new Set<Waiter<T>>();
  /** The same waiters by `due`, as a binary min-heap. */
  private readonly heap: Waiter<T>[] = [];
  private timer: unknown;
  private timerDue = Number.POSITIVE_INFINITY;

  /** `timeoutError(waitMs)`: what a waiter whose wait time passed rejects with. */
  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
    private readonly timeoutError: (waitMs: number) => unknown,
  ) {}

  get size(): number {
    return this.waiters.size;
  }

  get full(): boolean {
    return this.waiters.size >= this.capacity;
  }

  /**
   * Waits for `release`. Rejects with `timeoutError(waitMs)` after `waitMs`, with the signal's reason when it
   * aborts, or with what `rejectAll` gives.
   */
  wait(waitMs: number, signal: AbortLike | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = new Waiter(this, resolve, reject, signal, waitMs, this.clock.now() + waitMs);
      signal?.addEventListener('abort', waiter, { once: true });
      this.waiters.add(waiter);
      this.push(waiter);
      if (waiter.due < this.timerDue) this.arm(waiter.due);
    });
  }

  /** @internal A waiter leaving on its own (its signal aborted). */
  leave(waiter: Waiter<T>): void {
    this.forget(waiter);
  }

  /** Hands `value` to the `count` oldest waiters (fewer if fewer wait); returns how many it released. */
  release(value: T, count: number): number {
    let released = 0;
    for (const waiter of this.waiters) {
      if (released >= count) break;
      this.forget(waiter);
      waiter.resolve(value);
      released++;
    }
    return released;
  }

  /** Rejects every waiter with a fresh `error()`. */
  rejectAll(error: () => unknown): void {
    for (const waiter of [...this.waiters]) {
      this.forget(waiter);
      waiter.reject(error());
    }
  }

  /** Out of the queue and the heap, its listener removed; the timer cleared once nobody waits. */
  private forget(waiter: Waiter<T>): void {
    if (!this.waiters.delete(waiter)) return;
    waiter.signal?.removeEventListener('abort', waiter);
    this.remove(waiter);
    // A timer armed for a waiter that left early fires, finds nobody due, and re-arms (see `expire`).
    if (this.heap.length === 0) this.disarm();
  }

  /** The timer fired: every waiter due by now rejects; then the timer is armed for the next one. */
  private readonly expire = (): void => {
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    while (this.heap.length > 0 && this.heap[0]!.due <= now) {
      const waiter = this.heap[0]!;
      this.forget(waiter);
      waiter.reject(this.timeoutError(waiter.waitMs));
    }
    const next = this.heap[0];
    if (next) this.arm(next.due);
  };

  private arm(due: number): void {
    this.disarm();
    this.timerDue = due;
    this.timer = this.clock.setTimeout(this.expire, Math.max(0, due - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  // ——— the binary min-heap on `due` ———

  private push(waiter: Waiter<T>): void {
    waiter.heapIndex = this.heap.length;
    this.heap.push(waiter);
    this.siftUp(waiter.heapIndex);
  }

  private remove(waiter: Waiter<T>): void {
    const index = waiter.heapIndex;
    if (index < 0) return;
    waiter.heapIndex = -1;
    const last = this.heap.pop()!;
    if (last === waiter) return;
    this.heap[index] = last;
    last.heapIndex = index;
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    let i = index;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.due <= heap[i]!.due) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    let i = index;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && heap[left]!.due < heap[smallest]!.due) smallest = left;
      if (right < heap.length && heap[right]!.due < heap[smallest]!.due) smallest = right;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const heap = this.heap;
    const first = heap[a]!;
    const second = heap[b]!;
    heap[a] = second;
    heap[b] = first;
    first.heapIndex = b;
    second.heapIndex = a;
  }
}
