/**
 * Everything we rely on inside grpc-js's channel, in one file (checked against @grpc/grpc-js 1.14.7 and
 * @temporalio/client 1.24.0, both pinned exactly in package.json):
 *
 * - `Connection.client` is protected in the SDK: `SupervisedConnection` reads it to reach the channel's
 *   connectivity state (`getConnectivityState`, `watchConnectivityState`). Caught by
 *   test/integration/connection.test.ts (a SIGKILLed server is seen within ~100 ms through these signals).
 * - `internalChannel.subchannelPool.pool[*].subchannel.{refcount, continueConnecting}` of grpc-js: read by
 *   `closeQuietly` to keep a closed channel from reconnecting. Caught by test/chaos (no TCP connection left
 *   open after stop() following an outage; counted by the fault proxy).
 * - The connectivity state numbers (`ConnectivityState` of grpc-js): IDLE 0 … SHUTDOWN 4, below.
 */
import { Connection } from '@temporalio/client';
import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError } from '../errors.js';
import { status } from '../runtime/grpc-status.js';

/** grpc-js connectivity states (`@grpc/grpc-js` ConnectivityState). */
export const IDLE = 0;
export const CONNECTING = 1;
export const READY = 2;
export const TRANSIENT_FAILURE = 3;
export const SHUTDOWN = 4;

export interface ChannelLike {
  getConnectivityState(tryToConnect: boolean): number;
  watchConnectivityState(current: number, deadline: Date | number, callback: (error?: Error) => void): void;
}

/**
 * A `Connection` that exposes its gRPC channel's connectivity. This reads the SDK's protected `client`
 * field: not public API, pinned by the exact @temporalio/client version and covered by the real-server tests.
 */
export class SupervisedConnection extends Connection {
  get channel(): ChannelLike {
    return this.client.getChannel() as unknown as ChannelLike;
  }

  /**
   * Closes the connection, and keeps grpc-js (1.14.7) from reconnecting it afterwards. A subchannel that
   * loses its last reference while in TRANSIENT_FAILURE, with a connect requested (`continueConnecting`),
   * still reconnects when its backoff timer fires, and that TCP connection then stays open with nobody to
   * use or close it: one leaked connection per connection closed during an outage (measured: 10 outages,
   * 10 connections still open 90 s after stop()). Its own `unref()` only resets CONNECTING and READY
   * subchannels. Only subchannels nobody references any more are touched.
   */
  async closeQuietly(): Promise<void> {
    const subchannels = subchannelsOf(this.client.getChannel());
    await this.close();
    const settle = () => {
      for (const subchannel of subchannels) {
        if (subchannel.refcount === 0) subchannel.continueConnecting = false;
      }
    };
    settle();
    // The load balancer may drop its references a tick later.
    await new Promise<void>((resolve) => setImmediate(resolve));
    settle();
  }
}

/** The internals of grpc-js 1.14.7 that `closeQuietly` relies on (pinned; a missing field is skipped). */
interface SubchannelInternals {
  refcount: number;
  continueConnecting: boolean;
}

function subchannelsOf(channel: unknown): SubchannelInternals[] {
  const pool = (channel as { internalChannel?: { subchannelPool?: { pool?: Record<string, unknown> } } })
    .internalChannel?.subchannelPool?.pool;
  if (!pool) return [];
  const found: SubchannelInternals[] = [];
  for (const entries of Object.values(pool)) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries as { subchannel?: Partial<SubchannelInternals> }[]) {
      const subchannel = entry.subchannel;
      if (typeof subchannel?.refcount === 'number' && typeof subchannel.continueConnecting === 'boolean') {
        found.push(subchannel as SubchannelInternals);
      }
    }
  }
  return found;
}

/** Calls `onChange(previous, next)` on every connectivity change until the returned function is called. */
export function watchChannel(
  channel: ChannelLike,
  onChange: (previous: number, next: number) => void,
): () => void {
  let stopped = false;
  let current = channel.getConnectivityState(false);
  const arm = () => {
    if (stopped || current === SHUTDOWN) return;
    channel.watchConnectivityState(current, Number.POSITIVE_INFINITY, () => {
      if (stopped) return;
      const previous = current;
      current = channel.getConnectivityState(false);
      arm();
      onChange(previous, current);
    });
  };
  arm();
  return () => {
    stopped = true;
  };
}

export const CHANNEL_FAILED: FailureInfo = {
  kind: 'transient',
  code: 'UNAVAILABLE',
  grpcCode: status.UNAVAILABLE,
  name: 'ChannelFailure',
  message: 'The gRPC channel could not connect to the server (refused, reset or unreachable)',
};

export const CHANNEL_SHUTDOWN: FailureInfo = {
  kind: 'transient',
  code: 'CHANNEL_SHUTDOWN',
  name: 'ChannelShutdown',
  message: 'The gRPC channel was shut down',
};

/**
 * Rejects as soon as the channel reports TRANSIENT_FAILURE (a refused or reset connection), so that an
 * attempt or a probe fails in milliseconds instead of waiting out its deadline in the SDK's retries.
 */
export function failFastOnChannelFailure(channel: ChannelLike): {
  promise: Promise<never>;
  dispose: () => void;
} {
  let dispose = () => {};
  const promise = new Promise<never>((_, reject) => {
    if (channel.getConnectivityState(false) === TRANSIENT_FAILURE) {
      reject(new ConnectionFailureError(CHANNEL_FAILED));
      return;
    }
    dispose = watchChannel(channel, (_previous, next) => {
      if (next === TRANSIENT_FAILURE) reject(new ConnectionFailureError(CHANNEL_FAILED));
    });
  });
  promise.catch(() => {});
  return { promise, dispose: () => dispose() };
}

/**
 * Resolves when the channel is READY, asking it to connect (as `Connection.ensureConnected()` does, which this
 * replaces); rejects at the deadline or on SHUTDOWN. Unlike the SDK's `waitForReady` loop, it stops at
 * `dispose()`. That loop asks the channel to connect (`getConnectivityState(true)`) on every state change,
 * the SHUTDOWN of `close()` included, and on a closed channel that rebuilds its load balancer (grpc-js
 * 1.14.7): the balancer takes a new reference on the shared subchannel, which reconnects once the server is
 * back and keeps that TCP connection open for good, with nothing left to close it. One abandoned attempt
 * during an outage was enough to leave a connection behind after `stop()`.
 */
export function untilReady(
  channel: ChannelLike,
  deadline: number,
): { promise: Promise<void>; dispose: () => void } {
  let stopped = false;
  const promise = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (stopped) return;
      const state = channel.getConnectivityState(true);
      if (state === READY) resolve();
      else if (state === SHUTDOWN) reject(new ConnectionFailureError(CHANNEL_SHUTDOWN));
      else {
        channel.watchConnectivityState(state, deadline, (error) => {
          if (stopped) return;
          if (error) reject(new Error('Failed to connect before the deadline'));
          else check();
        });
      }
    };
    check();
  });
  promise.catch(() => {});
  return {
    promise,
    dispose: () => {
      stopped = true;
    },
  };
}
