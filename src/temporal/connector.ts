import { isIP, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { ProbeResult } from '../../machines/connection.types.js';
import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError } from '../errors.js';
import { tlsEnabled } from '../options/connection.js';
import type { ResolvedOptions } from '../options/types.js';
import { classifyFailure, grpcStatusOf } from '../runtime/classify.js';
import type { ConnectionSignal, Connector, ConnectRequest, LiveConnection } from '../runtime/connector.js';
import { status } from '../runtime/grpc-status.js';
import {
  CHANNEL_FAILED,
  CHANNEL_SHUTDOWN,
  CONNECTING,
  failFastOnChannelFailure,
  IDLE,
  READY,
  SHUTDOWN,
  SupervisedConnection,
  TRANSIENT_FAILURE,
  untilReady,
  watchChannel,
} from './channel.js';
import { closedChannelGuard } from './grpc-guard.js';
import { probeProtocol } from './protocol-probe.js';
import { Renewal } from './renewal.js';
import { requestIdInterceptor } from './request-id.js';

/** A workflow id nobody uses: the history probe's lookup must end in NOT_FOUND. */
const HISTORY_PROBE_WORKFLOW_ID = 'temporal-supervisor-history-probe-0b1e9c4d';
/** `grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING`. */
const SERVING = 1;
/** The service name the Temporal frontend reports health for. */
const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';

function abortPromise(signal: AbortSignal): { promise: Promise<never>; dispose: () => void } {
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

class LiveTemporalConnection implements LiveConnection {
  private closed = false;
  #connection: SupervisedConnection;
  #client: Client;
  /** Every `watch` subscriber, re-armed on the new channel when the connection is renewed. */
  readonly #watchers = new Set<{ onSignal: (signal: ConnectionSignal) => void; stop: () => void }>();
  readonly #renewal: Renewal;

  constructor(
    readonly id: number,
    connection: SupervisedConnection,
    options: ResolvedOptions,
    private readonly redact: (text: string) => string,
    open: (timeoutMs: number, signal: AbortSignal) => Promise<SupervisedConnection>,
  ) {
    this.#options = options;
    this.#connection = connection;
    this.#client = new Client({ connection, namespace: options.namespace });
    this.#renewal = new Renewal(open, (fresh, deadline) => this.servingOn(fresh, deadline));
  }

  /** The connection's options, credentials included: #private, so that no JSON or inspect output shows them. */
  readonly #options: ResolvedOptions;

  /** The current connection: a renewal (see `probe`) replaces it, so never keep it across calls. */
  get connection(): SupervisedConnection {
    return this.#connection;
  }

  get client(): Client {
    return this.#client;
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
  async probe({ timeoutMs, signal }: { timeoutMs: number; signal: AbortSignal }): Promise<ProbeResult> {
    const started = performance.now();
    const deadline = Date.now() + timeoutMs;
    const channelFailure = failFastOnChannelFailure(this.#connection.channel);
    const aborted = abortPromise(signal);
    try {
      try {
        await Promise.race([this.call(this.#connection, deadline), channelFailure.promise, aborted.promise]);
      } catch (error) {
        if (!isNotServing(error) || this.closed) throw error;
        const fresh = await Promise.race([this.#renewal.find(deadline, signal), aborted.promise]);
        if (!fresh) throw error;
        this.adopt(fresh);
      }
      return { latencyMs: Math.round((performance.now() - started) * 10) / 10 };
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
    const old = this.#connection;
    this.#connection = fresh;
    this.#client = new Client({ connection: fresh, namespace: this.#options.namespace });
    for (const watcher of this.#watchers) {
      watcher.stop();
      watcher.stop = this.arm(watcher.onSignal);
    }
    this.#renewal.retire(old);
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
    const watcher = { onSignal, stop: this.arm(onSignal) };
    this.#watchers.add(watcher);
    return () => {
      watcher.stop();
      this.#watchers.delete(watcher);
    };
  }

  private arm(onSignal: (signal: ConnectionSignal) => void): () => void {
    return watchChannel(this.#connection.channel, (previous, next) => {
      if (this.closed) return;
      if (next === SHUTDOWN) onSignal({ type: 'lost', failure: CHANNEL_SHUTDOWN });
      else if (next === TRANSIENT_FAILURE) onSignal({ type: 'unavailable', failure: CHANNEL_FAILED });
      else if (previous === READY && (next === IDLE || next === CONNECTING)) onSignal({ type: 'check' });
    });
  }

  withDeadline<T>(deadline: number, fn: () => Promise<T>): Promise<T> {
    return this.#connection.withDeadline(deadline, fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const watcher of this.#watchers) watcher.stop();
    await Promise.all([this.#connection.closeQuietly(), this.#renewal.closeAll()]);
  }
}

function isNotServing(error: unknown): boolean {
  return error instanceof ConnectionFailureError && error.failure.code === 'NOT_SERVING';
}

function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}

/** The default connector: real `@temporalio/client` connections. */
export function createTemporalConnector(
  options: ResolvedOptions,
  redact: (text: string) => string,
  /** The API key of the moment, read by the SDK at each call (so that a rotated key applies at once). */
  apiKey: () => string | undefined = () => options.apiKey,
): Connector {
  const { host, port } = splitAddress(options.address);

  /**
   * A connection that is ready and reaches the namespace. `fresh`: on a subchannel pool of its own, so on a TCP
   * connection of its own (grpc-js otherwise shares one among channels with the same address and options): the
   * replacement of a connection whose frontend is draining must not ride the same socket.
   */
  async function open(timeoutMs: number, signal: AbortSignal, fresh: boolean): Promise<SupervisedConnection> {
    const deadline = Date.now() + timeoutMs;
    const connection = SupervisedConnection.lazy({
      ...options.connectionOptions,
      ...(fresh
        ? {
            channelArgs: {
              ...options.connectionOptions.channelArgs,
              'grpc.use_local_subchannel_pool': 1,
            },
          }
        : {}),
      address: options.address,
      ...(options.tls !== undefined ? { tls: options.tls } : {}),
      ...(options.apiKey !== undefined ? { apiKey: () => apiKey() ?? '' } : {}),
      metadata: { ...options.metadata },
      connectTimeout: timeoutMs,
      // The SDK's default retry interceptor (or the caller's), then our guard innermost: see grpc-guard.ts.
      interceptors: [
        ...(options.connectionOptions.interceptors ?? [makeGrpcRetryInterceptor(defaultGrpcRetryOptions())]),
        requestIdInterceptor,
        closedChannelGuard,
      ],
    }) as SupervisedConnection;
    const channelFailure = failFastOnChannelFailure(connection.channel);
    const aborted = abortPromise(signal);
    // Not `connection.ensureConnected()`: see `untilReady`. The describeNamespace below stands for its
    // getSystemInfo call (the server answers).
    const ready = untilReady(connection.channel, deadline);
    try {
      await Promise.race([ready.promise, channelFailure.promise, aborted.promise]);
      try {
        await Promise.race([
          connection.withDeadline(deadline, () =>
            connection.workflowService.describeNamespace({ namespace: options.namespace }),
          ),
          channelFailure.promise,
          aborted.promise,
        ]);
      } catch (error) {
        if (grpcStatusOf(error) === status.NOT_FOUND) {
          throw new ConnectionFailureError(
            {
              kind: 'permanent',
              code: 'NAMESPACE_NOT_FOUND',
              grpcCode: status.NOT_FOUND,
              name: 'NamespaceNotFoundError',
              message: `Namespace '${options.namespace}' does not exist on ${options.address}`,
            },
            { cause: error },
          );
        }
        throw error;
      }
      if (signal.aborted) throw new Error('Abandoned by the supervisor (deadline or stop)');
      return connection;
    } catch (error) {
      ready.dispose();
      await connection.closeQuietly().catch(() => {});
      let failure = classifyFailure(error, redact);
      // The channel only says it failed. When the port answers, find out whether TLS is the reason.
      if (failure.name === CHANNEL_FAILED.name && !signal.aborted) {
        const budgetMs = Math.min(2_000, Math.max(100, deadline - Date.now()));
        failure = (await diagnoseTls(budgetMs)) ?? (await diagnoseProtocol(budgetMs)) ?? failure;
      }
      throw new ConnectionFailureError(failure, { cause: error });
    } finally {
      ready.dispose();
      channelFailure.dispose();
      aborted.dispose();
    }
  }

  async function connect({ id, timeoutMs, signal }: ConnectRequest): Promise<LiveConnection> {
    const connection = await open(timeoutMs, signal, false);
    return new LiveTemporalConnection(id, connection, options, redact, (ms, renewSignal) =>
      open(ms, renewSignal, true),
    );
  }

  /**
   * A TLS handshake with the server, with the connection's own TLS settings: a protocol error while TLS is
   * on means the server does not speak TLS; a TLS answer (even an untrusted certificate) while TLS is off
   * means it requires TLS. Both are permanent (`TLS_ERROR`); undefined when TLS is not the problem.
   */
  async function diagnoseTls(timeoutMs: number): Promise<FailureInfo | undefined> {
    if (!(await isReachable(timeoutMs))) return undefined;
    const tlsOn = tlsEnabled(options);
    const settings = typeof options.tls === 'object' ? options.tls : {};
    const outcome = await new Promise<{ secure: boolean; error?: Error }>((resolve) => {
      const servername = settings.serverNameOverride ?? (isIP(host) ? undefined : host);
      const socket = tlsConnect({
        host,
        port,
        ...(servername !== undefined ? { servername } : {}),
        ...(settings.serverRootCACertificate ? { ca: Buffer.from(settings.serverRootCACertificate) } : {}),
        ...(settings.clientCertPair
          ? { cert: Buffer.from(settings.clientCertPair.crt), key: Buffer.from(settings.clientCertPair.key) }
          : {}),
        ALPNProtocols: ['h2'],
      });
      const done = (result: { secure: boolean; error?: Error }) => {
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.destroy();
        resolve(result);
      };
      socket.setTimeout(timeoutMs, () => done({ secure: false }));
      socket.once('secureConnect', () => done({ secure: true }));
      socket.once('error', (error: Error & { code?: string }) =>
        // A certificate the client rejects still proves the server speaks TLS.
        done({ secure: /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/i.test(error.code ?? ''), error }),
      );
    });
    if (tlsOn && outcome.error && !outcome.secure) {
      return {
        kind: 'permanent',
        code: 'TLS_ERROR',
        name: 'TlsHandshakeFailed',
        message: redact(
          `TLS handshake with ${options.address} failed (${oneLine(outcome.error.message)}): the server does not seem to serve TLS. Turn tls off, or point at the TLS port`,
        ),
      };
    }
    if (tlsOn && outcome.error) {
      return {
        kind: 'permanent',
        code: 'TLS_ERROR',
        name: 'TlsCertificateRejected',
        message: redact(
          `The certificate of ${options.address} was rejected (${oneLine(outcome.error.message)}): check tls.serverRootCACertificate and tls.serverNameOverride`,
        ),
      };
    }
    if (!tlsOn && outcome.secure) {
      return {
        kind: 'permanent',
        code: 'TLS_ERROR',
        name: 'TlsRequired',
        message: `${options.address} speaks TLS but tls is off: set tls: true (or TEMPORAL_TLS=true)`,
      };
    }
    return undefined;
  }

  /**
   * Something that is not a gRPC server holds the port (a web server, another service): it accepted TCP but did
   * not answer the HTTP/2 preface with SETTINGS. Permanent (`NOT_TEMPORAL`): a Temporal frontend binds its port
   * only once its gRPC server runs, so no Temporal, starting or not, answers that way; retried every
   * `permanentRetryDelay` in case an operator frees the port. Plaintext only: with TLS, `diagnoseTls` decides.
   */
  async function diagnoseProtocol(timeoutMs: number): Promise<FailureInfo | undefined> {
    if (tlsEnabled(options)) return undefined;
    const answer = await probeProtocol(host, port, Math.min(timeoutMs, 1_000));
    if (answer.kind !== 'other') return undefined;
    return {
      kind: 'permanent',
      code: 'NOT_TEMPORAL',
      name: 'NotTemporal',
      message: `${options.address} accepted TCP but did not speak gRPC: it ${answer.what}. Check the address and port (TEMPORAL_ADDRESS)`,
    };
  }

  function isReachable(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = netConnect({ host, port });
      const done = (reachable: boolean) => {
        socket.removeAllListeners();
        socket.on('error', () => {});
        socket.destroy();
        resolve(reachable);
      };
      socket.setTimeout(timeoutMs, () => done(false));
      socket.once('connect', () => done(true));
      socket.once('error', () => done(false));
    });
  }

  return { connect, isReachable };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
