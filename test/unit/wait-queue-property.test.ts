/**
 * The WaitQueue against a model of what its doc comment promises, over random sequences of waits (each with its
 * own wait time, some with a signal), aborts, releases and clock moves: a waiter rejects with its own wait time
 * exactly when that time has passed (never before, never after the clock reached it), releases go to the oldest
 * waiters first, an aborted waiter rejects with its signal's reason, and nothing is left behind — no listener on
 * a signal of a settled waiter, no timer once nobody waits, one timer at most while some do. The model is a
 * plain list; the queue's one timer over a min-heap of deadlines is what it checks.
 * Seeded (PROPERTY_SEED replays a run, as test/unit/properties.test.ts).
 */
import { getEventListeners } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StopSignal } from '../../src/runtime/stop-signal.js';
import { WaitQueue } from '../../src/runtime/wait-queue.js';
import { ManualClock, settle } from '../support/manual-clock.js';

const SEED = Number(process.env.PROPERTY_SEED ?? 20261201);

type Op =
  | { readonly kind: 'wait'; readonly waitMs: number; readonly signal: 'none' | 'stop' | 'abort' }
  | { readonly kind: 'abort'; readonly pick: number }
  | { readonly kind: 'release'; readonly count: number }
  | { readonly kind: 'advance'; readonly ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('wait' as const),
      waitMs: fc.integer({ min: 1, max: 400 }),
      signal: fc.constantFrom('none' as const, 'stop' as const, 'abort' as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('release' as const), count: fc.integer({ min: 1, max: 4 }) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 150 }) }),
  },
);

interface Expected {
  readonly id: number;
  readonly due: number;
  readonly waitMs: number;
  /** The queue's own StopSignal or a DOM AbortController's signal (Node's EventTarget). */
  readonly signal: { readonly listeners: () => number; abort(reason: unknown): void } | undefined;
  /** What the model says it is by now. */
  state: 'waiting' | 'released' | 'late' | 'aborted';
  /** What the queue did. */
  seen: string;
}

describe('WaitQueue: deadlines, order and clean-up against a model (property)', () => {
  it('holds for random sequences of waits, aborts, releases and clock moves', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), async (ops) => {
        const clock = new ManualClock();
        const queue = new WaitQueue<string>(clock, 1_000, (waitMs) => new Error(`late ${waitMs}`));
        const all: Expected[] = [];
        const waiting = () => all.filter((w) => w.state === 'waiting');
        /** The model's clock move: every waiter due by `to` is late; the queue must agree at each timer. */
        const advance = async (ms: number) => {
          const to = clock.now() + ms;
          for (;;) {
            const due = clock.nextDue;
            if (due === undefined || due > to) break;
            clock.fireNext();
            for (const w of waiting()) if (w.due <= clock.now()) w.state = 'late';
            await settle();
            check();
          }
          clock.advance(to - clock.now());
          for (const w of waiting()) if (w.due <= clock.now()) w.state = 'late';
          await settle();
        };
        const check = () => {
          for (const w of all) {
            const want =
              w.state === 'waiting'
                ? 'pending'
                : w.state === 'released'
                  ? 'value conn'
                  : w.state === 'late'
                    ? `error late ${w.waitMs}`
                    : `error aborted ${w.id}`;
            expect(`${w.id}: ${w.seen}`).toBe(`${w.id}: ${want}`);
            if (w.state !== 'waiting') expect(w.signal?.listeners() ?? 0).toBe(0);
          }
          expect(queue.size).toBe(waiting().length);
          expect(clock.pending).toBe(waiting().length > 0 ? 1 : 0);
          // The one timer fires no later than the earliest deadline still waiting (it may be armed for one that
          // left early: it then finds nobody due and re-arms, as the queue's comment says).
          const earliest = Math.min(...waiting().map((w) => w.due));
          if (waiting().length > 0) expect(clock.nextDue).toBeLessThanOrEqual(earliest);
        };
        for (const next of ops) {
          switch (next.kind) {
            case 'wait': {
              const stop = new StopSignal();
              const controller = new AbortController();
              const given =
                next.signal === 'stop' ? stop : next.signal === 'abort' ? controller.signal : undefined;
              const signal =
                next.signal === 'stop'
                  ? { listeners: () => stop.listenerCount, abort: (r: unknown) => stop.abort(r) }
                  : next.signal === 'abort'
                    ? {
                        listeners: () => getEventListeners(controller.signal, 'abort').length,
                        abort: (r: unknown) => controller.abort(r),
                      }
                    : undefined;
              const w: Expected = {
                id: all.length,
                due: clock.now() + next.waitMs,
                waitMs: next.waitMs,
                signal,
                state: 'waiting',
                seen: 'pending',
              };
              all.push(w);
              queue.wait(next.waitMs, given).then(
                (value) => {
                  w.seen = `value ${value}`;
                },
                (error: Error) => {
                  w.seen = `error ${error.message}`;
                },
              );
              break;
            }
            case 'abort': {
              const withSignal = waiting().filter((w) => w.signal);
              const w = withSignal[next.pick % Math.max(1, withSignal.length)];
              if (!w) break;
              w.state = 'aborted';
              w.signal?.abort(new Error(`aborted ${w.id}`));
              break;
            }
            case 'release': {
              for (const w of waiting().slice(0, next.count)) w.state = 'released';
              queue.release('conn', next.count);
              break;
            }
            case 'advance':
              await advance(next.ms);
              break;
          }
          await settle();
          check();
        }
        // In the end everyone still waiting is late at their own time, one by one.
        await advance(400);
        check();
        expect(clock.pending).toBe(0);
      }),
      { seed: SEED, numRuns: 200, endOnFailure: true },
    );
  });
});
