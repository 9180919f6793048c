/**
 * A probe with no answer within `slowThreshold` (docs/connection.md, "A black hole within a second"): given up as
 * `unanswered` at exactly that time; a NOT_SERVING answer is waited for; a timer that fired over 20 ms late
 * gives pending I/O one more turn; nothing is left armed. Written from the docs, with concrete numbers.
 */
import { describe, expect, it } from 'vitest';
import type { ProbeResult } from '../../machines/connection.types.js';
import type { Clock } from '../../src/runtime/clock.js';
import { answeredWithin } from '../../src/supervisor/probe-answer.js';
import { ManualClock, settle } from '../support/manual-clock.js';

function deferred() {
  let resolve!: (r: ProbeResult) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<ProbeResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function track(promise: Promise<ProbeResult>) {
  const seen: { value?: ProbeResult; error?: unknown } = {};
  promise.then(
    (value) => {
      seen.value = value;
    },
    (error: unknown) => {
      seen.error = error;
    },
  );
  return seen;
}

/** answeredWithin(call, 400 ms) begun at `started`, watched. */
function within(
  call: Promise<ProbeResult>,
  clock: Clock,
  {
    started = 0,
    answered = (): boolean => false,
    signal = new AbortController().signal,
  }: { started?: number; answered?: () => boolean; signal?: AbortSignal } = {},
) {
  return track(answeredWithin(call, 400, { clock, signal, started, answered }));
}

describe('answeredWithin (slowThreshold 400 ms)', () => {
  it('an answer in time passes through and leaves no timer', async () => {
    const clock = new ManualClock();
    const call = deferred();
    const seen = within(call.promise, clock);
    await clock.run(399);
    call.resolve({ latencyMs: 399 });
    await settle();
    expect(seen.value).toEqual({ latencyMs: 399 });
    expect(clock.pending).toBe(0);
  });

  it('no answer: unanswered at 400 ms, not at 399; the call ending later changes nothing', async () => {
    const clock = new ManualClock();
    const call = deferred();
    const seen = within(call.promise, clock);
    await clock.run(399);
    expect(seen).toEqual({});
    await clock.run(1);
    expect(seen.value).toEqual({ latencyMs: 400, unanswered: true });
    expect(clock.pending).toBe(0);
    call.reject(new Error('deadline'));
    await settle();
    expect(seen.error).toBeUndefined();
  });

  it('a failure in time rejects with it', async () => {
    const clock = new ManualClock();
    const call = deferred();
    const seen = within(call.promise, clock);
    const failure = new Error('14 UNAVAILABLE');
    call.reject(failure);
    await settle();
    expect(seen.error).toBe(failure);
    expect(clock.pending).toBe(0);
  });

  it('answered (NOT_SERVING, a renewal under way): waited for past 400 ms, to its own end', async () => {
    const clock = new ManualClock();
    const call = deferred();
    let answered = false;
    const seen = within(call.promise, clock, { answered: () => answered });
    await clock.run(5);
    answered = true;
    await clock.run(700);
    expect(seen).toEqual({});
    call.resolve({ latencyMs: 5 });
    await settle();
    expect(seen.value).toEqual({ latencyMs: 5 });
  });

  it('a timer 21 ms late gives pending I/O one turn: an answer read then counts; none is unanswered after it', async () => {
    // A clock whose timers fire 100 ms late, as after a GC pause.
    const manual = new ManualClock();
    let lateBy = 100;
    const late: Clock = {
      now: () => manual.now() + lateBy,
      setTimeout: (fn, ms) => manual.setTimeout(fn, ms),
      clearTimeout: (handle) => manual.clearTimeout(handle),
    };
    const call = deferred();
    const seen = within(call.promise, late);
    manual.fireNext(); // the timer fires at 400, "late": no verdict yet, one more turn armed
    expect(seen).toEqual({});
    expect(manual.pending).toBe(1);
    call.resolve({ latencyMs: 480 }); // the answer that was waiting in the socket
    await settle();
    expect(seen.value).toEqual({ latencyMs: 480 });
    expect(manual.pending).toBe(0);

    // The same stall with nothing read in that turn: unanswered, with the time really waited.
    const second = deferred();
    const seen2 = within(second.promise, late, { started: 400 });
    manual.fireNext();
    expect(seen2).toEqual({});
    lateBy = 120;
    manual.fireNext();
    await settle();
    expect(seen2.value).toEqual({ latencyMs: 520, unanswered: true });
    expect(manual.pending).toBe(0);
  });

  it('20 ms late is on time: no extra turn', async () => {
    const manual = new ManualClock();
    const late: Clock = {
      now: () => manual.now() + 20,
      setTimeout: (fn, ms) => manual.setTimeout(fn, ms),
      clearTimeout: (handle) => manual.clearTimeout(handle),
    };
    const seen = within(deferred().promise, late);
    manual.advance(400);
    await settle();
    expect(seen.value).toEqual({ latencyMs: 420, unanswered: true });
  });

  it('an abort (the statechart moved on) clears the timer', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const seen = within(deferred().promise, clock, { signal: controller.signal });
    expect(clock.pending).toBe(1);
    controller.abort();
    expect(clock.pending).toBe(0);
    await clock.run(1_000);
    expect(seen).toEqual({});
  });
});
