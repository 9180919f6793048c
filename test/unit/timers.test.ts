/**
 * `withTimeout` (src/runtime/timers.ts), by its contract: `work`, or a rejection with `onTimeout()` once `ms`
 * pass on the clock first; the timer is always cleared when `work` settles; `onTimeout` runs only if the timer
 * fires.
 */
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../src/runtime/timers.js';
import { flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

function outcome<T>(promise: Promise<T>) {
  const seen: { state: string; value?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(seen, { state: 'resolved', value }),
    (value: unknown) => Object.assign(seen, { state: 'rejected', value }),
  );
  return seen;
}

describe('withTimeout', () => {
  it('resolves with the work, clears its timer, and never calls onTimeout', async () => {
    const clock = new ManualClock();
    let timeouts = 0;
    const seen = outcome(withTimeout(clock, 100, Promise.resolve('done'), () => timeouts++));
    await flush();
    expect(seen).toEqual({ state: 'resolved', value: 'done' });
    expect(clock.pending).toBe(0);
    clock.advance(1_000);
    expect(timeouts).toBe(0);
  });

  it("rejects with the work's own error, clearing its timer", async () => {
    const clock = new ManualClock();
    const error = new Error('work failed');
    const seen = outcome(withTimeout(clock, 100, Promise.reject(error), () => 'timeout'));
    await flush();
    expect(seen).toEqual({ state: 'rejected', value: error });
    expect(clock.pending).toBe(0);
  });

  it('rejects with what onTimeout returns at exactly ms (not before), once', async () => {
    const clock = new ManualClock();
    let timeouts = 0;
    const marker = new Error('deadline');
    const seen = outcome(
      withTimeout(clock, 100, new Promise(() => {}), () => {
        timeouts++;
        return marker;
      }),
    );
    clock.advance(99);
    await flush();
    expect(seen.state).toBe('pending');
    clock.advance(1);
    await flush();
    expect(seen).toEqual({ state: 'rejected', value: marker });
    expect(timeouts).toBe(1);
    expect(clock.pending).toBe(0);
  });

  it('work settling after the timeout changes nothing', async () => {
    const clock = new ManualClock();
    let finish!: (v: string) => void;
    const seen = outcome(withTimeout(clock, 10, new Promise<string>((r) => (finish = r)), () => 'late'));
    clock.advance(10);
    await flush();
    finish('done');
    await flush();
    expect(seen).toEqual({ state: 'rejected', value: 'late' });
  });
});
