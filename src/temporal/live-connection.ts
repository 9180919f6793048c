/**
 * One live connection of the default connector: its probe, its channel watch, and its renewals (a reloaded TLS
 * pair, a draining frontend), behind the `LiveConnection` interface.
 */
import { Client } from '@temporalio/client';
import type { ProbeResult } from '../../machines/connection.types.js';
import { ConnectionFailureError } from '../errors.js';
import { tlsEnabled } from '../options/connection.js';
import type { ResolvedOptions } from '../options/types.js';
import { classifyFailure, grpcStatusOf } from '../runtime/classify.js';
import type { ConnectionSignal, LiveConnection } from '../runtime/connector.js';
import { status } from '../runtime/grpc-status.js';
import {
  CHANNEL_FAILED,
  CHANNEL_SHUTDOWN,
  CONNECTING,
  failFastOnChannelFailure,
  IDLE,
  READY,
  SHUTDOWN,
  type SupervisedConnection,
  TRANSIENT_FAILURE,
  watchChannel,
} from './channel.js';
import { Renewal } from './renewal.js';

/** A workflow id nobody uses: the history probe's lookup must end in NOT_FOUND. */
const HISTORY_PROBE_WORKFLOW_ID = 'temporal-supervisor-history-probe-0b1e9c4d';
/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
const SERVING = 1;
/** The service name the Temporal frontend reports health for. */
const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';

export function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
  let onAbort = () => {};
  const promise = new Promise<never>((_, reject) => {
    const fail = () =>
      reject(
        new ConnectionFailureError({
          kind: 'transient',
          code: 'CANCELLED',
          grpcCode: status.CANCELLED,
          name: 'AbortError',
          message: 'Abandoned by the supervisor (deadline or stop)',
        }),
      );
    if (signal.aborted) fail();
    onAbort = fail;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {});
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}

export class LiveTemporalConnection implements LiveConnection {
  private closed = false;
  #current: { readonly connection: SupervisedConnection; readonly client: Client };
  /** The watchers of `watch`, moved to the new channel when the connection is renewed. */
  readonly #watchers = new Set<{ onSignal: (signal: ConnectionSignal) => void; stop: () => void }>();
  /** Replacements when the frontend reports NOT_SERVING (a planned restart): see `probe`. */
  readonly #renewal: Renewal;

  constructor(
    readonly id: number,
    connection: SupervisedConnection,
    client: Client,
    options: ResolvedOptions,
    private readonly redact: (text: string) => string,
    /** A fresh connection (on a TCP connection of its own) for a renewal. */
    openFresh: (timeoutMs: number, signal: AbortSignal) => Promise<SupervisedConnection>,
  ) {
    this.#options = options;
    this.#current = { connection, client };
    this.#renewal = new Renewal(openFresh, (fresh, deadline) => this.servingOn(fresh, deadline));
  }

  /** The connection's options, credentials included: #private, so that no JSON or inspect output shows them. */
  readonly #options: ResolvedOptions;

  /**
   * The connection of the moment: a TLS reload (`renew`) or a draining frontend (`probe`) replaces it, and new
   * requests take the new one; never keep it across calls.
   */
  get connection(): SupervisedConnection {
    return this.#current.connection;
  }

  get client(): Client {
    return this.#current.client;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Called once, when `close()` begins: the connector's set of live connections forgets this one then. */
  #onClosed: (() => void) | undefined;

  whenClosed(fn: () => void): void {
    this.#onClosed = fn;
  }

  /**
   * Puts a new connection (made with the reloaded TLS pair, already proven to answer) in place of the current
   * one. Requests started from now on use it; the old one is returned to be closed once its calls finished.
   */
  renew(connection: SupervisedConnection, isIdle: (connection: SupervisedConnection) => boolean): void {
    const previous = this.swapTo(connection);
    this.#retiring.add(previous);
    void this.closeWhenIdle(previous, isIdle);
  }

  /** `connection` takes the place of the current one (its client, its watchers); returns the one it replaced. */
  private swapTo(connection: SupervisedConnection): SupervisedConnection {
    const previous = this.#current.connection;
    this.#current = { connection, client: new Client({ connection, namespace: this.#options.namespace }) };
    for (const watcher of this.#watchers) {
      watcher.stop();
      watcher.stop = this.watchCurrent(watcher.onSignal);
    }
    return previous;
  }

  /** Connections renewed away from and not closed yet: `close()` closes them at once. */
  readonly #retiring = new Set<SupervisedConnection>();

  /** Closes a renewed connection once it has no call in flight (checked each second), at most after 5 minutes. */
  private async closeWhenIdle(
    connection: SupervisedConnection,
    isIdle: (connection: SupervisedConnection) => boolean,
  ): Promise<void> {
    for (let waited = 0; !isIdle(connection) && waited < 300 && this.#retiring.has(connection); waited++) {
      await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
    }
    if (this.#retiring.delete(connection)) await connection.closeQuietly().catch(() => {});
  }

  toJSON(): unknown {
    return {
      id: this.id,
      address: this.#options.address,
      namespace: this.#options.namespace,
      tls: tlsEnabled(this.#options),
      ...(this.#renewal.count > 0 ? { renewals: this.#renewal.count } : {}),
    };
  }

  /**
   * One health check. A frontend that answers NOT_SERVING is draining (`frontend.shutdownFailHealthCheckDuration`
   * of a planned restart) while it still serves: a fresh connection is opened (through the load balancer, so
   * most likely to another frontend), checked SERVING, and takes over before the old one closes; the probe
   * then passes. Only when no fresh connection is SERVING within the probe's deadline does NOT_SERVING fail it.
   */
  async probe({
    timeoutMs,
    signal,
    answered,
  }: {
    timeoutMs: number;
    signal: AbortSignal;
    answered?: () => void;
  }): Promise<ProbeResult> {
    const started = performance.now();
    // The latency is the server's: until it answered, even NOT_SERVING (not the renewal that may follow).
    let answeredAt: number | undefined;
    const deadline = Date.now() + timeoutMs;
    const channelFailure = failFastOnChannelFailure(this.connection.channel);
    const aborted = abortPromise(signal);
    try {
      try {
        await Promise.race([this.call(this.connection, deadline), channelFailure.promise, aborted.promise]);
      } catch (error) {
        if (!isNotServing(error) || this.closed) throw error;
        answeredAt = performance.now();
        answered?.();
        const fresh = await Promise.race([this.#renewal.find(deadline, signal), aborted.promise]);
        if (!fresh) throw error;
        this.adopt(fresh);
      }
      return { latencyMs: Math.round(((answeredAt ?? performance.now()) - started) * 10) / 10 };
    } catch (error) {
      throw new ConnectionFailureError(classifyFailure(error, this.redact), { cause: error });
    } finally {
      channelFailure.dispose();
      aborted.dispose();
    }
  }

  private async servingOn(connection: SupervisedConnection, deadline: number): Promise<boolean> {
    try {
      await this.call(connection, deadline);
      return true;
    } catch {
      return false;
    }
  }

  /** New requests go to `fresh` from now on; the old connection is closed after the calls in flight had time. */
  private adopt(fresh: SupervisedConnection): void {
    if (this.closed) {
      void fresh.closeQuietly().catch(() => {});
      return;
    }
    this.#renewal.retire(this.swapTo(fresh));
  }

  private async call(connection: SupervisedConnection, deadline: number): Promise<void> {
    switch (this.#options.healthCheckMethod) {
      case 'health': {
        const response = await connection.withDeadline(deadline, () =>
          connection.healthService.check({ service: WORKFLOW_SERVICE }),
        );
        if (response.status !== SERVING) {
          throw new ConnectionFailureError({
            kind: 'transient',
            code: 'NOT_SERVING',
            name: 'HealthCheckFailed',
            message: `The frontend reports ${WORKFLOW_SERVICE} as not serving (status ${response.status})`,
          });
        }
        return;
      }
      case 'system-info':
        await connection.withDeadline(deadline, () => connection.workflowService.getSystemInfo({}));
        return;
      case 'namespace':
        await connection.withDeadline(deadline, () =>
          connection.workflowService.describeNamespace({ namespace: this.#options.namespace }),
        );
        return;
      case 'history':
        try {
          await connection.withDeadline(deadline, () =>
            connection.workflowService.describeWorkflowExecution({
              namespace: this.#options.namespace,
              execution: { workflowId: HISTORY_PROBE_WORKFLOW_ID },
            }),
          );
        } catch (error) {
          // NOT_FOUND came from history: it answers. Anything else (UNAVAILABLE, a deadline) is the failure.
          if (grpcStatusOf(error) === status.NOT_FOUND) return;
          throw error;
        }
        return;
    }
  }

  watch(onSignal: (signal: ConnectionSignal) => void): () => void {
    const watcher = { onSignal, stop: this.watchCurrent(onSignal) };
    this.#watchers.add(watcher);
    return () => {
      watcher.stop();
      this.#watchers.delete(watcher);
    };
  }

  private watchCurrent(onSignal: (signal: ConnectionSignal) => void): () => void {
    return watchChannel(this.connection.channel, (previous, next) => {
      if (this.closed) return;
      if (next === SHUTDOWN) onSignal({ type: 'lost', failure: CHANNEL_SHUTDOWN });
      else if (next === TRANSIENT_FAILURE) onSignal({ type: 'unavailable', failure: CHANNEL_FAILED });
      else if (previous === READY && (next === IDLE || next === CONNECTING)) onSignal({ type: 'check' });
    });
  }

  withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
    return this.connection.withDeadline(deadline, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.#onClosed?.();
    for (const watcher of this.#watchers) watcher.stop();
    const retiring = [...this.#retiring];
    this.#retiring.clear();
    await Promise.all(retiring.map((connection) => connection.closeQuietly().catch(() => {})));
    await Promise.all([this.connection.closeQuietly(), this.#renewal.closeAll()]);
  }
}

function isNotServing(error: unknown): boolean {
  return error instanceof ConnectionFailureError && error.failure.code === 'NOT_SERVING';
}
