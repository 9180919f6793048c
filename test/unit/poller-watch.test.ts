/**
 * Issue 16 item 4: the poller check, on the manual clock. What the server reports is scripted: the expectations
 * come from docs/workers.md ("Workers that run but do not poll"): an absence is a `lastAccessTime` of the
 * worker's identity that has not moved for `absentFor` while reads succeed and the worker has free slots; a
 * failed read or a worker with no free slot restarts the count; every partition is read until one moved.
 */
import { describe, expect, it } from 'vitest';
import { PollerWatch, type PollerWatchTarget, pollerTarget } from '../../src/children/poller-watch.js';
import { ConnectionFailureError, TemporalUnavailableError } from '../../src/errors.js';
import { resolveWorkerOptions } from '../../src/options/worker.js';
import type { SeenPoller, TaskQueueKind } from '../../src/temporal/task-queue-pollers.js';
import { partitionName } from '../../src/temporal/task-queue-pollers.js';
import { ManualClock } from '../support/manual-clock.js';

const check = { intervalMs: 1_000, absentForMs: 5_000, partitions: 4 };
const ME = '42@host';

function target(kinds: TaskQueueKind[] = ['workflow'], free = () => true): PollerWatchTarget {
  return { taskQueue: 'q', identity: ME, kinds, hasFreeSlot: free };
}

/** Lets the watch's reads (promises) settle. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Advances `ms` one interval at a time, letting each tick's reads settle. */
async function run(clock: ManualClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += check.intervalMs) {
    clock.advance(check.intervalMs);
    await settle();
  }
}

function outcome(watch: PollerWatch): { fired: boolean; error?: unknown } {
  const seen: { fired: boolean; error?: unknown } = { fired: false };
  watch.absent.catch((error) => {
    seen.fired = true;
    seen.error = error;
  });
  return seen;
}

describe('PollerWatch', () => {
  it('never reports a worker whose last poll keeps moving', async () => {
    const clock = new ManualClock();
    let server = 1_000_000;
    const reads: number[] = [];
    const watch = new PollerWatch(
      async (_kind, partition) => {
        reads.push(partition);
        server += 700;
        return [{ identity: ME, lastAccessMs: server }];
      },
      target(),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 60_000);
    await settle();
    expect(seen.fired).toBe(false);
    // Found on partition 0 each time: no other partition read.
    expect(new Set(reads)).toEqual(new Set([0]));
    expect(reads.length).toBe(60);
    watch.stop();
  });

  it('reports WORKER_NOT_POLLING once the last poll has not moved for absentFor, at the first read past it', async () => {
    const clock = new ManualClock();
    let moving = true;
    let server = 1_000_000;
    const watch = new PollerWatch(
      async () => {
        if (moving) server += 500;
        return [{ identity: ME, lastAccessMs: server }];
      },
      target(),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 10_000);
    expect(seen.fired).toBe(false);
    // Last move seen at the read of t = 10 s; reads at 11…14 s see it still; 15 s is 5 s after.
    moving = false;
    await run(clock, 4_000);
    expect(seen.fired).toBe(false);
    await run(clock, 1_000);
    expect(seen.fired).toBe(true);
    expect(seen.error).toBeInstanceOf(ConnectionFailureError);
    const failure = (seen.error as { failure: { code: string; kind: string; message: string } }).failure;
    expect(failure.code).toBe('WORKER_NOT_POLLING');
    expect(failure.kind).toBe('transient');
    expect(failure.message).toContain('"q"');
    expect(failure.message).toContain(ME);
    expect(watch.fired).toBe(true);
    // Stopped: no read after the report.
    expect(clock.pending).toBe(0);
  });

  it('reports a worker that never appears, absentFor after the start', async () => {
    const clock = new ManualClock();
    const watch = new PollerWatch(
      async () => [{ identity: 'someone-else', lastAccessMs: clock.now() + 1e6 }],
      target(),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 4_000);
    expect(seen.fired).toBe(false);
    await run(clock, 1_000);
    expect(seen.fired).toBe(true);
  });

  it('reads every partition until one shows a newer poll', async () => {
    const clock = new ManualClock();
    let server = 1_000_000;
    const reads: string[] = [];
    const watch = new PollerWatch(
      async (_kind, partition) => {
        reads.push(partitionName('q', partition));
        if (partition !== 2) return [];
        server += 1_000;
        return [{ identity: ME, lastAccessMs: server }];
      },
      target(),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 30_000);
    expect(seen.fired).toBe(false);
    expect(reads.slice(0, 3)).toEqual(['q', '/_sys/q/1', '/_sys/q/2']);
    expect(reads).not.toContain('/_sys/q/3');
    watch.stop();
  });

  it('a zombie costs every partition per interval; a stale entry on one partition does not keep it alive', async () => {
    const clock = new ManualClock();
    const reads: number[] = [];
    const watch = new PollerWatch(
      async (_kind, partition) => {
        reads.push(partition);
        return partition === 1 ? [{ identity: ME, lastAccessMs: 5 }] : [];
      },
      target(),
      check,
      clock,
    );
    const seen = outcome(watch);
    // The first read finds the stale entry (newer than nothing) on partition 1: the count starts there, at 1 s.
    await run(clock, 5_000);
    expect(seen.fired).toBe(false);
    await run(clock, 1_000);
    expect(seen.fired).toBe(true);
    // Each later read tried all four.
    expect(reads).toEqual([0, 1, ...Array.from({ length: 5 }, () => [0, 1, 2, 3]).flat()]);
  });

  it('a failed read restarts the count (the supervisor connection down is no evidence)', async () => {
    const clock = new ManualClock();
    let failing = false;
    const watch = new PollerWatch(
      async () => {
        if (failing) throw new Error('UNAVAILABLE');
        return [{ identity: ME, lastAccessMs: 7 }];
      },
      target(),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 3_000);
    failing = true;
    await run(clock, 20_000);
    expect(seen.fired).toBe(false);
    failing = false;
    // The last failed read was at 23 s: 5 s of successful reads that never move from then.
    await run(clock, 4_000);
    expect(seen.fired).toBe(false);
    await run(clock, 1_000);
    expect(seen.fired).toBe(true);
  });

  it('reads failing on a serving connection (matching away): unreachable once, with the failure; reachable once on the next good read', async () => {
    const clock = new ManualClock();
    let failure: Error | undefined;
    const told: string[] = [];
    let server = 1_000;
    const watch = new PollerWatch(
      async () => {
        if (failure) throw failure;
        server += 500;
        return [{ identity: ME, lastAccessMs: server }];
      },
      target(),
      check,
      clock,
      {
        unreachable: ({ since, failure: f }) =>
          told.push(`unreachable since ${since}: ${f.code} ${f.message}`),
        reachable: ({ since }) => told.push(`reachable at ${clock.now()} (since ${since})`),
        redact: (text) => text.replace('secret-key', '[REDACTED]'),
      },
    );
    const seen = outcome(watch);
    await run(clock, 2_000);
    expect(watch.unreachable).toBeUndefined();
    failure = Object.assign(new Error('14 UNAVAILABLE: matching down, key secret-key'), { code: 14 });
    await run(clock, 1_000);
    expect(watch.unreachable).toMatchObject({ since: 3_000, failure: { code: 'UNAVAILABLE' } });
    await run(clock, 10_000); // still failing: told once, never a WORKER_NOT_POLLING
    expect(told).toEqual([
      'unreachable since 3000: UNAVAILABLE 14 UNAVAILABLE: matching down, key [REDACTED]',
    ]);
    failure = undefined;
    await run(clock, 1_000);
    expect(watch.unreachable).toBeUndefined();
    expect(told).toHaveLength(2);
    expect(told[1]).toBe('reachable at 14000 (since 3000)');
    expect(seen.fired).toBe(false);
  });

  it('reads refused because the supervisor connection does not serve are not the task queue unreachable', async () => {
    const clock = new ManualClock();
    const told: string[] = [];
    const watch = new PollerWatch(
      async () => {
        throw new TemporalUnavailableError('Temporal is unavailable (fail_fast)', {
          reason: 'fail_fast',
          state: 'backoff',
          attempt: 1,
          maybeApplied: false,
          lastFailure: undefined,
          retryAfterMs: undefined,
        });
      },
      target(),
      check,
      clock,
      { unreachable: () => told.push('unreachable'), reachable: () => told.push('reachable') },
    );
    await run(clock, 5_000);
    expect(watch.unreachable).toBeUndefined();
    expect(told).toEqual([]);
    watch.stop();
  });

  it('a listener that throws does not stop the watch', async () => {
    const clock = new ManualClock();
    let reads = 0;
    const watch = new PollerWatch(
      async () => {
        reads++;
        throw new Error('14 UNAVAILABLE');
      },
      target(),
      check,
      clock,
      {
        unreachable: () => {
          throw new Error('logger down');
        },
      },
    );
    await run(clock, 3_000);
    expect(reads).toBe(3);
    expect(watch.unreachable?.failure.code).toBe('UNKNOWN');
    watch.stop();
  });

  it('a kind with no free slot is not expected to poll', async () => {
    const clock = new ManualClock();
    let free = false;
    const watch = new PollerWatch(
      async () => [],
      target(['activity'], () => free),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 30_000);
    expect(seen.fired).toBe(false);
    free = true;
    await run(clock, 5_000);
    expect(seen.fired).toBe(true);
  });

  it('a worker status that throws is no evidence: never reported, nothing unhandled', async () => {
    const clock = new ManualClock();
    const watch = new PollerWatch(
      async () => [],
      target(['workflow'], () => {
        throw new Error('status unavailable');
      }),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 30_000);
    expect(seen.fired).toBe(false);
    watch.stop();
  });

  it('watches each kind: an activity queue not polled is reported while the workflow queue is', async () => {
    const clock = new ManualClock();
    let server = 10;
    const watch = new PollerWatch(
      async (kind): Promise<SeenPoller[]> => {
        server += 1;
        return kind === 'workflow' ? [{ identity: ME, lastAccessMs: server }] : [];
      },
      target(['workflow', 'activity']),
      check,
      clock,
    );
    const seen = outcome(watch);
    await run(clock, 5_000);
    expect(seen.fired).toBe(true);
    expect((seen.error as Error).message).toContain('activity task queue');
  });

  it('a worker with nothing to poll is never read', async () => {
    const clock = new ManualClock();
    let reads = 0;
    const watch = new PollerWatch(
      async () => {
        reads++;
        return [];
      },
      target([]),
      check,
      clock,
    );
    await run(clock, 30_000);
    expect(reads).toBe(0);
    expect(watch.fired).toBe(false);
  });
});

describe('workers.<name>.pollerCheck', () => {
  const base = { taskQueue: 'q', activities: {} };
  it('is on by default: 30 s, 2 min, 4 partitions', () => {
    expect(resolveWorkerOptions('workers.w', base).pollerCheck).toEqual({
      intervalMs: 30_000,
      absentForMs: 120_000,
      partitions: 4,
    });
  });
  it('honours each field and false', () => {
    expect(
      resolveWorkerOptions('workers.w', {
        ...base,
        pollerCheck: { interval: '2s', absentFor: 9_000, partitions: 1 },
      }).pollerCheck,
    ).toEqual({ intervalMs: 2_000, absentForMs: 9_000, partitions: 1 });
    expect(resolveWorkerOptions('workers.w', { ...base, pollerCheck: false }).pollerCheck).toBe(false);
  });
  it.each([
    [{ interval: 0 }, 'workers.w.pollerCheck.interval'],
    [{ partitions: 0 }, 'workers.w.pollerCheck.partitions'],
    [{ interval: '10s', absentFor: '10s' }, 'workers.w.pollerCheck.absentFor'],
    [{ every: '1s' }, 'workers.w.pollerCheck.every'],
    ['often', 'workers.w.pollerCheck'],
  ])('rejects %j naming %s', (pollerCheck, field) => {
    expect(() =>
      resolveWorkerOptions('workers.w', { ...base, pollerCheck: pollerCheck as never }),
    ).toThrowError(expect.objectContaining({ name: 'SupervisorOptionsError', field }));
  });
});

describe('pollerTarget (what the check reads of an SDK worker)', () => {
  const fixed = (numSlots: number) => ({ type: 'fixed-size' as const, numSlots });
  function worker(options: Record<string, unknown>, status: Record<string, number> = {}) {
    return {
      options: {
        taskQueue: 'q',
        identity: '7@box',
        enableNonLocalActivities: true,
        activities: new Map(),
        tuner: { workflowTaskSlotSupplier: fixed(2), activityTaskSlotSupplier: fixed(2) },
        ...options,
      },
      getStatus: () => ({ numInFlightWorkflowActivations: 0, numInFlightNonLocalActivities: 0, ...status }),
    } as unknown as Parameters<typeof pollerTarget>[0];
  }

  it('the workflow queue only with workflow code, the activity queue only with activities', () => {
    expect(pollerTarget(worker({ workflowsPath: '/w.ts' })).kinds).toEqual(['workflow']);
    expect(pollerTarget(worker({ activities: new Map([['a', () => {}]]) })).kinds).toEqual(['activity']);
    expect(
      pollerTarget(worker({ workflowBundle: { code: '' }, activities: new Map([['a', () => {}]]) })).kinds,
    ).toEqual(['workflow', 'activity']);
    // The SDK's enableNonLocalActivities false: no activity polls.
    expect(
      pollerTarget(worker({ enableNonLocalActivities: false, activities: new Map([['a', () => {}]]) })).kinds,
    ).toEqual([]);
    expect(pollerTarget(worker({ identity: 'me@host' })).identity).toBe('me@host');
  });

  it('a free slot: below the fixed size, below a resource-based minimum, none in flight otherwise', () => {
    const busy = worker({}, { numInFlightWorkflowActivations: 2, numInFlightNonLocalActivities: 1 });
    expect(pollerTarget(busy).hasFreeSlot('workflow')).toBe(false);
    expect(pollerTarget(busy).hasFreeSlot('activity')).toBe(true);
    const resource = worker(
      {
        tuner: {
          workflowTaskSlotSupplier: { type: 'resource-based', minimumSlots: 1, maximumSlots: 10 },
          activityTaskSlotSupplier: { type: 'custom' },
        },
      },
      { numInFlightWorkflowActivations: 1, numInFlightNonLocalActivities: 1 },
    );
    expect(pollerTarget(resource).hasFreeSlot('workflow')).toBe(false);
    expect(pollerTarget(resource).hasFreeSlot('activity')).toBe(false);
    expect(
      pollerTarget(worker({ tuner: { workflowTaskSlotSupplier: { type: 'custom' } } })).hasFreeSlot(
        'workflow',
      ),
    ).toBe(true);
  });
});
