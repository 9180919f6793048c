/**
 * Relies on grpc-js's `grpc.use_local_subchannel_pool` channel argument (@grpc/grpc-js 1.14.7): without it, a new
 * channel with the same address and options shares the old one's subchannel, hence its TCP connection to the
 * draining frontend. Caught by test/cluster/rolling-restart.test.ts (no state change, renewals counted, through a
 * rolling restart of both frontends).
 */
import type { SupervisedConnection } from './channel.js';

/** Fresh connections tried per renewal: behind a round-robin balancer the first may land on the draining frontend. */
const TRIES = 3;
/**
 * How long a replaced connection stays open for the calls already on it. The frontend it reaches drains and
 * exits by itself; this only bounds how long we hold it (a workflow-result long poll on it may be cut, and is
 * retried by the SDK on the new one).
 */
export const RETIRE_AFTER_MS = 30_000;

/**
 * The replacement of a connection whose frontend is going away (a planned restart): fresh connections, each
 * on a TCP connection of its own, until one is SERVING; and the replaced ones, closed after `RETIRE_AFTER_MS`
 * or at `closeAll()`.
 */
export class Renewal {
  /** Renewals done on this live connection. */
  count = 0;
  readonly #retired = new Map<SupervisedConnection, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly open: (timeoutMs: number, signal: AbortSignal) => Promise<SupervisedConnection>,
    private readonly isServing: (connection: SupervisedConnection, deadline: number) => Promise<boolean>,
  ) {}

  /** A fresh connection that answers SERVING before `deadline` (epoch ms), or undefined. */
  async find(deadline: number, signal: AbortSignal): Promise<SupervisedConnection | undefined> {
    for (let attempt = 0; attempt < TRIES && !signal.aborted; attempt++) {
      const remainingMs = deadline - Date.now();
      if (remainingMs <= 0) return undefined;
      let fresh: SupervisedConnection;
      try {
        fresh = await this.open(remainingMs, signal);
      } catch {
        continue;
      }
      if (!signal.aborted && (await this.isServing(fresh, deadline))) {
        this.count++;
        return fresh;
      }
      await fresh.closeQuietly().catch(() => {});
    }
    return undefined;
  }

  retire(connection: SupervisedConnection): void {
    const timer = setTimeout(() => {
      this.#retired.delete(connection);
      void connection.closeQuietly().catch(() => {});
    }, RETIRE_AFTER_MS);
    timer.unref?.();
    this.#retired.set(connection, timer);
  }

  async closeAll(): Promise<void> {
    const retired = [...this.#retired];
    this.#retired.clear();
    await Promise.all(
      retired.map(([connection, timer]) => {
        clearTimeout(timer);
        return connection.closeQuietly().catch(() => {});
      }),
    );
  }
}
