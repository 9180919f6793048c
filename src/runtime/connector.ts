import type { Client, Connection } from '@temporalio/client';
import type { ConnectionHandle, ProbeResult } from '../../machines/connection.types.js';
import type { FailureInfo } from '../../machines/failure.js';

/** A passive signal from a live connection. */
export type ConnectionSignal =
  /** The transport dropped (a server restart, a GOAWAY, a reset): probe now to see whether it matters. */
  | { readonly type: 'check' }
  /** The channel failed to (re)connect: the server is not answering. */
  | { readonly type: 'unavailable'; readonly failure: FailureInfo }
  /** The channel was shut down under us: the connection is gone for good. */
  | { readonly type: 'lost'; readonly failure: FailureInfo };

/** A connection that is up: what the runtime needs of it, whatever made it. */
export interface LiveConnection extends ConnectionHandle {
  /** A client bound to this connection. */
  readonly client: Client;
  /** The underlying connection (raw gRPC services, `withDeadline`). */
  readonly connection: Connection;
  /**
   * One health check; rejects with a classified error (see `ConnectionFailureError`). Calls `answered` as soon
   * as the server has answered anything, when the probe goes on after that (a NOT_SERVING frontend, while a
   * fresh connection is found): while `connected`, a probe with no answer within `healthCheck.slowThreshold`
   * is slow.
   */
  probe(request: {
    readonly timeoutMs: number;
    readonly signal: AbortSignal;
    readonly answered?: () => void;
  }): Promise<ProbeResult>;
  /** Passive signals until the returned function is called. */
  watch(onSignal: (signal: ConnectionSignal) => void): () => void;
  /** Runs `fn` with every gRPC call in it bounded by `deadline` (epoch ms), retries included. */
  withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T>;
  /** Closes the connection; idempotent. */
  close(): Promise<void>;
}

export interface ConnectRequest {
  /** The id the new connection must carry. */
  readonly id: number;
  /** 1 for the first attempt after a stable period, then 2, 3, … */
  readonly attempt: number;
  /** Bound of the whole attempt. */
  readonly timeoutMs: number;
  /** Aborted when the attempt is abandoned (deadline, STOP): close whatever was opened and reject. */
  readonly signal: AbortSignal;
}

/** Makes connections. The default talks to Temporal; tests pass a fake. */
export interface Connector {
  /** One attempt; rejects with a classified error (see `ConnectionFailureError`). */
  connect(request: ConnectRequest): Promise<LiveConnection>;
  /** Whether the server's port accepts a TCP connection within `timeoutMs` (no gRPC, no TLS). */
  isReachable(timeoutMs: number): Promise<boolean>;
}
