/**
 * Something that is not Temporal on the port, and an API key that turns TLS on: each is named (NOT_TEMPORAL,
 * TLS_ERROR), permanent, and requests fail fast with the cause, instead of "refused, reset or unreachable"
 * retried forever. The real dev server, for contrast, answers the HTTP/2 preface and connects.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createSupervisor, type SupervisorOptions } from '../../src/index.js';
import { probeProtocol } from '../../src/temporal/protocol-probe.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { API_KEY, leakedSecrets } from '../support/secrets.js';

const defer = useCleanups();

async function listening(server: {
  listen(port: number, host: string, cb: () => void): unknown;
  address(): unknown;
  close(cb: () => void): unknown;
}) {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  defer(() => new Promise((resolve) => server.close(() => resolve(undefined))));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function lastFailureAgainst(address: string, options: SupervisorOptions = {}) {
  const supervisor = createSupervisor({ address, envConfig: false, connectTimeout: '3s', ...options });
  defer(() => supervisor.stop());
  supervisor.start();
  await supervisor.waitFor('backoff', { timeout: '20s' });
  const snapshot = supervisor.snapshot();
  expect(snapshot.retryDelayMs).toBe(30_000);
  await expect(supervisor.withClient(async () => 'ran', { timeout: '10s' })).rejects.toMatchObject({
    reason: 'permanent_failure',
  });
  return snapshot.lastFailure;
}

describe('not Temporal on the port', () => {
  it('an HTTP/1.1 server is NOT_TEMPORAL, permanent, named in the message', async () => {
    const address = await listening(createHttpServer((_req, res) => res.end('hello')));
    const failure = await lastFailureAgainst(address);
    expect(failure).toMatchObject({ kind: 'permanent', code: 'NOT_TEMPORAL' });
    expect(failure?.message).toContain('did not speak gRPC');
    expect(failure?.message).toContain('HTTP/1');
  });

  it('a server that writes garbage and closes is NOT_TEMPORAL', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const address = await listening(
      createTcpServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.end('220 smtp.example ESMTP\r\n');
        socket.once('close', () => sockets.delete(socket));
      }),
    );
    // Registered after the server's close: runs first, so that the close does not wait for half-open sockets.
    defer(async () => {
      for (const socket of sockets) socket.destroy();
    });
    const failure = await lastFailureAgainst(address);
    expect(failure).toMatchObject({ kind: 'permanent', code: 'NOT_TEMPORAL' });
  });

  it('a port that accepts and closes without a word (a TCP balancer with every backend down) stays transient', async () => {
    const address = await listening(createTcpServer((socket) => socket.destroy()));
    const [host, port] = address.split(':');
    expect(await probeProtocol(host!, Number(port), 1_000)).toStrictEqual({ kind: 'silent' });
    const supervisor = createSupervisor({ address, envConfig: false, connectTimeout: '3s' });
    defer(() => supervisor.stop());
    supervisor.start();
    await supervisor.waitFor('backoff', { timeout: '20s' });
    const snapshot = supervisor.snapshot();
    expect(snapshot.lastFailure).toMatchObject({ kind: 'transient' });
    expect(snapshot.lastFailure?.code).not.toBe('NOT_TEMPORAL');
    expect(snapshot.retryDelayMs).toBeLessThan(30_000);
  });

  it('the real dev server answers the HTTP/2 preface (so it is never taken for an impostor)', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const [host, port] = server.address.split(':');
    expect(await probeProtocol(host!, Number(port), 2_000)).toStrictEqual({ kind: 'http2' });
  });

  it('an API key with no tls turns TLS on, as in the SDK: against plaintext that is TLS_ERROR, no key shown', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const failure = await lastFailureAgainst(server.address, { apiKey: API_KEY });
    expect(failure).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR' });
    expect(leakedSecrets(JSON.stringify(failure))).toStrictEqual([]);
  });

  it('a refused port: one diagnosis dial per failed attempt, no TLS or protocol probe of a closed port', async () => {
    // A port nobody listens on: bound, then closed.
    const probe = createTcpServer();
    const address = await new Promise<string>((resolve) =>
      probe.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(probe.address() as { port: number }).port}`)),
    );
    await new Promise((resolve) => probe.close(resolve));
    // Every client socket this process opens through `net` (our dials; grpc-js's channel makes its own, not
    // seen here), as fleet-replica.ts counts them: one that closes without ever connecting was refused (`emit`
    // is wrapped: the dials remove their listeners before destroying).
    const refused: number[] = [];
    const onSocket = (message: unknown) => {
      const { socket } = message as { socket: import('node:net').Socket };
      let connected = false;
      const emit = socket.emit;
      socket.emit = function (this: typeof socket, event: string | symbol, ...args: unknown[]) {
        if (event === 'connect') connected = true;
        else if (event === 'close' && !connected) refused.push(Date.now());
        return Reflect.apply(emit, this, [event, ...args]) as boolean;
      } as typeof socket.emit;
    };
    subscribe('net.client.socket', onSocket);
    defer(async () => {
      unsubscribe('net.client.socket', onSocket);
    });
    const supervisor = createSupervisor({ address, envConfig: false, reachabilityInterval: false });
    defer(() => supervisor.stop());
    supervisor.start();
    await supervisor.waitFor('backoff', { timeout: '20s' });
    const failure = supervisor.snapshot().lastFailure;
    await supervisor.stop();
    expect(failure?.code).toBe('UNAVAILABLE');
    // The diagnosis's reachability dial only (before: that dial, then the protocol probe's, both refused).
    expect(refused).toHaveLength(1);
  });
});
