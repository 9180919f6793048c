/**
 * The part of `AbortSignal` that the runtime's waits use (the wait queue, `sleep`): an `AbortSignal`
 * satisfies it, and so does the lighter {@link StopSignal}.
 */
export interface AbortLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

/**
 * A function, or an object with `handleEvent` (as the DOM's EventTarget takes, and Node's): a waiting request
 * can be its own listener, without a closure of its own.
 */
export type AbortListener = (() => void) | { handleEvent(): void };

/**
 * A request's own stop signal, for the thousands a creator may hold at once: a few fields instead of an
 * `AbortController` and its `AbortSignal` (an EventTarget). Profiled with 20,000 starts queued during an
 * outage: making the controllers and their signals and adding a listener to each took ~6 µs of the ~10 µs
 * the creator spent per request, and they were the largest part of the heap each waiting request kept.
 * Listeners fire once, in the order added, when it aborts; one added after it aborted never fires (as
 * with `AbortSignal`).
 */
export class StopSignal implements AbortLike {
  aborted = false;
  reason: unknown = undefined;
  /** Usually none or one: a request waits on one thing at a time. */
  private listeners: AbortListener[] | undefined;

  addEventListener(_type: 'abort', listener: AbortListener): void {
    if (this.aborted) return;
    if (this.listeners === undefined) this.listeners = [listener];
    else this.listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: AbortListener): void {
    const listeners = this.listeners;
    if (!listeners) return;
    const index = listeners.indexOf(listener);
    if (index >= 0) listeners.splice(index, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = undefined;
    for (const listener of listeners ?? []) {
      if (typeof listener === 'function') listener();
      else listener.handleEvent();
    }
  }

  /** Listeners added and not removed (for leak checks). */
  get listenerCount(): number {
    return this.listeners?.length ?? 0;
  }
}
