import { assign, fromPromise } from 'xstate';
import type { FailureInfo } from '../../machines/failure.js';
import { workerMachine } from '../../machines/worker.machine.js';
import { classifyCall } from '../runtime/call-failure.js';
import { classifyFailure } from '../runtime/classify.js';
import type { Clock } from '../runtime/clock.js';
import type { ClientSource } from './poller-watch.js';
import type { SupervisedWorker } from './worker.js';

/** What the worker statechart's implementations need of the supervisor. */
export interface WorkerHost {
  readonly clock: Clock;
  readonly redact: (text: string) => string;
  /** The worker configured under `name` (throws a TypeError naming the configured ones otherwise). */
  worker(name: string): SupervisedWorker;
  /** Before any worker's native objects exist: the process-global SDK Runtime, installed our way. */
  beforeCreate(): Promise<void>;
  /** A worker's call failed because the server did not answer: the connection machine should hear of it. */
  unavailableSeen(failure: FailureInfo): void;
  /** The supervisor's own serving connection, for the poller check (never the worker's native one). */
  client: ClientSource;
}

/**
 * The worker statechart with its real implementations: each actor delegates to the `SupervisedWorker` of the
 * same name; the restart intensity (OTP's: at most `maxRestarts` restarts within `restart.within`) is counted here
 * on the supervisor's clock.
 */
export function provideWorkerMachine(host: WorkerHost) {
  const { clock } = host;
  /** A worker's restarts still inside its restart window. */
  const recentRestarts = (context: { readonly name: string; readonly restarts: readonly number[] }) => {
    const now = clock.now();
    const windowMs = host.worker(context.name).config.restartWindowMs;
    return context.restarts.filter((at) => now - at < windowMs);
  };
  /**
   * A worker failed because the server did not answer: the connection machine may not know yet (it may still be
   * `connected` between probes), so it is told, as for a request that failed the same way (the failure table).
   */
  const noteOutage = (error: unknown): never => {
    const failure = classifyFailure(error, host.redact);
    const call = classifyCall({
      status: failure.grpcCode,
      closedChannel: false,
      namespaceNotFound: failure.code === 'NAMESPACE_NOT_FOUND',
      deadlinePassed: false,
    });
    if (call?.reportsUnavailable) host.unavailableSeen(failure);
    throw error;
  };
  return workerMachine.provide({
    actors: {
      createWorker: fromPromise<void, { readonly name: string }>(async ({ input, signal }) => {
        await host.beforeCreate();
        return host.worker(input.name).create(signal).catch(noteOutage);
      }),
      runWorker: fromPromise<void, { readonly name: string }>(({ input }) =>
        host
          .worker(input.name)
          .run((options) => host.client(options))
          .catch(noteOutage),
      ),
      shutdownWorker: fromPromise<void, { readonly name: string }>(({ input }) =>
        host.worker(input.name).shutdown(),
      ),
      refreshWorker: fromPromise<void, { readonly name: string }>(({ input }) =>
        host.worker(input.name).handOver(),
      ),
      untilParkable: fromPromise<
        void,
        { readonly name: string; readonly disconnectedAt: number | undefined }
      >(({ input, signal }) => host.worker(input.name).untilParkable(input.disconnectedAt, signal)),
      checkResume: fromPromise<
        'keep' | 'refresh',
        { readonly name: string; readonly disconnectedAt: number | undefined }
      >(({ input }) => host.worker(input.name).checkResume(input.disconnectedAt)),
    },
    actions: {
      // Restarts older than the worker's window no longer count (OTP's restart intensity).
      recordRestart: assign(({ context }) => ({ restarts: [...recentRestarts(context), clock.now()] })),
      // Only the first DOWN of an outage counts: each failed reconnect attempt sends DOWN again.
      markDisconnected: assign({
        connected: false,
        disconnectedAt: ({ context }) => (context.connected ? clock.now() : context.disconnectedAt),
      }),
    },
    guards: {
      isBeyondIntensity: ({ context }) => recentRestarts(context).length + 1 > context.maxRestarts,
    },
  });
}
