import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { type Clock, sleep, systemClock } from '../../src/runtime/clock.js';

/** Lets pending promise callbacks run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** Watches a promise's outcome without awaiting it. */
function track(promise: Promise<void>) {
  const state: { settled: 'pending' | 'resolved' | 'rejected'; reason?: unknown } = { settled: 'pending' };
  promise.then(
    () => {
      state.settled = 'resolved';
    },
    (reason: unknown) => {
      state.settled = 'rejected';
      state.reason = reason;
    },
  );
  return state;
}

/** A SimulatedClock whose setTimeout and clearTimeout calls are recorded. */
function spiedClock() {
  const clock = new SimulatedClock();
  const setTimeoutSpy = vi.spyOn(clock, 'setTimeout');
  const clearTimeoutSpy = vi.spyOn(clock, 'clearTimeout');
  return { clock: clock as SimulatedClock & Clock, setTimeoutSpy, clearTimeoutSpy };
}

describe('sleep with a SimulatedClock', () => {
  it('resolves only once the clock has advanced by the full delay', async () => {
    const { clock, setTimeoutSpy } = spiedClock();
    const sleeping = track(sleep(clock, 1_000));
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(setTimeoutSpy.mock.calls[0]?.[1]).toBe(1_000);

    await flush();
    expect(sleeping.settled).toBe('pending');

    clock.increment(999);
    await flush();
    expect(sleeping.settled).toBe('pending');

    clock.increment(1);
    await flush();
    expect(sleeping.settled).toBe('resolved');
  });

  it('with 0 ms still waits for the clock', async () => {
    const { clock } = spiedClock();
    const sleeping = track(sleep(clock, 0));
    await flush();
    expect(sleeping.settled).toBe('pending');
    clock.increment(0);
    await flush();
    expect(sleeping.settled).toBe('resolved');
  });

  it('resolves concurrent sleeps in the order of their deadlines', async () => {
    const { clock } = spiedClock();
    const order: number[] = [];
    const sleeps = [300, 100, 200].map((ms) => sleep(clock, ms).then(() => order.push(ms)));
    clock.increment(150);
    await flush();
    expect(order).toEqual([100]);
    clock.increment(1_000);
    await Promise.all(sleeps);
    expect(order).toEqual([100, 200, 300]);
  });

  it('rejects with the signal reason when aborted, and clears its timer', async () => {
    const { clock, setTimeoutSpy, clearTimeoutSpy } = spiedClock();
    const controller = new AbortController();
    const sleeping = track(sleep(clock, 5_000, controller.signal));
    const handle = setTimeoutSpy.mock.results[0]?.value;

    clock.increment(1_000);
    const reason = new Error('stopped');
    controller.abort(reason);
    await flush();

    expect(sleeping.settled).toBe('rejected');
    expect(sleeping.reason).toBe(reason);
    expect(clearTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(clearTimeoutSpy).toHaveBeenCalledWith(handle);

    // The timer is gone: advancing past the deadline does not run anything left behind.
    const timeouts = (clock as unknown as { timeouts: Map<unknown, unknown> }).timeouts;
    expect(timeouts.size).toBe(0);
  });

  it('rejects with the default AbortError when aborted without a reason', async () => {
    const { clock } = spiedClock();
    const controller = new AbortController();
    const sleeping = track(sleep(clock, 100, controller.signal));
    controller.abort();
    await flush();
    expect(sleeping.settled).toBe('rejected');
    expect((sleeping.reason as Error).name).toBe('AbortError');
  });

  it('rejects at once, without setting a timer, when the signal is already aborted', async () => {
    const { clock, setTimeoutSpy } = spiedClock();
    const reason = new Error('already stopped');
    const sleeping = track(sleep(clock, 100, AbortSignal.abort(reason)));
    await flush();
    expect(sleeping.settled).toBe('rejected');
    expect(sleeping.reason).toBe(reason);
    expect(setTimeoutSpy).not.toHaveBeenCalled();
  });

  it('removes its abort listener once it has resolved', async () => {
    const { clock, clearTimeoutSpy } = spiedClock();
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    const sleeping = track(sleep(clock, 100, controller.signal));
    clock.increment(100);
    await flush();
    expect(sleeping.settled).toBe('resolved');
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function));

    // Aborting afterwards changes nothing: no clearTimeout of a stale handle.
    controller.abort(new Error('late'));
    await flush();
    expect(sleeping.settled).toBe('resolved');
    expect(clearTimeoutSpy).not.toHaveBeenCalled();
  });

  it('an abort after the timer fired does not turn the resolution into a rejection', async () => {
    const { clock } = spiedClock();
    const controller = new AbortController();
    const promise = sleep(clock, 10, controller.signal);
    clock.increment(10);
    controller.abort(new Error('too late'));
    await expect(promise).resolves.toBeUndefined();
  });
});

describe('systemClock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('uses Date.now and Node timers', async () => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
    expect(systemClock.now()).toBe(1_700_000_000_000);
    const fired = vi.fn();
    systemClock.setTimeout(fired, 50);
    const cancelled = vi.fn();
    const handle = systemClock.setTimeout(cancelled, 50);
    systemClock.clearTimeout(handle);
    vi.advanceTimersByTime(49);
    expect(fired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fired).toHaveBeenCalledTimes(1);
    expect(cancelled).not.toHaveBeenCalled();
    expect(systemClock.now()).toBe(1_700_000_000_050);
  });

  it('drives sleep', async () => {
    vi.useFakeTimers();
    const sleeping = track(sleep(systemClock, 200));
    await vi.advanceTimersByTimeAsync(199);
    expect(sleeping.settled).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(sleeping.settled).toBe('resolved');
  });
});
