import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingProxy } from './counting-proxy.js';
import { waitUntil } from './wait.js';

/** An echo server on `port` (0: a free one), its sockets kept so that it can be "killed". */
async function startEcho(port = 0): Promise<{ server: Server; port: number; kill(): void }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port }, resolve));
  const bound = (server.address() as { port: number }).port;
  return {
    server,
    port: bound,
    // As a SIGKILLed process's kernel does: the port closes, every connection ends.
    kill() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** 'open' if a TCP connect to `port` succeeds, 'refused' if it fails; the socket is closed without a byte. */
function dialOutcome(port: number): Promise<'open' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('error', () => resolve('refused'));
  });
}

function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString());
    });
    socket.write(text);
  });
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('CountingProxy', () => {
  it('resets a client whose upstream connect fails, as a refused connect would fail, not a clean close', async () => {
    const echo = await startEcho();
    const proxy = await CountingProxy.start({ host: '127.0.0.1', port: echo.port }, { pollMs: 60_000 });
    cleanups.push(() => proxy.close());
    // The upstream's port closes while the proxy still listens (its sentinel stays open: no connection ends).
    echo.server.close();
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port: proxy.port });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      socket.once('end', () => resolve('clean close'));
      socket.write('PRI * HTTP/2.0');
    });
    expect(outcome).toBe('ECONNRESET');
    echo.kill();
  });

  it('forwards, and counts connections that sent bytes apart from bare dials', async () => {
    const echo = await startEcho();
    cleanups.push(() => echo.kill());
    const proxy = await CountingProxy.start({ host: '127.0.0.1', port: echo.port });
    cleanups.push(() => proxy.close());
    const from = performance.timeOrigin + performance.now();
    expect(await roundTrip(proxy.port, 'hello')).toBe('hello');
    expect(await dialOutcome(proxy.port)).toBe('open');
    expect(await dialOutcome(proxy.port)).toBe('open');
    await waitUntil(() => proxy.connections.every((c) => c.closedAt !== undefined), { timeoutMs: 2_000 });
    const counts = proxy.countsBetween(from, Number.POSITIVE_INFINITY);
    expect(counts.attempts).toHaveLength(1);
    expect(counts.dials).toHaveLength(2);
    expect(proxy.connections[0]?.bytesUp).toBe(5);
  });

  it('refuses while its upstream is down and listens again, on the same port, once it accepts', async () => {
    const echo = await startEcho();
    const proxy = await CountingProxy.start({ host: '127.0.0.1', port: echo.port }, { pollMs: 5 });
    cleanups.push(() => proxy.close());
    const open = await roundTrip(proxy.port, 'x');
    expect(open).toBe('x');

    const killedAt = performance.now();
    echo.kill();
    await waitUntil(() => !proxy.isListening, { timeoutMs: 1_000, intervalMs: 1 });
    expect(performance.now() - killedAt).toBeLessThan(500);
    expect(await dialOutcome(proxy.port)).toBe('refused');
    // The poll keeps refusing while the upstream is down.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await dialOutcome(proxy.port)).toBe('refused');
    expect(proxy.refusedPolls).toBeGreaterThan(1);

    const again = await startEcho(echo.port);
    cleanups.push(() => again.kill());
    await waitUntil(() => proxy.isListening, { timeoutMs: 1_000, intervalMs: 1 });
    expect(await roundTrip(proxy.port, 'back')).toBe('back');
    expect(proxy.listening).toHaveLength(2);
    expect(proxy.listening[0]?.to).toBeDefined();
    expect(proxy.listening[1]?.to).toBeUndefined();
  });
});
