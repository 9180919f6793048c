import { fromPromise } from 'xstate';
import {
  type DispatcherState,
  type DrainOutput,
  dispatcherMachine,
  dispatcherRetryDelayMs,
} from '../../machines/dispatcher.machine.js';
import type { FailureInfo } from '../../machines/failure.js';

/** Counts of an outbox's store, as last read (secret-free). */
export interface DispatcherDepth {
  readonly pending: number;
  readonly started: number;
  readonly failed: number;
  /** Age of the oldest pending intent when last read, 0 when none. */
  readonly oldestPendingAgeMs: number;
}

/** Dispatch outcomes of this process since the dispatcher was made. */
export interface DispatcherOutcomes {
  readonly started: number;
  readonly failed: number;
  readonly retried: number;
  /** Intents given back because Temporal was not serving. */
  readonly deferred: number;
  /** `failed`, by reason (`ALREADY_STARTED`, `PAYLOAD_TOO_LARGE`, …). */
  readonly failedByReason: Readonly<Record<string, number | undefined>>;
}

/** What the supervisor shows of one dispatcher (`snapshot().outboxes[name]`): plain, secret-free. */
export interface DispatcherView {
  readonly name: string;
  readonly store: string;
  readonly state: DispatcherState;
  readonly connected: boolean;
  /** Drains that failed in a row, and the last failure. */
  readonly failures: number;
  readonly lastFailure: FailureInfo | undefined;
  readonly outcomes: DispatcherOutcomes;
  /** The store's counts when last read (after each drain, after an enqueue, at each metrics read). */
  readonly depth: DispatcherDepth | undefined;
}

/**
 * The work behind one dispatcher child, as the outbox (src/outbox) implements it: the supervisor depends on
 * this interface only, never on the outbox.
 */
export interface DispatcherWork {
  /** Claims and starts due intents until none is due or `signal` aborts; rejects when the store fails. */
  drain(signal: AbortSignal): Promise<DrainOutput>;
  /** Waits (bounded by `settleTimeoutMs`) for starts in flight and gives back what this dispatcher holds. */
  settle(): Promise<void>;
  /** The bound of `settle()`: the supervisor's stop leaves the dispatchers that time. */
  readonly settleTimeoutMs: number;
  /** Given up (`givenUp`), it escalates by the supervisor's `escalation` policy. */
  readonly significant?: boolean;
  /** The dispatcher's outcomes and the store's counts, for the supervisor's snapshot, logs and metrics. */
  view(): Omit<DispatcherView, 'state' | 'connected' | 'failures' | 'lastFailure'>;
}

/** What the dispatcher statechart's implementations need of the supervisor. */
export interface DispatcherHost {
  /** The work attached under `name` (throws a TypeError when none is). */
  dispatcherWork(name: string): DispatcherWork;
}

/** The dispatcher statechart with `work`'s drain and settle as its actors (jittered retry delay). */
export function provideDispatcherMachine(work: (name: string) => DispatcherWork) {
  return dispatcherMachine.provide({
    actors: {
      drain: fromPromise<DrainOutput, { readonly name: string }>(({ input, signal }) =>
        work(input.name).drain(signal),
      ),
      settle: fromPromise<void, { readonly name: string }>(({ input }) => work(input.name).settle()),
    },
    delays: {
      // ±20 % jitter, so that replicas that failed together do not retry together.
      retryDelay: ({ context }) => Math.round(dispatcherRetryDelayMs(context) * (0.8 + 0.4 * Math.random())),
    },
  });
}
