/**
 * The creator statechart as a test model, replayed through the whole supervisor: each creator event is
 * caused the way it happens in production (the connection comes up or is lost, the supervisor stops), and
 * after every step the creator child must have processed that event and match the model, and a request
 * through the creator must be answered as the model's state says.
 */
import type { AnyMachineSnapshot } from 'xstate';
import { type CreatorEvent, creatorMachine } from '../../machines/creator.machine.js';
import { isTemporalUnavailableError } from '../../src/errors.js';
import { flush } from '../support/fake-connector.js';
import { childStepMismatch, MODEL_CREATOR, ModelDriver } from './connection.model.js';
import { pathsPerTransition, type TransitionPath } from './transition-paths.js';

type CreatorModelEvent =
  | CreatorEvent
  | { type: 'xstate.done.actor.settleRequests'; output: undefined }
  | { type: 'xstate.error.actor.settleRequests'; error: Error };

const EVENTS: readonly CreatorModelEvent[] = [
  { type: 'CONNECTION_UP', connectionId: 1 },
  { type: 'CONNECTION_DOWN' },
  { type: 'STOP' },
  { type: 'xstate.done.actor.settleRequests', output: undefined },
  { type: 'xstate.error.actor.settleRequests', error: new Error('settling failed') },
];

const CHILD_ID = `creator:${MODEL_CREATOR}`;

export function creatorPaths() {
  return pathsPerTransition<CreatorModelEvent>(creatorMachine, {
    input: { name: MODEL_CREATOR },
    events: () => EVENTS,
    serializeState: (snapshot) => JSON.stringify(snapshot.value),
  });
}

function observable(snapshot: AnyMachineSnapshot) {
  const c = snapshot.context as { connectionId?: number; bindings: number };
  return {
    value: snapshot.value,
    bound: c.connectionId !== undefined,
    bindings: c.bindings,
    status: snapshot.status,
  };
}

async function perform(
  driver: ModelDriver,
  event: CreatorModelEvent,
  next: CreatorModelEvent | undefined,
): Promise<void> {
  const { supervisor, connector } = driver;
  switch (event.type) {
    case 'CONNECTION_UP':
      await driver.connectionUp();
      break;
    case 'CONNECTION_DOWN':
      driver.connectionDown();
      break;
    case 'STOP':
      if (next?.type === 'xstate.error.actor.settleRequests') {
        // Fault injection: settling throws; the creator must still end stopped.
        supervisor.creator(MODEL_CREATOR).settle = () => Promise.reject(new Error('settling failed'));
      }
      for (const attempt of connector.attempts) attempt.reject(new Error('abandoned'));
      void supervisor.stop();
      return;
    default:
      break;
  }
  await flush();
}

/** What a creator request answers in this state: 'served', or the rejection reason. */
async function gate(driver: ModelDriver): Promise<string> {
  return driver.supervisor
    .creator(MODEL_CREATOR)
    .start('wf', { workflowId: `gate-${Math.random()}`, taskQueue: 'q' }, { failFast: true })
    .then(
      () => 'served',
      (error: unknown) => (isTemporalUnavailableError(error) ? error.reason : `unexpected ${String(error)}`),
    );
}

function expectedGate(snapshot: AnyMachineSnapshot): string {
  if (snapshot.matches('ready')) return 'served';
  if (snapshot.matches('waiting')) return 'fail_fast';
  return 'stopped';
}

export async function replayCreator(
  path: TransitionPath<CreatorModelEvent>,
): Promise<{ problem: string } | undefined> {
  const driver = new ModelDriver();
  try {
    for (const [i, step] of path.steps.entries()) {
      await perform(driver, step.event, path.steps[i + 1]?.event);
      const mismatch = await childStepMismatch(driver, CHILD_ID, i, step, observable);
      if (mismatch) return { problem: mismatch };
      const answered = await gate(driver);
      if (answered !== expectedGate(step.state)) {
        return {
          problem: `step ${i} ${step.event.type}: a request got ${answered}, model says ${expectedGate(step.state)}`,
        };
      }
    }
    return undefined;
  } finally {
    await driver.finish();
  }
}

export type { CreatorModelEvent };
