import type { SupervisedWorker } from '../children/worker.js';
import type { SupervisorLogger } from '../logging/logger.js';
import type { ResolvedOptions } from '../options/types.js';
import { type ActorTransition, splitChildId } from '../runtime/transition-hub.js';

/** What the escalation policy needs of the supervisor's runtime. */
export interface EscalationHost {
  readonly stopped: boolean;
  readonly workers: ReadonlyMap<string, SupervisedWorker>;
  readonly dispatchers: { isSignificant(name: string): boolean };
  readonly log: SupervisorLogger;
  stop(): Promise<void>;
}

/**
 * A significant child given up — a worker beyond its restart intensity, or an outbox dispatcher after
 * `drainRetry.maxFailures` failed drains — : the escalation policy (OTP's auto_shutdown for significant
 * children), as a listener of the transition stream.
 */
export function escalation(host: EscalationHost, policy: ResolvedOptions['escalation']) {
  return (transition: ActorTransition): void => {
    if (transition.to !== 'givenUp' || policy === 'fail-liveness' || host.stopped) return;
    const [kind, name] = splitChildId(transition.actor);
    const significant =
      kind === 'worker'
        ? host.workers.get(name)?.config.significant === true
        : kind === 'dispatcher' && host.dispatchers.isSignificant(name);
    if (!significant) return;
    const exit = typeof policy === 'object' ? policy.exit : undefined;
    host.log.log('error', `Significant ${kind} given up: the supervisor stops`, {
      [kind]: name,
      ...(exit !== undefined ? { exitCode: exit } : {}),
    });
    // Not from inside the transition that reported it: after the statechart has settled.
    setImmediate(() => {
      void host.stop().finally(() => {
        if (exit !== undefined) process.exit(exit);
      });
    });
  };
}
