import { fromCallback, fromPromise } from 'xstate';
import {
  type ConnectionEvent,
  type ConnectionHandle,
  connectionMachine,
} from '../../machines/connection.machine.js';
import type { ConnectionConfig } from '../../machines/connection.types.js';
import { creatorMachine } from '../../machines/creator.machine.js';
import type { FailureInfo } from '../../machines/failure.js';
import { type DispatcherHost, provideDispatcherMachine } from '../children/dispatcher-actors.js';
import { provideWorkerMachine, type WorkerHost } from '../children/worker-actors.js';
import { ConnectionFailureError } from '../errors.js';
import type { ConnectionRegistry } from '../runtime/connection-registry.js';
import type { ConnectionSignal, Connector } from '../runtime/connector.js';
import { answeredWithin } from './probe-answer.js';

/** What the connection statechart's implementations need of the supervisor. */
export interface WiringHost extends WorkerHost {
  readonly config: ConnectionConfig;
  readonly connector: Connector;
  readonly registry: ConnectionRegistry;
  /** While backing off after the server was unreachable: how often to dial its port (`false`: never). */
  readonly reachabilityIntervalMs: number | false;
  /** Bound on closing every connection at stop. */
  readonly closeTimeoutMs: number;
  /** The outbox dispatchers attached (`dispatcher:<name>` children) and the work behind each. */
  readonly dispatchers: DispatcherHost;
  /** Stops the supervised children in order, bounded (dispatchers, creators, then workers drained). */
  stopChildren(): Promise<void>;
  /** Lets a creator settle its requests (its statechart's `settleRequests`). */
  settleCreator(name: string): Promise<void>;
  /** Each health check's outcome, for the metrics. */
  probed(result: { readonly ok: boolean; readonly seconds: number }): void;
  /** A fault in user code (`kind` names it), reported without changing any state. */
  fault(kind: string, error: unknown): void;
  /** Runs user code `fn`, reporting a fault instead of throwing. */
  guard(kind: string, fn: () => unknown): void;
}

const NO_CONNECTION: FailureInfo = {
  kind: 'transient',
  code: 'NO_CONNECTION',
  name: 'NoConnection',
  message: 'There is no live connection to probe',
};

/** The connection statechart with its real implementations (and its children's). */
export function provideConnectionMachine(host: WiringHost) {
  const { clock, connector, registry, config, reachabilityIntervalMs } = host;
  /**
   * The reachability race: an attempt refused just before the port opened finds the port open at the watcher's
   * first dial, so it never sees the server away and would wait out the whole backoff. The first dial may then
   * retry at once, but only once until the watcher sees the port closed again or a connection is made: a port
   * that accepts TCP and fails every gRPC handshake cannot drive a tight loop.
   */
  let openAtFirstDialUsed = false;
  return connectionMachine.provide({
    actors: {
      connect: fromPromise(async ({ input, signal }) => {
        const live = await registry.connect(input.attempt, config.connectTimeoutMs, signal);
        openAtFirstDialUsed = false;
        return live;
      }),
      probe: fromPromise(async ({ input, signal }) => {
        const live = registry.get(input.connection);
        if (!live) throw new ConnectionFailureError(NO_CONNECTION);
        const started = clock.now();
        let answered = false;
        const markAnswered = () => {
          answered = true;
        };
        const call = live
          .probe({ timeoutMs: config.healthCheck.timeoutMs, signal, answered: markAnswered })
          .then(
            (result) => {
              host.probed({ ok: true, seconds: result.latencyMs / 1000 });
              return result;
            },
            (error: unknown) => {
              if (!signal.aborted) host.probed({ ok: false, seconds: (clock.now() - started) / 1000 });
              throw error;
            },
          );
        if (input.answerWithinMs === undefined) return await call;
        return await answeredWithin(call, input.answerWithinMs, {
          clock,
          signal,
          started,
          answered: () => answered,
        });
      }),
      watchConnection: fromCallback<ConnectionEvent, { connection: ConnectionHandle | undefined }>(
        ({ input, sendBack }) => {
          const live = registry.get(input.connection);
          if (!live) return;
          try {
            const stop = live.watch((signal) => sendBack(toEvent(signal)));
            return typeof stop === 'function' ? () => host.guard('connection.watch', stop) : undefined;
          } catch (error) {
            // A custom connection's watch failed: the probes still see what it would have signalled.
            host.fault('connection.watch', error);
            return undefined;
          }
        },
      ),
      watchReachability: fromCallback<ConnectionEvent, { lastFailure: FailureInfo | undefined }>(
        ({ input, sendBack }) => {
          if (reachabilityIntervalMs === false || input.lastFailure?.kind === 'permanent') return;
          let stopped = false;
          let sawUnreachable = false;
          let first = true;
          let timer: unknown;
          const tick = async () => {
            let reachable = false;
            try {
              reachable = (await connector.isReachable(Math.min(reachabilityIntervalMs, 1_000))) === true;
            } catch (error) {
              // A custom connector's check failed: count it as unreachable, report it, keep watching.
              host.fault('connector.isReachable', error);
            }
            if (stopped) return;
            const refusedJustBefore =
              first && input.lastFailure?.code === 'UNAVAILABLE' && !openAtFirstDialUsed;
            first = false;
            if (!reachable) {
              sawUnreachable = true;
              openAtFirstDialUsed = false;
            } else if (sawUnreachable || refusedJustBefore) {
              if (!sawUnreachable) openAtFirstDialUsed = true;
              sendBack({ type: 'RETRY_NOW', reason: 'server_reachable' });
              return;
            }
            timer = clock.setTimeout(() => void tick(), reachabilityIntervalMs);
          };
          void tick();
          return () => {
            stopped = true;
            clock.clearTimeout(timer);
          };
        },
      ),
      disconnect: fromPromise(() => registry.closeAllWithin(host.closeTimeoutMs)),
      stopChildren: fromPromise(() => host.stopChildren()),
      worker: provideWorkerMachine(host),
      dispatcher: provideDispatcherMachine((name) => host.dispatchers.dispatcherWork(name)),
      creator: creatorMachine.provide({
        actors: {
          settleRequests: fromPromise<void, { readonly name: string }>(({ input }) =>
            host.settleCreator(input.name),
          ),
        },
      }),
    },
    actions: {
      releaseConnection: (_args, params) => {
        const live = registry.get(params.connection);
        if (live) registry.release(live);
      },
    },
  });
}

function toEvent(signal: ConnectionSignal): ConnectionEvent {
  switch (signal.type) {
    case 'check':
      return { type: 'CHECK_NOW' };
    case 'unavailable':
      return { type: 'UNAVAILABLE_SEEN', source: 'channel', failure: signal.failure };
    case 'lost':
      return { type: 'CONNECTION_LOST', failure: signal.failure };
  }
}
