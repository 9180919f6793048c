import type { AnyActorRef } from 'xstate';
import type { SupervisorLogger } from '../logging/logger.js';
import type { Clock } from './clock.js';
import { withTimeout } from './timers.js';

/**
 * Stops the supervised children in reverse order of start — the outbox dispatchers first (no new claim; the
 * starts in flight settle through creators still open, and what they hold is given back), then the creators
 * (their queued requests are rejected), then the workers (drained) — bounded by `timeoutMs` in all. Out of time with a group still
 * stopping, the later groups still get their STOP: a worker must not keep polling after stop() because a
 * creator was slow to settle. Rejects (and logs which children were left) when time runs out.
 */
export async function stopChildren(
  all: readonly AnyActorRef[],
  timeoutMs: number,
  clock: Clock,
  log: SupervisorLogger,
): Promise<void> {
  // Only the supervised children: the actor's other children are its own invocations (this one included).
  const order = [
    all.filter((child) => child.id.startsWith('dispatcher:')),
    all.filter((child) => child.id.startsWith('creator:')),
    all.filter((child) => child.id.startsWith('worker:')),
  ];
  const children = order.flat();
  const inOrder = (async () => {
    for (const group of order) await Promise.all(group.map((child) => untilDone(child)));
  })();
  try {
    await withTimeout(clock, timeoutMs, inOrder, () => {
      const left = children.filter((child) => child.getSnapshot().status === 'active').map((c) => c.id);
      log.log('error', 'Supervised children did not stop in time', { timeoutMs, children: left });
      return new Error(`children did not stop within ${timeoutMs} ms: ${left.join(', ')}`);
    });
  } finally {
    for (const child of children) if (child.getSnapshot().status === 'active') child.send({ type: 'STOP' });
  }
}

/** Sends STOP to a child and resolves once it has reached its final state. */
function untilDone(child: AnyActorRef): Promise<void> {
  const done = whenDone(child);
  if (child.getSnapshot().status === 'active') child.send({ type: 'STOP' });
  return done;
}

/** Resolves once the child is no longer active (final, stopped or failed). */
export function whenDone(child: AnyActorRef | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child?.getSnapshot().status !== 'active') {
      resolve();
      return;
    }
    const subscription = child.subscribe({
      next: (snapshot: { status: string }) => {
        if (snapshot.status !== 'active') {
          subscription.unsubscribe();
          resolve();
        }
      },
      complete: () => resolve(),
      error: () => resolve(),
    });
  });
}
