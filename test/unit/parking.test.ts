/**
 * When a worker may be replaced at no cost, and what the return after an outage decides (docs/states.md, "A
 * worker": `running.away`, `running.resuming`; docs/workers.md): nothing in flight and no workflow cached,
 * and an outage of at least `refreshAfterOutage` (1 s by default).
 */
import type { Worker, WorkerStatus } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { replaceable, resumeVerdict } from '../../src/children/parking.js';

function workerWith(status: Partial<WorkerStatus>): Worker {
  const full = {
    numInFlightActivities: 0,
    numInFlightNonLocalActivities: 0,
    numInFlightLocalActivities: 0,
    numInFlightWorkflowActivations: 0,
    numCachedWorkflows: 0,
    ...status,
  };
  return { getStatus: () => full } as unknown as Worker;
}

describe('replaceable: nothing in flight, no workflow cached', () => {
  it('an idle worker with an empty cache is replaceable', () => {
    expect(replaceable(workerWith({}))).toBe(true);
  });

  it.each([
    ['one activity in flight', { numInFlightActivities: 1 }],
    ['one local activity in flight', { numInFlightLocalActivities: 1 }],
    ['one workflow activation in flight', { numInFlightWorkflowActivations: 1 }],
    ['one workflow cached (its next task would go to this worker’s sticky queue)', { numCachedWorkflows: 1 }],
  ])('%s: not replaceable', (_what, status) => {
    expect(replaceable(workerWith(status))).toBe(false);
  });
});

describe('resumeVerdict: refresh after refreshAfterOutage (1 s) only with no workflow cached', () => {
  it('999 ms: keep, nothing logged; 1000 ms: refresh', () => {
    expect(resumeVerdict(workerWith({}), 999, 1_000)).toEqual({ verdict: 'keep', fields: {} });
    expect(resumeVerdict(workerWith({}), 1_000, 1_000)).toMatchObject({
      verdict: 'refresh',
      fields: { outageMs: 1_000, cachedWorkflows: 0, handedOver: false },
    });
  });

  it('3 workflows cached: kept, however long the outage', () => {
    expect(resumeVerdict(workerWith({ numCachedWorkflows: 3 }), 60_000, 1_000)).toMatchObject({
      verdict: 'keep',
      fields: { outageMs: 60_000, cachedWorkflows: 3 },
    });
  });

  it('an activity in flight, nothing cached: refreshed, the old worker handed over', () => {
    expect(resumeVerdict(workerWith({ numInFlightActivities: 1 }), 5_000, 1_000)).toMatchObject({
      verdict: 'refresh',
      fields: { inFlightActivities: 1, handedOver: true },
    });
  });

  it('refreshAfterOutage false: always kept', () => {
    expect(resumeVerdict(workerWith({}), 60_000, false)).toEqual({ verdict: 'keep', fields: {} });
  });
});
