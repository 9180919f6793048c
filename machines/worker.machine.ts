import { assign, fromPromise, setup } from 'xstate';
import { type FailureInfo, toFailureInfo } from './failure.js';

/**
 * # A Temporal worker (one per configured worker), spawned by the connection machine
 *
 * - `idle` — no serving connection yet: the SDK refuses to create a worker while the server is down (and
 *   takes 10–15 s to say so), so nothing is attempted. In: the start. Out: `CONNECTION_UP` → `starting`.
 * - `starting` — `createWorker` makes a native connection and a worker (workflow code bundled once and
 *   reused). Out: created → `running`; failed → `restarting`.
 * - `running` — `runWorker` runs it and settles when the worker stops by itself (`run()` resolving or
 *   rejecting, the worker FAILED). It keeps running through outages: measured on the real server, a running
 *   worker stays RUNNING and polls again within a few hundred ms of the server's return, while a new worker
 *   costs ~600 ms and would cancel activities in flight (see docs/workers.md). Out: settled → `restarting`;
 *   `STOP` → `draining`.
 *   While the connection is away (`running.away`), `untilParkable` settles once the outage has lasted
 *   `refreshAfterOutage` with nothing in flight on the worker → `refreshing`, which stops its polling now, while
 *   the server cannot hand a poll anything: stopping a worker cancels its long polls on the client side, and a
 *   task the server gives a poll as it is cancelled is lost until its timeout (10 s). When the connection
 *   comes back (`CONNECTION_UP` while running), `checkResume` decides: after an outage longer than
 *   `refreshAfterOutage` → `refreshing`; else it is kept.
 * - `refreshing` — core's own poll backoff would delay the old worker's return by up to ~10 s after a long
 *   outage, so a new one is started when connected. The old one is handed over to finish in the background: it
 *   completes the work it has in flight (never cancelled), then is shut down. Not a failure. Out: →
 *   `starting` (or `idle`, during the outage).
 * - `restarting` — entered by a failure within the restart intensity (a failure that would make more than
 *   `maxRestarts` within the window goes to `givenUp` instead). After `restartDelay` → `starting` when
 *   connected, `idle` when not.
 * - `givenUp` — beyond its restart intensity (as an OTP supervisor): reported, liveness fails. Out:
 *   `RESTART` (an operator) → `starting`/`idle` with the count reset; `STOP` → `stopped`.
 * - `draining` — `shutdownWorker`: `worker.shutdown()`, `run()` awaited up to the drain timeout, the native
 *   connection closed (or abandoned, logged, when the worker holds it). Out: done → `stopped`.
 * - `stopped` — final.
 *
 * `CONNECTION_UP`/`CONNECTION_DOWN` are recorded in `connected` wherever they can arrive (not in `idle`,
 * which is only entered while disconnected, nor in `draining`, which happens while the connection machine
 * stops and sends neither).
 */

export interface WorkerInput {
  readonly name: string;
  readonly maxRestarts: number;
  readonly restartDelayMs: number;
}

export interface WorkerContext {
  readonly name: string;
  readonly connected: boolean;
  /** Restarts still inside the restart window (their times, on the supervisor's clock). */
  readonly restarts: readonly number[];
  readonly maxRestarts: number;
  readonly restartDelayMs: number;
  readonly lastFailure: FailureInfo | undefined;
  /** Workers created so far. */
  readonly generation: number;
  /** When the connection was last lost (the runtime's clock), for the resume check. */
  readonly disconnectedAt: number | undefined;
}

export type ResumeVerdict = 'keep' | 'refresh';

export type WorkerEvent =
  | { readonly type: 'CONNECTION_UP'; readonly connectionId: number }
  | { readonly type: 'CONNECTION_DOWN' }
  | { readonly type: 'RESTART' }
  | { readonly type: 'STOP' };

export type WorkerState =
  | 'idle'
  | 'starting'
  | 'running'
  | 'refreshing'
  | 'restarting'
  | 'givenUp'
  | 'draining'
  | 'stopped';

/** Failure codes that mean "the server did not answer": an outage, which restarts do not count. */
const OUTAGE_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);

const connectionTracking = {
  CONNECTION_UP: { actions: 'markConnected' },
  CONNECTION_DOWN: { actions: 'markDisconnected' },
} as const;

export const workerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    input: {} as WorkerInput,
    tags: {} as WorkerState,
  },
  actors: {
    createWorker: fromPromise<void, { readonly name: string }>(async () => {}),
    /** Settles when the worker stops by itself: resolves if `run()` resolved, rejects if it failed. */
    runWorker: fromPromise<void, { readonly name: string }>(async () => {}),
    shutdownWorker: fromPromise<void, { readonly name: string }>(async () => {}),
    /** Hands the running worker over to finish in the background (see `refreshing`); settles at once. */
    refreshWorker: fromPromise<void, { readonly name: string }>(async () => {}),
    /**
     * Settles while the connection is away, once the outage (since `disconnectedAt`) has lasted
     * `refreshAfterOutage` and the worker has nothing in flight; never with `refreshAfterOutage: false`.
     */
    untilParkable: fromPromise<void, { readonly name: string; readonly disconnectedAt: number | undefined }>(
      () => new Promise<void>(() => {}),
    ),
    /** Whether to keep or refresh a running worker whose connection came back. */
    checkResume: fromPromise<
      ResumeVerdict,
      { readonly name: string; readonly disconnectedAt: number | undefined }
    >(async () => 'keep'),
  },
  actions: {
    markConnected: assign({ connected: true }),
    /** The runtime stamps the time on its clock; the default counts, for a deterministic model. */
    // Only the first DOWN of an outage counts: each failed reconnect attempt sends DOWN again.
    markDisconnected: assign({
      connected: false,
      disconnectedAt: ({ context }) =>
        context.connected ? (context.disconnectedAt ?? 0) + 1 : context.disconnectedAt,
    }),
    /** Keeps what an actor's failure said (`xstate.error.actor.*` events). */
    recordFailure: assign({
      lastFailure: ({ event }) => toFailureInfo((event as { error?: unknown }).error),
    }),
    markExited: assign({
      lastFailure: {
        kind: 'transient',
        code: 'WORKER_EXITED',
        name: 'WorkerExited',
        message: 'The worker stopped by itself (run() resolved without a shutdown)',
      } satisfies FailureInfo,
    }),
    /** Adds a restart to the window (the runtime stamps it with its clock and drops expired ones). */
    recordRestart: assign({ restarts: ({ context }) => [...context.restarts, context.restarts.length] }),
  },
  guards: {
    isConnected: ({ context }) => context.connected,
    isPermanentFailure: ({ event }) =>
      'error' in event && toFailureInfo((event as { error: unknown }).error).kind === 'permanent',
    /** The failure says the server did not answer (UNAVAILABLE, DEADLINE_EXCEEDED): an outage. */
    isOutage: ({ event }) =>
      'error' in event && OUTAGE_CODES.has(toFailureInfo((event as { error: unknown }).error).code),
    isRefresh: (_args, params: { readonly verdict: ResumeVerdict }) => params.verdict === 'refresh',
    /** This failure would be one restart too many within the window (the runtime prunes by its clock). */
    isBeyondIntensity: ({ context }) => context.restarts.length + 1 > context.maxRestarts,
  },
  delays: {
    restartDelay: ({ context }) => context.restartDelayMs,
  },
}).createMachine({
  id: 'worker',
  initial: 'idle',
  context: ({ input }) => ({
    name: input.name,
    connected: false,
    restarts: [],
    maxRestarts: input.maxRestarts,
    restartDelayMs: input.restartDelayMs,
    lastFailure: undefined,
    generation: 0,
    disconnectedAt: undefined,
  }),
  states: {
    idle: {
      tags: ['idle'],
      on: {
        CONNECTION_UP: { target: 'starting', actions: 'markConnected' },
        STOP: 'stopped',
      },
    },
    starting: {
      tags: ['starting'],
      invoke: {
        id: 'createWorker',
        src: 'createWorker',
        input: ({ context }) => ({ name: context.name }),
        onDone: {
          target: 'running',
          actions: assign({ generation: ({ context }) => context.generation + 1 }),
        },
        onError: [
          // Bad options, an unknown namespace, refused credentials: a new worker would fail the same way,
          // and each failed Worker.create leaks an SDK thread. Given up at once, for an operator to fix.
          {
            guard: 'isPermanentFailure',
            target: 'givenUp',
            actions: 'recordFailure',
          },
          // The server went away under it: not the worker's fault, so not counted against its intensity.
          {
            guard: 'isOutage',
            target: 'restarting',
            actions: 'recordFailure',
          },
          {
            guard: 'isBeyondIntensity',
            target: 'givenUp',
            actions: ['recordFailure', 'recordRestart'],
          },
          {
            target: 'restarting',
            actions: ['recordFailure', 'recordRestart'],
          },
        ],
      },
      on: { ...connectionTracking, STOP: 'draining' },
    },
    running: {
      tags: ['running'],
      invoke: {
        id: 'runWorker',
        src: 'runWorker',
        input: ({ context }) => ({ name: context.name }),
        onDone: [
          { guard: 'isBeyondIntensity', target: 'givenUp', actions: ['markExited', 'recordRestart'] },
          { target: 'restarting', actions: ['markExited', 'recordRestart'] },
        ],
        onError: [
          {
            guard: 'isOutage',
            target: 'restarting',
            actions: 'recordFailure',
          },
          {
            guard: 'isBeyondIntensity',
            target: 'givenUp',
            actions: ['recordFailure', 'recordRestart'],
          },
          {
            target: 'restarting',
            actions: ['recordFailure', 'recordRestart'],
          },
        ],
      },
      // CONNECTION_DOWN is taken by `steady` and `resuming`; in `away` a repeated one changes nothing.
      on: { STOP: 'draining' },
      initial: 'steady',
      states: {
        steady: {
          on: {
            // UP here: the worker was created as the connection went (`starting` recorded the DOWN).
            CONNECTION_UP: { target: 'resuming', actions: 'markConnected' },
            CONNECTION_DOWN: { target: 'away', actions: 'markDisconnected' },
          },
        },
        // The connection is away: once the outage has lasted `refreshAfterOutage` with nothing in flight, the
        // worker's polling is stopped now, while no task can reach a poll of it (see untilParkable).
        away: {
          invoke: {
            id: 'untilParkable',
            src: 'untilParkable',
            input: ({ context }) => ({ name: context.name, disconnectedAt: context.disconnectedAt }),
            onDone: '#worker.refreshing',
            // Kept as it is (the check itself failed): refreshed at the return as before.
            onError: {},
          },
          on: { CONNECTION_UP: { target: 'resuming', actions: 'markConnected' } },
        },
        // The connection is back: keep the worker, or refresh it (see checkResume).
        resuming: {
          invoke: {
            id: 'checkResume',
            src: 'checkResume',
            input: ({ context }) => ({ name: context.name, disconnectedAt: context.disconnectedAt }),
            onDone: [
              {
                guard: { type: 'isRefresh', params: ({ event }) => ({ verdict: event.output }) },
                target: '#worker.refreshing',
              },
              { target: 'steady' },
            ],
            onError: 'steady',
          },
          on: { CONNECTION_DOWN: { target: 'away', actions: 'markDisconnected' } },
        },
      },
    },
    // A long outage: core's poll backoff would delay the old worker's return by seconds, a new one polls within
    // ~0.7 s of the connection's return (measured). Entered during the outage (untilParkable) or at the return
    // (checkResume). Not a failure: no restart is counted.
    refreshing: {
      tags: ['refreshing'],
      invoke: {
        id: 'refreshWorker',
        src: 'refreshWorker',
        input: ({ context }) => ({ name: context.name }),
        onDone: [{ guard: 'isConnected', target: 'starting' }, { target: 'idle' }],
        onError: [{ guard: 'isConnected', target: 'starting' }, { target: 'idle' }],
      },
      on: { ...connectionTracking, STOP: 'draining' },
    },
    restarting: {
      tags: ['restarting'],
      after: {
        restartDelay: [{ guard: 'isConnected', target: 'starting' }, { target: 'idle' }],
      },
      on: { ...connectionTracking, STOP: 'stopped' },
    },
    givenUp: {
      tags: ['givenUp'],
      on: {
        ...connectionTracking,
        RESTART: [
          { guard: 'isConnected', target: 'starting', actions: assign({ restarts: [] }) },
          { target: 'idle', actions: assign({ restarts: [] }) },
        ],
        STOP: 'stopped',
      },
    },
    draining: {
      tags: ['draining'],
      invoke: {
        id: 'shutdownWorker',
        src: 'shutdownWorker',
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

export type WorkerMachine = typeof workerMachine;
