import { assign, fromPromise, setup } from 'xstate';
import { type FailureInfo, toFailureInfo } from './failure.js';

/**
 * # The outbox dispatcher: starts the outbox's intents while the connection serves
 *
 * One per outbox. It is told of the connection as creators are (`CONNECTION_UP`/`CONNECTION_DOWN`), and
 * woken (`WAKE`) when an intent is enqueued here or, through NOTIFY, by another replica.
 *
 * - `paused` — no serving connection: nothing is claimed, intents wait in the store. In: the start;
 *   `CONNECTION_DOWN` from `draining` or `idle`; the end of `backoff` while disconnected. Out:
 *   `CONNECTION_UP` → `draining`; `STOP` → `stopping`.
 * - `draining` — `drain` claims due intents in batches (each leased to this dispatcher) and starts each
 *   through the creator, with the intent id as request id; it settles when nothing is due. A `WAKE`
 *   meanwhile is remembered (`woken`), so an intent enqueued after the last claim is not left for the poll.
 *   Out: settled → `draining` again when woken, else `idle` (the failure count reset); failed (the store
 *   failed, or Temporal stopped serving under it) → `backoff`, or `givenUp` when that makes `maxFailures`
 *   failed drains in a row (only when `maxFailures` is set); `CONNECTION_DOWN` → `paused` (the drain is
 *   cancelled: starts in flight settle, claimed intents are released or their lease expires);
 *   `STOP` → `stopping`.
 * - `idle` — caught up. Out: `WAKE` → `draining`; `pollDelay` (the poll interval, or sooner when a retried
 *   intent or an expiring lease falls due) → `draining`; `CONNECTION_DOWN` → `paused`; `STOP` → `stopping`.
 * - `backoff` — the last drain failed (`failures` in a row): waits `retryDelay` (exponential, capped), then
 *   → `draining` when connected, `paused` when not. The connection is tracked meanwhile. `STOP` → `stopping`.
 * - `givenUp` — `maxFailures` drains failed in a row (opt-in; by default it backs off for ever): nothing is
 *   claimed; reported (`givenUp`, as a worker beyond its restart intensity: liveness fails, and a
 *   significant dispatcher escalates). Out: `STOP` → `stopping`.
 * - `stopping` — `settle`: waits (bounded) for starts in flight and releases what this dispatcher holds.
 *   Out: settled → `stopped`.
 * - `stopped` — final.
 *
 * `draining` and `idle` are only entered while connected and `paused` only while not, so only `backoff`
 * records both `CONNECTION_UP` and `CONNECTION_DOWN`.
 */

export interface DispatcherInput {
  readonly name: string;
  readonly pollIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Failed drains in a row after which it gives up (`givenUp`); never when undefined. */
  readonly maxFailures?: number | undefined;
}

export interface DispatcherContext {
  readonly name: string;
  readonly connected: boolean;
  /** A `WAKE` arrived while draining. */
  readonly woken: boolean;
  /** Drains that failed in a row. */
  readonly failures: number;
  readonly lastFailure: FailureInfo | undefined;
  /** Until the next pending intent is due, as the last drain saw it (undefined: none pending). */
  readonly nextDueInMs: number | undefined;
  readonly drains: number;
  readonly pollIntervalMs: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly maxFailures: number | undefined;
}

/** What one drain reports when it settles. */
export interface DrainOutput {
  readonly dispatched: number;
  readonly nextDueInMs: number | undefined;
}

export type DispatcherEvent =
  | { readonly type: 'CONNECTION_UP'; readonly connectionId: number }
  | { readonly type: 'CONNECTION_DOWN' }
  | { readonly type: 'WAKE' }
  | { readonly type: 'STOP' };

export type DispatcherState = 'paused' | 'draining' | 'idle' | 'backoff' | 'givenUp' | 'stopping' | 'stopped';

const connectionTracking = {
  CONNECTION_UP: { actions: 'markConnected' },
  CONNECTION_DOWN: { actions: 'markDisconnected' },
} as const;

/** Delay before the next drain after `failures` failed in a row: base × 2^(failures−1), capped. */
export function dispatcherRetryDelayMs(
  context: Pick<DispatcherContext, 'failures' | 'retryBaseMs' | 'retryMaxMs'>,
) {
  return Math.min(context.retryMaxMs, context.retryBaseMs * 2 ** Math.max(0, context.failures - 1));
}

/** Delay of the idle poll: the poll interval, or sooner when an intent falls due. */
export function dispatcherPollDelayMs(context: Pick<DispatcherContext, 'pollIntervalMs' | 'nextDueInMs'>) {
  return Math.min(context.pollIntervalMs, context.nextDueInMs ?? Number.POSITIVE_INFINITY);
}

export const dispatcherMachine = setup({
  types: {
    context: {} as DispatcherContext,
    events: {} as DispatcherEvent,
    input: {} as DispatcherInput,
    tags: {} as DispatcherState,
  },
  actors: {
    /** Claims and starts due intents until none is due; rejects when the store or Temporal fails it. */
    drain: fromPromise<DrainOutput, { readonly name: string }>(async () => ({
      dispatched: 0,
      nextDueInMs: undefined,
    })),
    /** Waits (bounded) for starts in flight and releases the intents this dispatcher holds. */
    settle: fromPromise<void, { readonly name: string }>(async () => {}),
  },
  actions: {
    markConnected: assign({ connected: true }),
    markDisconnected: assign({ connected: false }),
    markWoken: assign({ woken: true }),
    recordDrained: assign({
      failures: 0,
      drains: ({ context }) => context.drains + 1,
      nextDueInMs: ({ event }) => (event as { output?: DrainOutput }).output?.nextDueInMs,
    }),
    recordFailure: assign({
      failures: ({ context }) => context.failures + 1,
      lastFailure: ({ event }) => toFailureInfo((event as { error?: unknown }).error),
    }),
  },
  guards: {
    isConnected: ({ context }) => context.connected,
    /** This failed drain makes `maxFailures` in a row. */
    isExhausted: ({ context }) =>
      context.maxFailures !== undefined && context.failures + 1 >= context.maxFailures,
    wasWoken: ({ context }) => context.woken,
  },
  delays: {
    pollDelay: ({ context }) => dispatcherPollDelayMs(context),
    retryDelay: ({ context }) => dispatcherRetryDelayMs(context),
  },
}).createMachine({
  id: 'dispatcher',
  initial: 'paused',
  context: ({ input }) => ({
    name: input.name,
    connected: false,
    woken: false,
    failures: 0,
    lastFailure: undefined,
    nextDueInMs: undefined,
    drains: 0,
    pollIntervalMs: input.pollIntervalMs,
    retryBaseMs: input.retryBaseMs,
    retryMaxMs: input.retryMaxMs,
    maxFailures: input.maxFailures,
  }),
  states: {
    paused: {
      tags: ['paused'],
      on: {
        CONNECTION_UP: { target: 'draining', actions: 'markConnected' },
        STOP: 'stopping',
      },
    },
    draining: {
      tags: ['draining'],
      entry: assign({ woken: false }),
      invoke: {
        id: 'drain',
        src: 'drain',
        input: ({ context }) => ({ name: context.name }),
        onDone: [
          { guard: 'wasWoken', target: 'draining', reenter: true, actions: 'recordDrained' },
          { target: 'idle', actions: 'recordDrained' },
        ],
        onError: [
          { guard: 'isExhausted', target: 'givenUp', actions: 'recordFailure' },
          { target: 'backoff', actions: 'recordFailure' },
        ],
      },
      on: {
        WAKE: { actions: 'markWoken' },
        CONNECTION_DOWN: { target: 'paused', actions: 'markDisconnected' },
        STOP: 'stopping',
      },
    },
    idle: {
      tags: ['idle'],
      after: { pollDelay: 'draining' },
      on: {
        WAKE: 'draining',
        CONNECTION_DOWN: { target: 'paused', actions: 'markDisconnected' },
        STOP: 'stopping',
      },
    },
    backoff: {
      tags: ['backoff'],
      after: { retryDelay: [{ guard: 'isConnected', target: 'draining' }, { target: 'paused' }] },
      on: { ...connectionTracking, STOP: 'stopping' },
    },
    givenUp: {
      tags: ['givenUp'],
      on: { STOP: 'stopping' },
    },
    stopping: {
      tags: ['stopping'],
      invoke: {
        id: 'settle',
        src: 'settle',
        input: ({ context }) => ({ name: context.name }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    stopped: {
      tags: ['stopped'],
      type: 'final',
    },
  },
});

export type DispatcherMachine = typeof dispatcherMachine;
