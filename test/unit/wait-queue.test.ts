import { describe, expect, it } from 'vitest';
import { WaitQueue } from '../../src/runtime/wait-queue.js';
import { ManualClock } from '../support/manual-clock.js';

/** What a waiter whose time passed rejects with: the wait time it had, in the error. */
const late = (waitMs: number) => new Error(`deadline after ${waitMs} ms`);

describe('WaitQueue', () => {
  it('hands the released value to every waiter, oldest first, and empties', async () => {
    const queue = new WaitQueue<string>(new ManualClock(), 10, late);
    const order: string[] = [];
    const a = queue.wait(1_000, undefined).then((v) => order.push(`a:${v}`));
    const b = queue.wait(1_000, undefined).then((v) => order.push(`b:${v}`));
    expect(queue.size).toBe(2);
    queue.release('conn', Number.POSITIVE_INFINITY);
    await Promise.all([a, b]);
    expect(order).toEqual(['a:conn', 'b:conn']);
    expect(queue.size).toBe(0);
  });

  it('rejects a waiter with onTimeout() at its own wait time, not before, and clears its timer', async () => {
    const clock = new ManualClock();
    const queue = new WaitQueue<string>(clock, 10, late);
    let settled: unknown;
    queue.wait(500, undefined).catch((e: unknown) => {
      settled = e;
    });
    clock.advance(499);
    await Promise.resolve();
    expect(settled).toBeUndefined();
    clock.advance(1);
    await Promise.resolve();
    expect(settled).toEqual(new Error('deadline after 500 ms'));
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rejects with the signal reason on abort, and forgets the waiter and its timer', async () => {
    const clock = new ManualClock();
    const queue = new WaitQueue<string>(clock, 10, late);
    const controller = new AbortController();
    const waiting = queue.wait(1_000, controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(queue.size).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rejectAll gives each waiter its own error; full reflects the capacity', async () => {
    const clock = new ManualClock();
    const queue = new WaitQueue<string>(clock, 2, late);
    const errors: unknown[] = [];
    let n = 0;
    queue.wait(1_000, undefined).catch((e: unknown) => errors.push(e));
    expect(queue.full).toBe(false);
    queue.wait(1_000, undefined).catch((e: unknown) => errors.push(e));
    expect(queue.full).toBe(true);
    queue.rejectAll(() => new Error(`stopped ${++n}`));
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toEqual([new Error('stopped 1'), new Error('stopped 2')]);
    expect(clock.pending).toBe(0);
    expect(queue.full).toBe(false);
  });
});
