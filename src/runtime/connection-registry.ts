import type { ConnectionHandle } from '../../machines/connection.types.js';
import { ConnectionFailureError } from '../errors.js';
import type { SupervisorLogger } from '../logging/logger.js';
import type { Clock } from './clock.js';
import type { Connector, LiveConnection } from './connector.js';
import { withTimeout } from './timers.js';

/**
 * Every connection the runtime opened and has not closed yet: the live ones by id, the closes in flight, and the
 * attempts in flight (an abandoned attempt still has to settle, and its connection be closed, before `stop()`
 * is done). Nothing leaves here unclosed: `closeAll` waits until all three are empty.
 */
export class ConnectionRegistry {
  private readonly live = new Map<number, LiveConnection>();
  private readonly closing = new Set<Promise<void>>();
  private readonly attempts = new Set<Promise<LiveConnection>>();
  private nextId = 1;

  constructor(
    private readonly connector: Connector,
    private readonly clock: Clock,
    private readonly log: SupervisorLogger,
    private readonly describe: (error: unknown) => string,
  ) {}

  /**
   * One connection attempt. The connection is registered in the same chain as the attempt, so that `closeAll`
   * (which waits for attempts in flight) always sees the connection of an attempt that settles after STOP; one
   * that settles after `signal` aborted is released at once.
   */
  connect(attempt: number, timeoutMs: number, signal: AbortSignal): Promise<LiveConnection> {
    const id = this.nextId++;
    let made: Promise<LiveConnection>;
    try {
      // A custom connector may throw instead of rejecting, or return no promise: both are a failed attempt.
      made = Promise.resolve(this.connector.connect({ id, attempt, timeoutMs, signal }));
    } catch (error) {
      made = Promise.reject(error);
    }
    const pending = made.then((live) => {
      const problem = liveConnectionProblem(live);
      if (problem) {
        throw new ConnectionFailureError({
          kind: 'permanent',
          code: 'INVALID_CONNECTOR',
          name: 'InvalidConnection',
          message: `connector.connect() resolved with ${problem}; it must resolve with a LiveConnection (id, client, connection, probe, watch, withDeadline, close)`,
        });
      }
      this.live.set(live.id, live);
      if (signal.aborted) {
        this.release(live);
        throw new Error('Connection attempt abandoned');
      }
      return live;
    });
    const settled = () => void this.attempts.delete(pending);
    this.attempts.add(pending);
    pending.then(settled, settled);
    return pending;
  }

  /** The live connection behind a machine's handle. */
  get(handle: ConnectionHandle | undefined): LiveConnection | undefined {
    return handle === undefined ? undefined : this.live.get(handle.id);
  }

  /** Closes a connection (once; a failed close is logged). */
  release(live: LiveConnection): void {
    if (!this.live.delete(live.id)) return;
    const closing = closeOf(live)
      .catch((error: unknown) => {
        this.log.log('warn', 'Closing a Temporal connection failed', {
          id: live.id,
          error: this.describe(error),
        });
      })
      .finally(() => this.closing.delete(closing));
    this.closing.add(closing);
  }

  /** Closes every connection, waiting for attempts in flight, until none is left. */
  async closeAll(): Promise<void> {
    for (;;) {
      for (const live of [...this.live.values()]) this.release(live);
      if (this.closing.size === 0 && this.attempts.size === 0) return;
      await Promise.allSettled([...this.closing, ...this.attempts]);
    }
  }

  /** `closeAll`, bounded: rejects (and logs) when a close hangs past `timeoutMs`. */
  closeAllWithin(timeoutMs: number): Promise<void> {
    return withTimeout(this.clock, timeoutMs, this.closeAll(), () => {
      const stuck = this.closing.size;
      this.log.log('error', 'Temporal connections did not close in time', { timeoutMs, stuck });
      return new Error(`${stuck} connection(s) did not close within closeTimeout (${timeoutMs} ms)`);
    });
  }
}

/** `live.close()` as a promise, whatever a custom connection does (throw, or return nothing). */
function closeOf(live: LiveConnection): Promise<void> {
  try {
    return Promise.resolve(live.close());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What is wrong with a connector's result, or `undefined` when it has the shape of a `LiveConnection`. */
function liveConnectionProblem(live: unknown): string | undefined {
  if (typeof live !== 'object' || live === null) return live === null ? 'null' : typeof live;
  const c = live as Record<string, unknown>;
  if (typeof c.id !== 'number') return 'an object without a numeric id';
  const missing = ['probe', 'watch', 'withDeadline', 'close', 'toJSON'].filter(
    (name) => typeof c[name] !== 'function',
  );
  if (missing.length > 0) return `an object without ${missing.join(', ')}`;
  return undefined;
}
