import type { ConnectionState } from '../../machines/connection.types.js';
import { SupervisorTimeoutError, type TemporalUnavailableError } from '../errors.js';
import type { Clock } from '../runtime/clock.js';
import { withTimeout } from '../runtime/timers.js';
import type { Listeners } from '../runtime/transition-hub.js';
import type { StateChange, SupervisorSnapshot } from './types.js';

/** What waiting for a state needs of the runtime. */
export interface StateWaitHost {
  readonly clock: Clock;
  readonly state: ConnectionState;
  readonly stopped: boolean;
  readonly stateListeners: Listeners<StateChange>;
  unavailable(reason: 'stopped', detail: string): TemporalUnavailableError;
  snapshot(): SupervisorSnapshot;
}

/**
 * Resolves once the state is one of `states`; rejects with `SupervisorTimeoutError` after `timeoutMs`, and with
 * `TemporalUnavailableError` (reason `stopped`) once the supervisor was stopped and will never get there.
 */
export function untilState(
  host: StateWaitHost,
  states: readonly ConnectionState[],
  timeoutMs?: number,
): Promise<void> {
  if (states.includes(host.state)) return Promise.resolve();
  // A stopped supervisor never reaches a state of its life again: say so instead of waiting forever.
  const unreachable = () =>
    host.unavailable('stopped', `the supervisor was stopped, so it will never be ${states.join(' or ')}`);
  if (host.stopped && (host.state === 'disconnected' || !states.includes('disconnected'))) {
    return Promise.reject(unreachable());
  }
  let subscription: { dispose(): void } | undefined;
  const reached = new Promise<void>((resolve, reject) => {
    subscription = host.stateListeners.add(({ to }) => {
      if (states.includes(to)) resolve();
      else if (
        host.stopped &&
        (to === 'stopping' || to === 'disconnected') &&
        !states.includes('disconnected')
      ) {
        reject(unreachable());
      }
    });
  });
  const bounded =
    timeoutMs === undefined
      ? reached
      : withTimeout(host.clock, timeoutMs, reached, () => {
          return new SupervisorTimeoutError(
            `Timed out after ${timeoutMs} ms waiting for state ${states.join(' or ')}; the state is ${host.state}`,
            { expected: states, state: host.state, timeoutMs, snapshot: host.snapshot() },
          );
        });
  return bounded.finally(() => subscription?.dispose());
}
