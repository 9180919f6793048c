import { assign, enqueueActions, fromCallback, fromPromise, setup } from 'xstate';
import { backoffDelayMs, nextRandom } from './backoff.js';
import { CONNECT_TIMEOUT, childIds, isActive, notProvided, slowProbeFailure } from './connection.helpers.js';
import { creatorMachine } from './creator.machine.js';
import { dispatcherMachine } from './dispatcher.machine.js';
import { type FailureInfo, toFailureInfo } from './failure.js';

export * from './connection.types.js';

import type {
  ConnectionContext,
  ConnectionEvent,
  ConnectionHandle,
  ConnectionInput,
  ConnectionTag,
  ProbeResult,
  RetryReason,
} from './connection.types.js';
import { workerMachine } from './worker.machine.js';

/**
 * # The connection statechart
 *
 * Topology only: every effect, guard and delay is referenced by name; `src/` provides the real actors with
 * `.provide()`, tests provide fakes the same way. No I/O happens here.
 *
 * States (each carries a tag of the same name, which is what `supervisor.state` reports):
 *
 * - `disconnected` — not started, or stopped. In: the initial state; `stopping` finished.
 *   Out: `START` → `connecting`; `STOP` → `stopping` (so that children of a never-started supervisor stop
 *   too). Once stopped (`context.stopped`), both are ignored: a stopped machine stays stopped.
 * - `connecting` — one connection attempt through the `connect` actor, each attempt with a fresh connection
 *   object, bounded by `connectDeadline`. Out: success → `online.connected`; any failure or the deadline →
 *   `backoff` (a permanent failure is recorded as such in `lastFailure`).
 * - `online` — a connection is up and serving requests. Its `watchConnection` actor turns passive signals
 *   (channel connectivity, UNAVAILABLE seen by requests) into events for as long as it is up.
 *   - `connected` — healthy. Probes every `healthInterval`. Out: a failed or slow probe, or `UNAVAILABLE_SEEN`
 *     → `degraded`; `CONNECTION_LOST` → `backoff`. After `stablePeriod` here, the attempt count resets.
 *   - `degraded` — still serving, probing every `degradedInterval`, starting at once. Out:
 *     `successesToRecover` good probes in a row → `connected`; `failuresToDisconnect` failed probes → `backoff`;
 *     `CONNECTION_LOST` → `backoff`.
 * - `backoff` — the connection (if any) is released on entry; waits `retryDelay` (exponential with jitter for a
 *   transient failure; `permanentRetryDelayMs` for a permanent one). Out: the delay → `connecting`;
 *   `RETRY_NOW` → `connecting` with the attempt count reset (from an operator always; from the reachability
 *   watcher only after a transient failure).
 *   - `waiting` — the backoff's delay running. With `reconnectSpreadMs` > 0, the watcher's `RETRY_NOW` after a
 *     transient failure → `spreading` instead, with a delay drawn uniformly from [0, reconnectSpreadMs).
 *   - `spreading` — the server is known back: the drawn delay replaces the rest of the backoff (its timer is
 *     ignored here), so that a fleet which lost the server together comes back spread over the window. Out:
 *     the drawn delay → `connecting` with the attempt count reset; an operator's `RETRY_NOW` → at once.
 * - `stopping` — `STOP` from any state, in reverse order of start: every timer, probe and watcher ends as
 *   its state is left; `draining`: `stopChildren` stops the creators (queued requests are rejected) and then
 *   the workers (drained), bounded; `closing`: the connection is released and `disconnect` waits until
 *   every connection the runtime opened is closed. Out: all closed → `disconnected`.
 *
 * Children: one `worker` per configured worker and one `creator` per configured creator, spawned when the
 * machine starts (fixed ids `worker:<name>`, `creator:<name>`; workers first), then the outbox
 * `dispatcher`s (`dispatcher:<name>`): those given in the input at the start, and each one attached later
 * by `ATTACH_DISPATCHER` (in any state but once stopped; attached while `online`, it is told
 * `CONNECTION_UP` at once; a stopped dispatcher of the same name is replaced). Every child is told
 * `CONNECTION_UP` on entering `online` and `CONNECTION_DOWN` on entering `backoff` (not on STOP: the
 * connection stays open while the children drain, and they are stopped right after).
 */

export const connectionMachine = setup({
  types: {
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    input: {} as ConnectionInput,
    tags: {} as ConnectionTag,
  },
  actors: {
    /** One connection attempt; rejects with a classified error (see `machines/failure.ts`). */
    connect: fromPromise<ConnectionHandle, { readonly attempt: number }>(notProvided('connect')),
    /**
     * One health check on the live connection, bounded by `healthCheck.timeoutMs`; with `answerWithinMs`, done
     * `unanswered` once that long has passed with no answer from the server at all.
     */
    probe: fromPromise<
      ProbeResult,
      { readonly connection: ConnectionHandle | undefined; readonly answerWithinMs?: number }
    >(notProvided('probe')),
    /** Passive signals from the live connection: sends UNAVAILABLE_SEEN, CHECK_NOW, CONNECTION_LOST. */
    watchConnection: fromCallback<ConnectionEvent, { readonly connection: ConnectionHandle | undefined }>(
      notProvided('watchConnection'),
    ),
    /** While backing off: sends RETRY_NOW { reason: 'server_reachable' } when the server comes back. */
    watchReachability: fromCallback<ConnectionEvent, { readonly lastFailure: FailureInfo | undefined }>(
      notProvided('watchReachability'),
    ),
    /** Settles once every connection the runtime opened has been closed. */
    disconnect: fromPromise<void>(notProvided('disconnect')),
    /** Stops the children in reverse order of start (dispatchers, creators, workers) and waits, bounded. */
    stopChildren: fromPromise<void>(notProvided('stopChildren')),
    creator: creatorMachine,
    worker: workerMachine,
    dispatcher: dispatcherMachine,
  },
  actions: {
    /** Side effect: close a connection that is being dropped (not awaited here; the runtime tracks it). */
    releaseConnection: (_args, _params: { readonly connection: ConnectionHandle | undefined }) => {},
    resetForStart: assign({
      attempt: 0,
      retryDelayMs: 0,
      lastFailure: undefined,
      probeFailures: 0,
      probeSuccesses: 0,
      lastProbeLatencyMs: undefined,
    }),
    resetAttempts: assign({ attempt: 0 }),
    spawnChildren: enqueueActions(({ context, enqueue }) => {
      for (const worker of context.children.workers ?? []) {
        enqueue.spawnChild('worker', {
          id: `worker:${worker.name}`,
          systemId: `worker:${worker.name}`,
          input: worker,
        });
      }
      for (const name of context.children.creators) {
        enqueue.spawnChild('creator', {
          id: `creator:${name}`,
          systemId: `creator:${name}`,
          input: { name },
        });
      }
      for (const dispatcher of context.children.dispatchers ?? []) {
        const id = `dispatcher:${dispatcher.name}`;
        enqueue.spawnChild('dispatcher', { id, input: dispatcher });
      }
    }),
    /** Spawns the attached dispatcher (a stopped one of that name is stopped for good and replaced). */
    attachDispatcher: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ATTACH_DISPATCHER') return;
      const input = event.dispatcher;
      const id = `dispatcher:${input.name}`;
      const others = (context.children.dispatchers ?? []).filter((d) => d.name !== input.name);
      if (others.length < (context.children.dispatchers ?? []).length) enqueue.stopChild(id);
      enqueue.assign({ children: { ...context.children, dispatchers: [...others, input] } });
      enqueue.spawnChild('dispatcher', { id, input });
    }),
    /** The dispatcher attached while online learns of the connection at once. */
    notifyAttachedUp: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ATTACH_DISPATCHER') return;
      enqueue.sendTo(`dispatcher:${event.dispatcher.name}`, {
        type: 'CONNECTION_UP',
        connectionId: context.connection?.id ?? 0,
      });
    }),
    notifyUp: enqueueActions(({ context, enqueue, self }) => {
      const connectionId = context.connection?.id ?? 0;
      for (const id of childIds(context.children))
        if (isActive(self, id)) enqueue.sendTo(id, { type: 'CONNECTION_UP', connectionId });
    }),
    notifyDown: enqueueActions(({ context, enqueue, self }) => {
      // Sent on entering backoff from online or connecting; children that never saw UP ignore it.
      for (const id of childIds(context.children))
        if (isActive(self, id)) enqueue.sendTo(id, { type: 'CONNECTION_DOWN' });
    }),
    resetProbeCounts: assign({ probeFailures: 0, probeSuccesses: 0 }),
    planRetry: assign(({ context }) => {
      const attempt = context.attempt + 1;
      if (context.lastFailure?.kind === 'permanent') {
        return { attempt, retryDelayMs: context.config.permanentRetryDelayMs, spreadDelayMs: undefined };
      }
      const draw = nextRandom(context.random);
      return {
        attempt,
        retryDelayMs: backoffDelayMs(attempt, context.config.backoff, draw.value),
        random: draw.state,
        spreadDelayMs: undefined,
      };
    }),
    drawSpread: assign(({ context }) => {
      const draw = nextRandom(context.spreadRandom);
      return {
        spreadDelayMs: Math.floor(draw.value * context.config.reconnectSpreadMs),
        spreadRandom: draw.state,
      };
    }),
  },
  guards: {
    isStopped: ({ context }) => context.stopped,
    isNotStopped: ({ context }) => !context.stopped,
    isSlowProbe: ({ context }, params: { readonly latencyMs: number; readonly unanswered: boolean }) =>
      params.unanswered || params.latencyMs > context.config.healthCheck.slowThresholdMs,
    /** This good probe makes enough in a row to leave `degraded`. */
    isRecovered: ({ context }) => context.probeSuccesses + 1 >= context.config.healthCheck.successesToRecover,
    /** This failed probe makes enough in a row to give the connection up. */
    isExhausted: ({ context }) =>
      context.probeFailures + 1 >= context.config.healthCheck.failuresToDisconnect,
    /** An operator may always retry early; a reachability signal only helps after a transient failure. */
    mayRetryEarly: ({ context }, params: { readonly reason: RetryReason }) =>
      params.reason === 'operator' || context.lastFailure?.kind !== 'permanent',
    /** The server seen back after a transient failure, with a spread configured: draw the retry over it. */
    spreadsRetry: ({ context }, params: { readonly reason: RetryReason }) =>
      params.reason === 'server_reachable' &&
      context.config.reconnectSpreadMs > 0 &&
      context.lastFailure?.kind !== 'permanent',
    /** The backoff's own delay applies until a spread is drawn; the drawn delay replaces it. */
    isNotSpreading: ({ context }) => context.spreadDelayMs === undefined,
  },
  delays: {
    /** The connect actor bounds itself by connectTimeout; this is the statechart's own, slightly later, bound. */
    connectDeadline: ({ context }) => context.config.connectTimeoutMs + 1_000,
    retryDelay: ({ context }) => context.retryDelayMs,
    spreadDelay: ({ context }) => context.spreadDelayMs ?? 0,
    healthInterval: ({ context }) => context.config.healthCheck.intervalMs,
    degradedInterval: ({ context }) => context.config.healthCheck.degradedIntervalMs,
    stablePeriod: ({ context }) => context.config.stablePeriodMs,
  },
}).createMachine({
  id: 'connection',
  initial: 'disconnected',
  context: ({ input }) => ({
    config: input.config,
    attempt: 0,
    retryDelayMs: 0,
    lastFailure: undefined,
    connection: undefined,
    probeFailures: 0,
    probeSuccesses: 0,
    lastProbeLatencyMs: undefined,
    random: input.seed,
    // A stream of its own: golden-ratio offset of the seed (any fixed odd constant would do).
    spreadRandom: (input.seed ^ 0x9e3779b9) | 0,
    spreadDelayMs: undefined,
    children: input.children ?? { creators: [] },
    stopped: false,
  }),
  entry: 'spawnChildren',
  on: {
    STOP: { target: '.stopping', actions: assign({ stopped: true }) },
    ATTACH_DISPATCHER: { guard: 'isNotStopped', actions: 'attachDispatcher' },
  },
  states: {
    disconnected: {
      tags: ['disconnected'],
      on: {
        START: { guard: 'isNotStopped', target: 'connecting', actions: 'resetForStart' },
        // Once stopped, STOP changes nothing; before the first start it still stops the children.
        STOP: { guard: 'isStopped' },
      },
    },

    connecting: {
      tags: ['connecting'],
      invoke: {
        id: 'connect',
        src: 'connect',
        input: ({ context }) => ({ attempt: context.attempt + 1 }),
        onDone: {
          target: 'online',
          actions: assign({ connection: ({ event }) => event.output }),
        },
        onError: {
          target: 'backoff',
          actions: assign({ lastFailure: ({ event }) => toFailureInfo(event.error) }),
        },
      },
      after: {
        connectDeadline: { target: 'backoff', actions: assign({ lastFailure: CONNECT_TIMEOUT }) },
      },
    },

    online: {
      tags: ['serving'],
      initial: 'connected',
      invoke: {
        id: 'watchConnection',
        src: 'watchConnection',
        input: ({ context }) => ({ connection: context.connection }),
      },
      entry: 'notifyUp',
      on: {
        ATTACH_DISPATCHER: { actions: ['attachDispatcher', 'notifyAttachedUp'] },
        CONNECTION_LOST: {
          target: 'backoff',
          actions: assign({ lastFailure: ({ event }) => event.failure }),
        },
      },
      states: {
        connected: {
          tags: ['connected'],
          entry: 'resetProbeCounts',
          initial: 'idle',
          after: {
            stablePeriod: { actions: 'resetAttempts' },
          },
          on: {
            UNAVAILABLE_SEEN: {
              target: 'degraded',
              actions: assign({ lastFailure: ({ event }) => event.failure }),
            },
          },
          states: {
            idle: {
              after: { healthInterval: 'probing' },
              on: { CHECK_NOW: 'probing' },
            },
            probing: {
              invoke: {
                id: 'probe',
                src: 'probe',
                // While connected, a probe the server has not answered at all within slowThreshold is slow at
                // once: `degraded` probes again, and only failed probes there give the connection up.
                input: ({ context }) => ({
                  connection: context.connection,
                  answerWithinMs: context.config.healthCheck.slowThresholdMs,
                }),
                onDone: [
                  {
                    guard: {
                      type: 'isSlowProbe',
                      params: ({ event }) => ({
                        latencyMs: event.output.latencyMs,
                        unanswered: event.output.unanswered === true,
                      }),
                    },
                    target: '#connection.online.degraded',
                    actions: assign({
                      lastProbeLatencyMs: ({ event }) => event.output.latencyMs,
                      lastFailure: ({ event, context }) =>
                        slowProbeFailure(event.output, context.config.healthCheck.slowThresholdMs),
                    }),
                  },
                  {
                    target: 'idle',
                    actions: assign({ lastProbeLatencyMs: ({ event }) => event.output.latencyMs }),
                  },
                ],
                onError: {
                  target: '#connection.online.degraded',
                  actions: assign({
                    lastFailure: ({ event }) => toFailureInfo(event.error),
                    probeFailures: 1,
                  }),
                },
              },
            },
          },
        },

        degraded: {
          tags: ['degraded'],
          initial: 'probing',
          states: {
            idle: {
              after: { degradedInterval: 'probing' },
              on: { CHECK_NOW: 'probing', UNAVAILABLE_SEEN: 'probing' },
            },
            probing: {
              invoke: {
                id: 'probe',
                src: 'probe',
                input: ({ context }) => ({ connection: context.connection }),
                onDone: [
                  {
                    guard: {
                      type: 'isSlowProbe',
                      params: ({ event }) => ({
                        latencyMs: event.output.latencyMs,
                        unanswered: event.output.unanswered === true,
                      }),
                    },
                    target: 'idle',
                    actions: assign({
                      lastProbeLatencyMs: ({ event }) => event.output.latencyMs,
                      probeSuccesses: 0,
                      probeFailures: 0,
                    }),
                  },
                  {
                    guard: 'isRecovered',
                    target: '#connection.online.connected',
                    actions: assign({ lastProbeLatencyMs: ({ event }) => event.output.latencyMs }),
                  },
                  {
                    target: 'idle',
                    actions: assign({
                      lastProbeLatencyMs: ({ event }) => event.output.latencyMs,
                      probeSuccesses: ({ context }) => context.probeSuccesses + 1,
                      probeFailures: 0,
                    }),
                  },
                ],
                onError: [
                  {
                    guard: 'isExhausted',
                    target: '#connection.backoff',
                    actions: assign({ lastFailure: ({ event }) => toFailureInfo(event.error) }),
                  },
                  {
                    target: 'idle',
                    actions: assign({
                      lastFailure: ({ event }) => toFailureInfo(event.error),
                      probeFailures: ({ context }) => context.probeFailures + 1,
                      probeSuccesses: 0,
                    }),
                  },
                ],
              },
            },
          },
        },
      },
    },

    backoff: {
      tags: ['backoff'],
      entry: [
        { type: 'releaseConnection', params: ({ context }) => ({ connection: context.connection }) },
        assign({ connection: undefined }),
        'notifyDown',
        'planRetry',
      ],
      invoke: {
        id: 'watchReachability',
        src: 'watchReachability',
        input: ({ context }) => ({ lastFailure: context.lastFailure }),
      },
      initial: 'waiting',
      after: {
        retryDelay: { guard: 'isNotSpreading', target: 'connecting' },
      },
      on: {
        RETRY_NOW: {
          guard: { type: 'mayRetryEarly', params: ({ event }) => ({ reason: event.reason }) },
          target: 'connecting',
          // The server came back (or an operator says so): the outage's growing delays no longer apply.
          actions: 'resetAttempts',
        },
      },
      states: {
        waiting: {
          on: {
            RETRY_NOW: {
              guard: { type: 'spreadsRetry', params: ({ event }) => ({ reason: event.reason }) },
              target: 'spreading',
              actions: 'drawSpread',
            },
          },
        },
        spreading: {
          after: {
            spreadDelay: { target: '#connection.connecting', actions: 'resetAttempts' },
          },
        },
      },
    },

    stopping: {
      tags: ['stopping'],
      initial: 'draining',
      on: {
        STOP: {},
      },
      states: {
        draining: {
          invoke: {
            id: 'stopChildren',
            src: 'stopChildren',
            onDone: 'closing',
            onError: 'closing',
          },
        },
        closing: {
          entry: [
            { type: 'releaseConnection', params: ({ context }) => ({ connection: context.connection }) },
            assign({ connection: undefined }),
          ],
          invoke: {
            id: 'disconnect',
            src: 'disconnect',
            onDone: '#connection.disconnected',
            onError: '#connection.disconnected',
          },
        },
      },
    },
  },
});

export type ConnectionMachine = typeof connectionMachine;
