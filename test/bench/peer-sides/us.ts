/**
 * The `peers` benchmark's side for this library: a supervisor with the defaults, one worker and one creator;
 * a start is `creator.start(…, { timeout })`. A rejection is typed when one of our guards says so, and only then.
 */
import { createSupervisor, isTemporalUnavailableError, isWorkflowConflictError } from '../../../src/index.js';
import { activities, workflowsPath } from '../../fixtures/index.js';
import { waitUntil } from '../../harness/wait.js';
import { installRuntime } from '../../harness/worker.js';
import type { PeerSide, SideConfig } from '../peers-protocol.js';

export async function usSide({ address, taskQueue, deadlineMs }: SideConfig): Promise<PeerSide> {
  installRuntime({ level: 'WARN' });
  const supervisor = createSupervisor({
    address,
    envConfig: false,
    creators: { peer: {} },
    workers: { peer: { taskQueue, workflowsPath, activities } },
  });
  supervisor.start();
  await supervisor.waitFor('connected', { timeout: '60s' });
  await waitUntil(() => supervisor.snapshot().children['worker:peer'] === 'running', {
    timeoutMs: 120_000,
    what: 'the supervised worker to run',
  });
  const creator = supervisor.creator('peer');
  return {
    start: (workflowId) =>
      creator.start('greetAfterSleep', { workflowId, taskQueue, args: ['peer', 0] }, { timeout: deadlineMs }),
    classify(error) {
      if (isTemporalUnavailableError(error)) {
        return { typed: true, reason: error.reason, maybeApplied: error.maybeApplied };
      }
      if (isWorkflowConflictError(error)) return { typed: true, reason: 'conflict' };
      // Anything else from a creator is a leak of an untyped error, whatever it carries.
      return { typed: false };
    },
    status() {
      const snapshot = supervisor.snapshot();
      return { state: snapshot.state, worker: snapshot.children['worker:peer'] };
    },
    stop: () => supervisor.stop(),
  };
}
