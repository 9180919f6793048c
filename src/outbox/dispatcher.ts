import type { DrainOutput } from '../../machines/dispatcher.machine.js';
import { provideDispatcherMachine } from '../children/dispatcher-actors.js';
import type { StartOutcome } from '../index.js';
import { classifyDispatchError, intentRetryDelayMs } from './classify.js';
import type { OutboxStore } from './store.js';
import type { ClaimedIntent, IntentFailureReason, IntentStartOptions, IntentStatus } from './types.js';

/** Starts one intent: the creator's `start` with the intent id as request id (see `createOutbox`). */
export type StartIntentFn = (
  intent: ClaimedIntent,
  payload: { readonly args: unknown[]; readonly options: IntentStartOptions },
  timeoutMs: number,
) => Promise<Pick<StartOutcome, 'runId'>>;

export interface DispatcherSettings {
  readonly owner: string;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly leaseMs: number;
  readonly dispatchTimeoutMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Bound on `settle()` waiting for starts in flight. */
  readonly settleTimeoutMs: number;
  /** @internal Test hook: runs after a start was answered and before it is recorded (the maybe-applied window). */
  readonly afterStartSent?: ((id: string) => void | Promise<void>) | undefined;
}

/** Dispatch outcomes since the process started. */
export interface DispatchCounts {
  started: number;
  failed: number;
  retried: number;
  /** Intents given back because Temporal was not serving. */
  deferred: number;
  readonly failedByReason: Partial<Record<IntentFailureReason, number>>;
}

/** The drain was cut short because Temporal stopped serving (the dispatcher backs off, then resumes). */
export class DispatchPausedError extends Error {
  override readonly name = 'DispatchPausedError';
  readonly code = 'UNAVAILABLE' as const;
}

/**
 * The dispatcher's work, as the actors of `machines/dispatcher.machine.ts` (`drain`, `settle`) run it.
 * Memory stays bounded by one batch: a backlog of any size is drained `batchSize` intents at a time.
 */
export class Dispatcher {
  readonly counts: DispatchCounts = { started: 0, failed: 0, retried: 0, deferred: 0, failedByReason: {} };
  private readonly inFlight = new Set<Promise<unknown>>();

  get settleTimeoutMs(): number {
    return this.settings.settleTimeoutMs;
  }

  constructor(
    private readonly store: OutboxStore,
    private readonly startIntent: StartIntentFn,
    private readonly settings: DispatcherSettings,
    private readonly onOutcome: (
      status: IntentStatus['status'],
      id: string,
      failure?: { readonly reason: IntentFailureReason; readonly message: string },
    ) => void,
  ) {}

  /** Claims and starts due intents until none is due, the signal aborts, or Temporal stops serving. */
  async drain(signal: AbortSignal): Promise<DrainOutput> {
    let dispatched = 0;
    while (!signal.aborted) {
      const batch = await this.store.claim(
        this.settings.owner,
        this.settings.batchSize,
        this.settings.leaseMs,
      );
      if (batch.length === 0) break;
      const work = this.runBatch(batch, signal);
      this.inFlight.add(work);
      try {
        const { done, paused } = await work;
        dispatched += done;
        if (paused) throw new DispatchPausedError(`Temporal stopped serving during a drain: ${paused}`);
      } finally {
        this.inFlight.delete(work);
      }
    }
    return { dispatched, nextDueInMs: signal.aborted ? undefined : await this.store.nextDueInMs() };
  }

  /**
   * Waits (bounded) for the batch in flight, then gives back whatever this dispatcher still holds, so that
   * another replica need not wait for the lease (a start still in flight then may be sent twice: with one
   * request id, which the server deduplicates).
   */
  async settle(): Promise<void> {
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, this.settings.settleTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await this.store.releaseOwner(this.settings.owner);
  }

  private async runBatch(
    batch: readonly ClaimedIntent[],
    signal: AbortSignal,
  ): Promise<{ done: number; paused: string | undefined }> {
    let next = 0;
    let done = 0;
    let paused: string | undefined;
    const lane = async () => {
      for (let i = next++; i < batch.length; i = next++) {
        const intent = batch[i] as ClaimedIntent;
        if (paused !== undefined || signal.aborted) {
          // Never sent: due again at once, for whoever dispatches next.
          await this.store.release(intent.id, this.settings.owner, 0, undefined);
          continue;
        }
        const unavailable = await this.dispatchOne(intent);
        if (unavailable === undefined) done++;
        else paused ??= unavailable;
      }
    };
    const lanes = Array.from({ length: Math.min(this.settings.concurrency, batch.length) }, lane);
    // Every lane runs to its end (releasing what it did not send) before a store failure is reported.
    const results = await Promise.allSettled(lanes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { done, paused };
  }

  /** Starts one intent and records the verdict; returns the reason when Temporal was not serving. */
  private async dispatchOne(intent: ClaimedIntent): Promise<string | undefined> {
    let payload: { args: unknown[]; options: IntentStartOptions };
    try {
      payload = JSON.parse(intent.payload) as typeof payload;
    } catch (error) {
      await this.fail(intent.id, 'ARGS_NOT_SERIALIZABLE', `The stored payload is not JSON: ${String(error)}`);
      return undefined;
    }
    let runId: string;
    try {
      ({ runId } = await this.startIntent(intent, payload, this.settings.dispatchTimeoutMs));
    } catch (error) {
      const verdict = classifyDispatchError(error);
      if (verdict.kind === 'failed') {
        await this.fail(intent.id, verdict.reason, verdict.message);
        return undefined;
      }
      if (verdict.kind === 'unavailable') {
        this.counts.deferred++;
        await this.store.release(intent.id, this.settings.owner, 0, verdict.message);
        return verdict.message;
      }
      this.counts.retried++;
      const delay = intentRetryDelayMs(intent.attempts, this.settings.retryBaseMs, this.settings.retryMaxMs);
      await this.store.release(intent.id, this.settings.owner, delay, verdict.message);
      return undefined;
    }
    await this.settings.afterStartSent?.(intent.id);
    await this.store.recordStarted(intent.id, runId);
    this.counts.started++;
    this.onOutcome('started', intent.id);
    return undefined;
  }

  private async fail(id: string, reason: IntentFailureReason, message: string): Promise<void> {
    await this.store.recordFailed(id, reason, message);
    this.counts.failed++;
    this.counts.failedByReason[reason] = (this.counts.failedByReason[reason] ?? 0) + 1;
    this.onOutcome('failed', id, { reason, message });
  }
}

/**
 * The dispatcher statechart with this dispatcher's work as its actors, ready to run (`createActor`) on its
 * own. An outbox made by `createOutbox` does not use it: its dispatcher is a child of the supervisor's
 * connection statechart (`dispatcher:<name>`), which tells it of the connection and stops it.
 */
export function dispatcherMachineFor(dispatcher: Dispatcher, afterDrain: () => void = () => {}) {
  return provideDispatcherMachine(() => ({
    drain: async (signal) => {
      const output = await dispatcher.drain(signal);
      afterDrain();
      return output;
    },
    settle: () => dispatcher.settle(),
    settleTimeoutMs: dispatcher.settleTimeoutMs,
    view: () => {
      throw new Error('not attached to a supervisor');
    },
  }));
}
