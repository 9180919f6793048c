import { inspect } from 'node:util';
import type { Client } from '@temporalio/client';
import { CONNECTION_STATES, type ConnectionState } from '../../machines/connection.types.js';
import type { WorkflowCreator } from '../children/creator.js';
import { SupervisorOptionsError } from '../errors.js';
import { duration, fail } from '../options/check.js';
import type { CreatorOptions } from '../options/creator.js';
import { DEFAULTS } from '../options/defaults.js';
import { callDuration } from '../options/per-call.js';
import { resolveOptions } from '../options/resolve.js';
import type { SupervisorOptions } from '../options/types.js';
import type { WorkerOptions } from '../options/worker.js';
import type { RequestCallOptions, RequestContext } from '../runtime/request-gate.js';
import type { ActorTransition, Disposable } from '../runtime/transition-hub.js';
import type { Duration } from '../temporal/duration.js';
import { registerRuntime } from './internals.js';
import { SupervisorRuntime } from './runtime.js';
import type { RequestOutcome, StateChange, SupervisorObserver, SupervisorSnapshot } from './types.js';

/** Options of `shutdown()`. */
export interface ShutdownOptions {
  /**
   * How long readiness fails, with requests still served, before the stop: at least the time the Service's
   * endpoints take to drop the pod (a few seconds; lightship's `shutdownDelay`). @default 5 s
   */
  readinessDelay?: Duration;
  /**
   * Runs after the delay and before the stop: close the HTTP server here, so that the requests it still
   * serves finish on a running supervisor. One that throws or rejects is logged; the stop goes on.
   */
  beforeStop?: () => unknown;
}

/**
 * `SupervisorOptions` whose creator and worker names are the type parameters: given as an object literal, the
 * names are its keys (so `supervisor.creator('typo')` does not compile); given as a `SupervisorOptions`
 * value, they are `string`.
 */
export type NamedSupervisorOptions<
  C extends string = string,
  W extends string = string,
> = SupervisorOptions & {
  creators?: Record<C, CreatorOptions>;
  workers?: Record<W, WorkerOptions>;
};

/**
 * Keeps one Temporal connection alive through outages: a running connection statechart, its supervised workers
 * and creators, and the request gate in front of it. Create it with {@link createSupervisor}.
 *
 * Holds no option, credential or connection as a visible property: `JSON.stringify(supervisor)` is its
 * (secret-free) snapshot, and `util.inspect` shows its state only.
 */
export class Supervisor<C extends string = string, W extends string = string> {
  readonly #runtime: SupervisorRuntime;

  /** @throws {SupervisorOptionsError} on bad options, naming the field and the fix. */
  constructor(options: NamedSupervisorOptions<C, W> = {}) {
    this.#runtime = new SupervisorRuntime(resolveOptions(options));
    registerRuntime(this, this.#runtime);
  }

  /**
   * Starts connecting. Never throws because Temporal is down: watch `state` or `waitFor('connected')`.
   * @throws {Error} after `stop()`: a stopped supervisor cannot be restarted.
   */
  start(): void {
    if (this.#runtime.stopped) {
      throw new Error(
        'This supervisor was stopped: its workers and creators are gone for good. Create a new supervisor with createSupervisor() to start again.',
      );
    }
    this.#runtime.start();
  }

  /**
   * Stops for good: rejects every waiting request (reason `stopped`), ends every timer, probe and watcher,
   * stops the creators, drains the workers, and closes every connection. Idempotent; afterwards nothing of the
   * supervisor keeps the process alive.
   */
  stop(): Promise<void> {
    return this.#runtime.stop();
  }

  /**
   * Shuts down as Kubernetes expects of a pod given SIGTERM: readiness fails at once (`healthOf(…).ready` is
   * false, the `'ready'` handler answers 503) while requests are still served for `readinessDelay`, the time the
   * endpoints need to stop routing traffic here; then `beforeStop` (close the HTTP server there), then `stop()`:
   * creators, then workers draining, then connections. Idempotent; a `stop()` during the delay stops at once. Resolves when stopped.
   * @throws {SupervisorOptionsError} (as a rejection) for a `readinessDelay` that is not a duration.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    try {
      const delayMs = duration(
        'shutdown.readinessDelay',
        options.readinessDelay,
        DEFAULTS.readinessDelayMs,
        0,
      );
      if (options.beforeStop !== undefined && typeof options.beforeStop !== 'function') {
        fail(
          'shutdown.beforeStop',
          'a function',
          options.beforeStop,
          'Pass `beforeStop: () => closeServer()`.',
        );
      }
      return this.#runtime.shutdown(delayMs, options.beforeStop);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Rotates the API key without a restart: the client connections use it from their next call, every
   * worker's native connection gets it (`NativeConnection.setApiKey`), connections made later use it, and
   * nothing in flight is dropped. Only with the default connector, and when `apiKey` was configured. With an
   * `apiKey` function, this key is used until the function's next different answer.
   * @throws {SupervisorOptionsError} (as a rejection) for a key that is not a string of at least 4
   * characters, or when the supervisor was created without an `apiKey`.
   */
  setApiKey(apiKey: string): Promise<void> {
    if (typeof apiKey !== 'string' || apiKey.length < 4) {
      return Promise.reject(
        new SupervisorOptionsError(
          'apiKey',
          `setApiKey: expected the API key as a string of at least 4 characters, received ${typeof apiKey === 'string' ? `${apiKey.length} characters` : typeof apiKey}. Pass the new key as issued.`,
        ),
      );
    }
    return this.#runtime.setApiKey(apiKey);
  }

  /** Whether `shutdown()` or `stop()` was called: from then on the supervisor is never ready again. */
  get shuttingDown(): boolean {
    return this.#runtime.shuttingDown;
  }

  /**
   * The supervised workflow creator configured under `name` (option `creators`). `name` is typed as the keys
   * of the `creators` option when they were given as an object literal.
   * @throws {TypeError} when no creator has that name.
   */
  creator(name: C): WorkflowCreator {
    const creator = this.#runtime.creators.get(name);
    if (!creator) {
      const known = [...this.#runtime.creators.keys()];
      throw new TypeError(
        `No workflow creator named ${JSON.stringify(name)}. ${
          known.length ? `Configured creators: ${known.join(', ')}.` : 'None is configured:'
        } Configure it with createSupervisor({ creators: { ${JSON.stringify(name)}: {} } }).`,
      );
    }
    return creator;
  }

  /**
   * Gives a worker that was given up (beyond its restart intensity) a fresh start.
   * @throws {TypeError} when no worker has that name.
   */
  restartWorker(name: W): void {
    this.#runtime.worker(name);
    this.#runtime.child(`worker:${name}`)?.send({ type: 'RESTART' });
  }

  /** Skips the rest of a backoff delay and tries to connect now (for operators). */
  retryNow(): void {
    this.#runtime.send({ type: 'RETRY_NOW', reason: 'operator' });
  }

  /** The lifecycle state. */
  get state(): ConnectionState {
    return this.#runtime.state;
  }

  /** A plain, serializable, secret-free view of the supervisor. */
  snapshot(): SupervisorSnapshot {
    return this.#runtime.snapshot();
  }

  /**
   * Calls `listener` on every state transition of every actor: the connection machine's substates included,
   * and each worker and creator. Listeners run synchronously; one that throws is logged and kept.
   */
  onTransition(listener: (transition: ActorTransition) => void): Disposable {
    return this.#runtime.hub.listeners.add(listener);
  }

  /** Calls `listener` on every lifecycle state change. One that throws is logged and kept. */
  onStateChange(listener: (change: StateChange) => void): Disposable {
    return this.#runtime.stateListeners.add(listener);
  }

  /**
   * Resolves with the snapshot once the state is one of `states` (at once if it already is); rejects with
   * a `SupervisorTimeoutError` after `timeout`.
   */
  waitFor(
    states: ConnectionState | readonly ConnectionState[],
    options: { timeout?: Duration } = {},
  ): Promise<SupervisorSnapshot> {
    const wanted = typeof states === 'string' ? [states] : Array.isArray(states) ? states : [String(states)];
    for (const state of wanted) {
      if (!CONNECTION_STATES.includes(state)) {
        return Promise.reject(
          new TypeError(
            `waitFor: unknown state ${JSON.stringify(state)}; expected one of ${CONNECTION_STATES.join(', ')}`,
          ),
        );
      }
    }
    let timeoutMs: number | undefined;
    try {
      timeoutMs = options?.timeout === undefined ? undefined : callDuration('timeout', options.timeout);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#runtime.untilState(wanted, timeoutMs).then(() => this.snapshot());
  }

  /**
   * Runs `fn` with a client of a serving connection, bounded by the request's deadline. While the
   * connection is not serving, waits for it (bounded by the deadline) or, with `failFast`, rejects at once.
   *
   * @throws {TemporalUnavailableError} when no connection serves before the deadline, after a permanent
   * failure, after `stop()`, or when the call itself fails with UNAVAILABLE or passes its deadline (then
   * `maybeApplied` is true: the call may have reached the server).
   */
  async withClient<T>(
    fn: (client: Client, context: RequestContext) => Promise<T>,
    options: RequestCallOptions = {},
  ): Promise<T> {
    const seen: { queued?: boolean } = {};
    try {
      const result = await this.#runtime.run(fn, options, seen);
      this.#runtime.noteRequest('client', seen.queued ? 'late' : 'started');
      return result;
    } catch (error) {
      this.#runtime.noteRejected(error, 'client');
      throw error;
    }
  }

  /**
   * A client of the serving connection, waiting for one as `withClient` does. The client is bound to the
   * connection of the moment: after a reconnection its calls fail, so prefer `withClient` for each use.
   */
  async getClient(options: RequestCallOptions = {}): Promise<Client> {
    const runtime = this.#runtime;
    try {
      return await runtime.client(options);
    } catch (error) {
      runtime.noteRejected(error, 'client');
      throw error;
    }
  }

  /**
   * Calls `listener` with how each request ended: started, late (after waiting for a connection), or rejected
   * with its reason; for `withClient`, `getClient` and every creator. A listener that throws is logged and kept.
   */
  onRequest(listener: (outcome: RequestOutcome) => void): Disposable {
    return this.#runtime.requestListeners.add(listener);
  }

  /** @internal Registers an observer of health checks and rejections (see `registerMetrics`). */
  observe(observer: SupervisorObserver): Disposable {
    return this.#runtime.observers.add((call) => call(observer));
  }

  /** The snapshot: what `JSON.stringify(supervisor)` writes (secret-free). */
  toJSON(): SupervisorSnapshot {
    return this.snapshot();
  }

  /** What `util.inspect` and `console.log` show: the state, never options or credentials. */
  [inspect.custom](): string {
    const { state, attempt, pendingRequests, children } = this.snapshot();
    return `Supervisor ${inspect({ state, attempt, pendingRequests, children })}`;
  }
}

/**
 * Creates a supervisor; call `start()` to begin connecting. Throws `SupervisorOptionsError` on bad options.
 * The names of `creators` and `workers` written as object literals become the types of `creator(name)` and
 * `restartWorker(name)`; none configured means none can be asked for.
 */
export function createSupervisor<C extends string = never, W extends string = never>(
  options?: NamedSupervisorOptions<C, W>,
): Supervisor<C, W> {
  return new Supervisor<C, W>(options);
}
