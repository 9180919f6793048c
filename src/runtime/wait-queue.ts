import type { Clock } from './clock.js';
import type { AbortLike } from './stop-signal.js';

interface Waiter<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: unknown) => void;
  readonly cleanup: () => void;
}

/**
 * A bounded FIFO of requests waiting for a value (the supervisor's: a serving connection), each until the
 * value comes, its own wait time passes, or its signal aborts. Nothing in it outlives its deadline.
 */
export class WaitQueue<T> {
  private readonly waiters = new Set<Waiter<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly capacity: number,
  ) {}

  get size(): number {
    return this.waiters.size;
  }

  get full(): boolean {
    return this.waiters.size >= this.capacity;
  }

  /**
   * Waits for `release`. Rejects with `onTimeout()` after `waitMs`, with the signal's reason when it
   * aborts, or with what `rejectAll` gives.
   */
  wait(waitMs: number, signal: AbortLike | undefined, onTimeout: () => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        waiter.cleanup();
        reject(signal?.reason);
      };
      const timer = this.clock.setTimeout(() => {
        waiter.cleanup();
        reject(onTimeout());
      }, waitMs);
      const waiter: Waiter<T> = {
        resolve,
        reject,
        cleanup: () => {
          this.waiters.delete(waiter);
          this.clock.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Hands `value` to the `count` oldest waiters (fewer if fewer wait); returns how many it released. */
  release(value: T, count: number): number {
    let released = 0;
    for (const waiter of this.waiters) {
      if (released >= count) break;
      waiter.cleanup();
      waiter.resolve(value);
      released++;
    }
    return released;
  }

  /** Rejects every waiter with a fresh `error()`. */
  rejectAll(error: () => unknown): void {
    for (const waiter of [...this.waiters]) {
      waiter.cleanup();
      waiter.reject(error());
    }
  }
}
