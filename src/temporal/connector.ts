import { isIP, connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { Client, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import type { FailureInfo } from '../../machines/failure.js';
import { ConnectionFailureError } from '../errors.js';
import { describeThrown } from '../logging/faults.js';
import { tlsEnabled } from '../options/connection.js';
import type { ResolvedOptions } from '../options/types.js';
import { classifyFailure, grpcStatusOf } from '../runtime/classify.js';
import type { Connector, ConnectRequest, LiveConnection } from '../runtime/connector.js';
import type { CredentialSource } from '../runtime/credential-source.js';
import { status } from '../runtime/grpc-status.js';
import { CHANNEL_FAILED, failFastOnChannelFailure, SupervisedConnection, untilReady } from './channel.js';
import { closedChannelGuard, countInFlight } from './grpc-guard.js';
import { abortPromise, LiveTemporalConnection } from './live-connection.js';
import { probeProtocol } from './protocol-probe.js';
import { requestIdInterceptor } from './request-id.js';

function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}

/** The default connector: real `@temporalio/client` connections. */
export function createTemporalConnector(options: ResolvedOptions, credentials: CredentialSource): Connector {
  const { host, port } = splitAddress(options.address);
  const { redact } = credentials;
  /** The connections handed out and not closed: a reloaded TLS pair renews each. */
  const live = new Set<LiveTemporalConnection>();
  /** Calls in flight per connection (retries included), so that a renewed one is closed only once idle. */
  const inFlight = new WeakMap<SupervisedConnection, { count: number }>();

  /** A new connection with the credentials of the moment, ready and answering DescribeNamespace. */
  /**
   * `fresh`: on a subchannel pool of its own, so on a TCP connection of its own (grpc-js otherwise shares one
   * among channels with the same address and options): the replacement of a connection whose frontend is
   * draining must not ride the same socket.
   */
  async function open(deadline: number, timeoutMs: number, signal: AbortSignal, fresh = false) {
    const tls = credentials.tls();
    const counter = { count: 0 };
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
      ...(tls !== undefined ? { tls } : {}),
      // Read per call by the SDK: the key of the moment (a rotation applies to the next call), never a throw.
      ...(credentials.hasApiKey ? { apiKey: () => credentials.apiKey() ?? '' } : {}),
      metadata: { ...options.metadata },
      connectTimeout: timeoutMs,
      // Outermost the count of calls in flight; the SDK's default retry interceptor (or the caller's); then
      // our guard innermost: see grpc-guard.ts.
      interceptors: [
        countInFlight(counter),
        ...(options.connectionOptions.interceptors ?? [makeGrpcRetryInterceptor(defaultGrpcRetryOptions())]),
        requestIdInterceptor,
        closedChannelGuard,
      ],
    }) as SupervisedConnection;
    inFlight.set(connection, counter);
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
      // `ready` stops watching first: its watch would ask the closed channel to connect on SHUTDOWN and leave
      // a TCP connection behind once the server is back (see `untilReady`; the chaos outage test catches it).
      ready.dispose();
      await connection.closeQuietly().catch(() => {});
      throw error;
    } finally {
      ready.dispose();
      channelFailure.dispose();
      aborted.dispose();
    }
  }

  async function connect({ id, timeoutMs, signal }: ConnectRequest): Promise<LiveConnection> {
    const deadline = Date.now() + timeoutMs;
    try {
      if (credentials.hasApiKey && (await keyBefore(deadline, signal)) === undefined) {
        throw new ConnectionFailureError({
          kind: 'transient',
          code: 'API_KEY_UNAVAILABLE',
          name: 'ApiKeyUnavailable',
          message:
            'The apiKey function has not answered with a usable key yet (see the fault it reported); retrying',
        });
      }
      const tls = credentials.tls();
      const connection = await open(deadline, timeoutMs, signal);
      const client = new Client({ connection, namespace: options.namespace });
      const made = new LiveTemporalConnection(id, connection, client, options, redact, (ms, renewSignal) =>
        open(Date.now() + ms, ms, renewSignal, true),
      );
      live.add(made);
      // Forgotten at its close: a closed connection kept here would keep its Client and channel (~50 KB) alive,
      // one per reconnect, for the life of the process.
      made.whenClosed(() => live.delete(made));
      // The TLS pair was reloaded while this one connected (renewAll did not see it): renew it now.
      if (credentials.tls() !== tls) void renew(made).catch(() => {});
      return made;
    } catch (error) {
      if (error instanceof ConnectionFailureError && error.failure.code === 'API_KEY_UNAVAILABLE')
        throw error;
      let failure = classifyFailure(error, redact);
      // The channel only says it failed. When the port answers, find out whether TLS (or something that is not
      // gRPC) is the reason; a refused port is dialled once, not once for each diagnosis.
      if (failure.name === CHANNEL_FAILED.name && !signal.aborted) {
        const budgetMs = Math.min(2_000, Math.max(100, deadline - Date.now()));
        if (await isReachable(budgetMs))
          failure = (await diagnoseTls(budgetMs)) ?? (await diagnoseProtocol(budgetMs)) ?? failure;
      }
      throw new ConnectionFailureError(failure, { cause: error });
    }
  }

  /** The key for a new connection, waiting for the first answer of an `apiKey` function within the attempt. */
  async function keyBefore(deadline: number, signal: AbortSignal): Promise<string | undefined> {
    const aborted = abortPromise(signal);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), undefined);
    });
    try {
      return await Promise.race([credentials.readyApiKey(), late, aborted.promise]);
    } finally {
      clearTimeout(timer);
      aborted.dispose();
    }
  }

  /**
   * A reloaded TLS pair: each live connection gets a new one made with it (grpc-js 1.14.7 shares a subchannel
   * only between equal channel credentials, and compares TLS ones by their SecureContext object, which each
   * connection creates anew: the new one handshakes with the new certificate on its own socket), proven to answer
   * before it is swapped in; the old one is closed once no call is in flight on it. If the new pair is refused,
   * the old connection stays in use and the refusal is logged (a reconnect would meet it too).
   */
  async function renewAll(): Promise<void> {
    await Promise.all([...live].map(renew));
  }

  async function renew(made: LiveTemporalConnection): Promise<void> {
    if (made.isClosed) return void live.delete(made);
    const timeoutMs = options.machine.connectTimeoutMs;
    let fresh: SupervisedConnection;
    try {
      fresh = await open(Date.now() + timeoutMs, timeoutMs, new AbortController().signal);
    } catch (error) {
      throw new Error(`a connection with the reloaded TLS pair failed: ${redact(describeThrown(error))}`);
    }
    if (made.isClosed) return void (await fresh.closeQuietly());
    made.renew(fresh, isIdle);
  }

  function isIdle(connection: SupervisedConnection): boolean {
    return (inFlight.get(connection)?.count ?? 0) === 0;
  }

  credentials.onChange((change) => (change.kind === 'tls' ? renewAll() : undefined));

  /**
   * A TLS handshake with the server, with the connection's own TLS settings: a protocol error while TLS is
   * on means the server does not speak TLS; a TLS answer (even an untrusted certificate) while TLS is off
   * means it requires TLS. Both are permanent (`TLS_ERROR`); undefined when TLS is not the problem.
   */
  async function diagnoseTls(timeoutMs: number): Promise<FailureInfo | undefined> {
    const tls = credentials.tls();
    const tlsOn = tlsEnabled({ tls, apiKey: options.apiKey });
    const settings = typeof tls === 'object' && tls !== null ? tls : {};
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
