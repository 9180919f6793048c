/**
 * TLS misconfiguration is permanent, and reported as such: TLS on against a plaintext server (the real dev
 * server), TLS off against a TLS server, and a certificate the client does not trust. Each ends in backoff
 * with `TLS_ERROR` and the permanent cadence, requests failing fast with the cause.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';

const cert = readFileSync(new URL('../fixtures/tls/test-only-cert.pem', import.meta.url));
const key = readFileSync(new URL('../fixtures/tls/test-only-key.pem', import.meta.url));

const defer = useCleanups();

/** A TLS listener that completes handshakes and then says nothing (no HTTP/2, no gRPC). */
async function tlsListener(): Promise<{ server: Server; address: string }> {
  const server = createServer({ cert, key, ALPNProtocols: ['h2'] }, (socket) => socket.on('error', () => {}));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  defer(() => new Promise((resolve) => server.close(resolve)));
  return { server, address: `127.0.0.1:${port}` };
}

async function failsPermanently(address: string, options: SupervisorOptions) {
  const supervisor: Supervisor = createSupervisor({
    address,
    envConfig: false,
    permanentRetryDelay: '30s',
    connectTimeout: '3s',
    ...options,
  });
  defer(() => supervisor.stop());
  supervisor.start();
  await supervisor.waitFor('backoff', { timeout: '20s' });
  const snapshot = supervisor.snapshot();
  expect(snapshot.retryDelayMs).toBe(30_000);
  await expect(supervisor.withClient(async () => 'ran', { timeout: '10s' })).rejects.toMatchObject({
    reason: 'permanent_failure',
    lastFailure: { code: 'TLS_ERROR' },
  });
  return snapshot.lastFailure;
}

describe('TLS misconfiguration is a permanent failure', () => {
  it('TLS on, against the plaintext dev server', async () => {
    const server = await DevServer.start();
    defer(() => server.dispose());
    const failure = await failsPermanently(server.address, { tls: true });
    expect(failure).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR', name: 'TlsHandshakeFailed' });
    expect(failure?.message).toMatch(/wrong version number/);
    expect(failure?.message).not.toContain('\n');
  });

  it('TLS off, against a server that speaks TLS', async () => {
    const { address } = await tlsListener();
    const failure = await failsPermanently(address, {});
    expect(failure).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR', name: 'TlsRequired' });
    expect(failure?.message).toContain('set tls: true');
  });

  it('TLS on, against a server whose certificate the client does not trust', async () => {
    const { address } = await tlsListener();
    const failure = await failsPermanently(address, { tls: true });
    expect(failure).toMatchObject({ kind: 'permanent', code: 'TLS_ERROR', name: 'TlsCertificateRejected' });
  });
});
