import type { Clock } from './clock.js';
import type { AbortLike } from './stop-signal.js';

/**
 * One waiting request: its promise's settle functions, its timer and its signal's listener, as fields of one
 * object (a waiting request is counted in thousands during an outage: closures per waiter are its heap).
 */
class Waiter<T> {
  timer: unknown;

  constructor(
    private readonly queue: WaitQueue<T>,
    readonly resolve: (value: T) => void,
    readonly reject: (error: unknown) => void,
    private readonly signal: AbortLike | undefined,
  ) {}

  /** Its signal aborted: out, with the signal's reason. (The waiter is its signal's listener.) */
  handleEvent(): void {
    this.queue.leave(this);
    this.reject(this.signal?.reason);
  }

  /** Out of the queue, its timer cleared and its listener removed. */
  cleanup(clock: Clock): void {
    this.queue.forget(this);
    clock.clearTimeout(this.timer);
    this.signal?.removeEventListener('abort', this);
  }
}

/**
 * A bounded FIFO of requests waiting for a value (the supervisor's: a serving connection), each until the
 * value comes, its own wait time passes, or its signal aborts. Nothing in it outlives its deadline.
 */
export class WaitQueue<T> {
  private readonly waiters = new Set<Waiter<T>>();

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
      const waiter = new Waiter(this, resolve, reject, signal);
      waiter.timer = this.clock.setTimeout(() => {
        waiter.cleanup(this.clock);
        reject(this.timeoutError(waitMs));
      }, waitMs);
      signal?.addEventListener('abort', waiter, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** @internal A waiter leaving (released, timed out, aborted or rejected). */
  forget(waiter: Waiter<T>): void {
    this.waiters.delete(waiter);
  }

  /** @internal A waiter leaving on its own: its cleanup with this queue's clock. */
  leave(waiter: Waiter<T>): void {
    waiter.cleanup(this.clock);
  }

  /** Hands `value` to the `count` oldest waiters (fewer if fewer wait); returns how many it released. */
  release(value: T, count: number): number {
    let released = 0;
    for (const waiter of this.waiters) {
      if (released >= count) break;
      waiter.cleanup(this.clock);
      waiter.resolve(value);
      released++;
    }
    return released;
  }

  /** Rejects every waiter with a fresh `error()`. */
  rejectAll(error: () => unknown): void {
    for (const waiter of [...this.waiters]) {
      waiter.cleanup(this.clock);
      waiter.reject(error());
    }
  }
}
