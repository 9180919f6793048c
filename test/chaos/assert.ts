/** The invariant assertions every chaos scenario ends with. */
import { expect } from 'vitest';
import { type ChaosReport, summaryLine } from './chaos-run.js';

/** No lost request, no duplicate, no zombie, no unhandled rejection, no late settlement; logs the summary. */
export function expectInvariants(report: ChaosReport): void {
  const details = report.violations.join('\n');
  console.log(
    `[chaos ${report.name}] ${summaryLine(report)} retried=${report.retried} ` +
      `maybeAppliedResolved=${report.resolvedMaybeApplied} rejectedBy=${JSON.stringify(report.rejectedByReason)} ` +
      `executions=${report.executions} elapsedMs=${report.elapsedMs} drainedMs=${report.drainedMs}`,
  );
  for (const [key, sample] of Object.entries(report.rejectedSamples))
    console.log(`  rejected ${key}: ${sample}`);
  expect(report.violations, details).toEqual([]);
  expect({
    lost: report.lost,
    duplicates: report.duplicates,
    zombies: report.zombies,
    unhandledRejections: report.unhandledRejections,
    late: report.late,
  }).toEqual({ lost: 0, duplicates: 0, zombies: 0, unhandledRejections: 0, late: 0 });
  expect(report.started + report.rejected).toBe(report.requests);
}
