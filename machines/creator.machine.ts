import { assign, fromPromise, setup } from 'xstate';

/**
 * # A workflow creator (one per configured creator), spawned by the connection machine
 *
 * The creator starts workflows on behalf of a service. Its requests themselves are promises held by the
 * runtime (`src/creator.ts`); this machine is what decides whether they may run: it is bound to the
 * connection of the moment, or waiting for one, or stopping.
 *
 * - `waiting` — no serving connection: requests queue (bounded, each until its deadline) or fail fast.
 *   In: the start; `CONNECTION_DOWN`. Out: `CONNECTION_UP` → `ready`.
 * - `ready` — bound to a serving connection (`connectionId`); requests run, and retry transient failures
 *   within their deadline. In: `CONNECTION_UP`. Out: `CONNECTION_DOWN` → `waiting` (the connection machine
 *   always sends it before the next `CONNECTION_UP`: every reconnection is a rebinding).
 * - `stopping` — `STOP` (sent once, by the connection machine's draining): no new request is accepted; `settleRequests` rejects every queued
 *   request with a typed error and waits (bounded) for those in flight. Out: settled → `stopped`.
 * - `stopped` — final.
 */

export interface CreatorInput {
  readonly name: string;
}

export interface CreatorContext {
  readonly name: string;
  /** The connection the creator is bound to while `ready`. */
  readonly connectionId: number | undefined;
  /** How many times the creator was bound to a new connection. */
  readonly bindings: number;
}

export type CreatorEvent =
  | { readonly type: 'CONNECTION_UP'; readonly connectionId: number }
  | { readonly type: 'CONNECTION_DOWN' }
  | { readonly type: 'STOP' };

export type CreatorState = 'waiting' | 'ready' | 'stopping' | 'stopped';

export const creatorMachine = setup({
  types: {
    context: {} as CreatorContext,
    events: {} as CreatorEvent,
    input: {} as CreatorInput,
    tags: {} as CreatorState,
  },
  actors: {
    /** Rejects every queued request (reason `stopped`) and waits for those in flight, bounded. */
    settleRequests: fromPromise<void, { readonly name: string }>(async () => {}),
  },
}).createMachine({
  id: 'creator',
  initial: 'waiting',
  context: ({ input }) => ({ name: input.name, connectionId: undefined, bindings: 0 }),
  states: {
    waiting: {
      tags: ['waiting'],
      on: {
        STOP: 'stopping',
        CONNECTION_UP: {
          target: 'ready',
          actions: assign({
            connectionId: ({ event }) => event.connectionId,
            bindings: ({ context }) => context.bindings + 1,
          }),
        },
      },
    },
    ready: {
      tags: ['ready'],
      on: {
        STOP: 'stopping',
        CONNECTION_DOWN: { target: 'waiting', actions: assign({ connectionId: undefined }) },
      },
    },
    stopping: {
      tags: ['stopping'],
      entry: assign({ connectionId: undefined }),
      invoke: {
        id: 'settleRequests',
        src: 'settleRequests',
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

export type CreatorMachine = typeof creatorMachine;
