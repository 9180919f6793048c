import { connect, createServer, type Server, type Socket } from 'node:net';
import { Connection } from '@temporalio/client';
import { afterEach, describe, expect, it } from 'vitest';
import { DevServer, findFreePort } from './dev-server.js';
import { FaultProxy } from './fault-proxy.js';
import { GrpcStatus, grpcCodeOf } from './grpc.js';
import { waitUntil } from './wait.js';

/** An echo server that records what it accepted and how its sockets ended. */
interface EchoServer {
  server: Server;
  port: number;
  accepted: number;
  bytesReceived: number;
  sockets: Set<Socket>;
  errors: string[];
}

async function startEcho(): Promise<EchoServer> {
  const echo: EchoServer = {
    server: createServer(),
    port: 0,
    accepted: 0,
    bytesReceived: 0,
    sockets: new Set(),
    errors: [],
  };
  echo.server.on('connection', (socket) => {
    echo.accepted++;
    echo.sockets.add(socket);
    socket.on('data', (data) => {
      echo.bytesReceived += data.length;
      socket.write(data);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => echo.errors.push(error.code ?? error.message));
    socket.on('close', () => echo.sockets.delete(socket));
  });
  await new Promise<void>((resolve) => echo.server.listen(0, '127.0.0.1', resolve));
  echo.port = (echo.server.address() as { port: number }).port;
  return echo;
}

/** A client socket that accumulates what it receives and records how it ended. */
interface Client {
  socket: Socket;
  received: () => string;
  error: () => NodeJS.ErrnoException | undefined;
  closed: () => boolean;
  ended: () => boolean;
}

function openClient(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    let received = '';
    let error: NodeJS.ErrnoException | undefined;
    let closed = false;
    let ended = false;
    const socket = connect(port, '127.0.0.1');
    const client: Client = {
      socket,
      received: () => received,
      error: () => error,
      closed: () => closed,
      ended: () => ended,
    };
    socket.on('data', (data) => {
      received += data.toString();
    });
    socket.on('end', () => {
      ended = true;
    });
    socket.on('close', () => {
      closed = true;
    });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', (e) => {
        error = e;
      });
      resolve(client);
    });
    socket.once('error', reject);
  });
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups.length = 0;
});

async function setup(): Promise<{ echo: EchoServer; proxy: FaultProxy }> {
  const echo = await startEcho();
  cleanups.push(() => {
    for (const socket of echo.sockets) socket.destroy();
    return new Promise((resolve) => echo.server.close(resolve));
  });
  const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: echo.port } });
  cleanups.push(() => proxy.close());
  return { echo, proxy };
}

async function client(proxy: FaultProxy): Promise<Client> {
  const c = await openClient(proxy.port);
  cleanups.push(() => c.socket.destroy());
  return c;
}

/** Asserts that `check` stays true for `ms` (polling), e.g. that nothing arrives during a black hole. */
async function staysTrue(check: () => boolean, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    expect(check()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** An echo server closed by the cleanups. */
async function echoServer(): Promise<EchoServer> {
  const echo = await startEcho();
  cleanups.push(() => {
    for (const socket of echo.sockets) socket.destroy();
    return new Promise((resolve) => echo.server.close(resolve));
  });
  return echo;
}

describe('FaultProxy as a load balancer over several targets', () => {
  it('round robin: connections alternate between the targets, each echoed by its own', async () => {
    const [a, b] = [await echoServer(), await echoServer()];
    const proxy = await FaultProxy.start({
      target: [
        { host: '127.0.0.1', port: a.port },
        { host: '127.0.0.1', port: b.port },
      ],
    });
    cleanups.push(() => proxy.close());

    for (let i = 0; i < 4; i++) {
      const c = await client(proxy);
      c.socket.write(`m${i}`);
      await waitUntil(() => c.received() === `m${i}`, { what: `echo of m${i}` });
    }

    expect([a.accepted, b.accepted]).toEqual([2, 2]);
    expect(proxy.stats.targets).toEqual([
      { address: `127.0.0.1:${a.port}`, connected: 2, failed: 0 },
      { address: `127.0.0.1:${b.port}`, connected: 2, failed: 0 },
    ]);
  });

  it('failover: a target that refuses is skipped, and bytes the client sent meanwhile reach the other', async () => {
    const live = await echoServer();
    const deadPort = await findFreePort(); // nothing listens there: connects are refused
    const proxy = await FaultProxy.start({
      target: [
        { host: '127.0.0.1', port: deadPort },
        { host: '127.0.0.1', port: live.port },
      ],
    });
    cleanups.push(() => proxy.close());

    for (let i = 0; i < 3; i++) {
      const c = await client(proxy);
      c.socket.write(`first bytes ${i}`); // written before any server side is connected
      await waitUntil(() => c.received() === `first bytes ${i}`, {
        what: `echo ${i} through the live target`,
      });
    }

    expect(live.accepted).toBe(3);
    const [dead, alive] = proxy.stats.targets;
    expect(alive).toMatchObject({ connected: 3, failed: 0 });
    expect(dead).toMatchObject({ connected: 0 });
    expect(dead?.failed).toBeGreaterThanOrEqual(1); // every other connection starts on the dead one
  });

  it('every target refuses: the client is closed, nothing is thrown', async () => {
    const proxy = await FaultProxy.start({
      target: [
        { host: '127.0.0.1', port: await findFreePort() },
        { host: '127.0.0.1', port: await findFreePort() },
      ],
    });
    cleanups.push(() => proxy.close());
    const c = await client(proxy);
    await waitUntil(() => c.closed(), { what: 'client closed' });
    expect(proxy.stats.targets.map((t) => t.failed)).toEqual([1, 1]);
  });

  it('rejects an empty target list and a bad port by index', async () => {
    await expect(FaultProxy.start({ target: [] })).rejects.toThrow(/at least one/);
    await expect(
      FaultProxy.start({
        target: [
          { host: '127.0.0.1', port: 1 },
          { host: '127.0.0.1', port: -1 },
        ],
      }),
    ).rejects.toThrow(/`target\[1\]\.port`/);
  });
});

describe('FaultProxy against an echo server', () => {
  it('pass: forwards both ways and counts connections and bytes', async () => {
    const { echo, proxy } = await setup();
    expect(proxy.address).toBe(`127.0.0.1:${proxy.port}`);
    expect(proxy.mode).toBe('pass');

    const c = await client(proxy);
    c.socket.write('hello');
    await waitUntil(() => c.received() === 'hello', { what: 'echo of hello' });

    expect(proxy.stats).toEqual({
      accepted: 1,
      active: 1,
      bytesUp: 5,
      bytesDown: 5,
      targets: [{ address: `127.0.0.1:${echo.port}`, connected: 1, failed: 0 }],
    });
    expect(echo.accepted).toBe(1);
    c.socket.end();
    await waitUntil(() => proxy.stats.active === 0 && c.closed(), {
      what: 'connection closed through the proxy',
    });
    await waitUntil(() => echo.sockets.size === 0, { what: 'upstream connection closed' });
  });

  it('refuse: new connects get ECONNREFUSED, open connections go on, pass() listens again on the same port', async () => {
    const { proxy } = await setup();
    const before = await client(proxy);

    await proxy.refuse();

    expect(proxy.mode).toBe('refuse');
    await expect(openClient(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    before.socket.write('still');
    await waitUntil(() => before.received() === 'still', {
      what: 'echo on the connection opened before refuse()',
    });

    await proxy.pass();

    const after = await client(proxy);
    after.socket.write('back');
    await waitUntil(() => after.received() === 'back', { what: 'echo after pass()' });
    expect(proxy.stats.accepted).toBe(2);
  });

  it('blackhole: accepts, moves no byte either way, closes nothing; pass() delivers what was held, in order', async () => {
    const { echo, proxy } = await setup();
    const before = await client(proxy);
    before.socket.write('a');
    await waitUntil(() => before.received() === 'a', { what: 'first echo' });

    await proxy.blackhole();

    const during = await client(proxy); // accepted at TCP level
    before.socket.write('b');
    before.socket.write('c');
    during.socket.write('x');
    await staysTrue(
      () =>
        before.received() === 'a' &&
        during.received() === '' &&
        !before.closed() &&
        !during.closed() &&
        echo.accepted === 1 && // the server never hears of the new connection
        echo.bytesReceived === 1,
      400,
    );
    expect(proxy.stats).toMatchObject({ accepted: 2, active: 2, bytesUp: 1, bytesDown: 1 });

    await proxy.pass();

    await waitUntil(() => before.received() === 'abc' && during.received() === 'x', {
      what: 'held bytes delivered',
    });
    expect(echo.accepted).toBe(2);
  });

  it('resetAll: every connection gets a TCP RST on both sides, and new connections still work', async () => {
    const { echo, proxy } = await setup();
    const clients = [await client(proxy), await client(proxy)];
    for (const c of clients) c.socket.write('ping');
    await waitUntil(() => clients.every((c) => c.received() === 'ping'), { what: 'echoes' });
    expect(echo.sockets.size).toBe(2);

    proxy.resetAll();

    await waitUntil(() => clients.every((c) => c.closed()), { what: 'client sockets closed' });
    for (const c of clients) expect(c.error()?.code).toBe('ECONNRESET');
    await waitUntil(() => echo.sockets.size === 0, { what: 'upstream sockets closed' });
    expect(echo.errors).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(proxy.stats.active).toBe(0);

    const again = await client(proxy);
    again.socket.write('pong');
    await waitUntil(() => again.received() === 'pong', { what: 'echo after resetAll()' });
  });

  it('setLatency: delays each direction, keeps the order, and 0 removes the delay', async () => {
    const { proxy } = await setup();
    const c = await client(proxy);

    proxy.setLatency(150);
    let started = performance.now();
    c.socket.write('slow');
    await waitUntil(() => c.received() === 'slow', { what: 'delayed echo' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(295); // 150 ms up + 150 ms down

    const expected = Array.from({ length: 30 }, (_, i) => `<${i}>`).join('');
    for (let i = 0; i < 30; i++) {
      c.socket.write(`<${i}>`);
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await waitUntil(() => c.received().length >= 4 + expected.length, { what: 'all delayed chunks' });
    expect(c.received()).toBe(`slow${expected}`);

    proxy.setLatency(0);
    started = performance.now();
    c.socket.write('fast');
    await waitUntil(() => c.received().endsWith('fast'), { what: 'undelayed echo', intervalMs: 2 });
    expect(performance.now() - started).toBeLessThan(100);
    expect(() => proxy.setLatency(-1)).toThrow(RangeError);
  });

  it('a target that is down: the client connection is closed, nothing is thrown', async () => {
    const deadPort = await findFreePort();
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: deadPort } });
    cleanups.push(() => proxy.close());

    const c = await client(proxy);
    c.socket.write('anyone?');

    await waitUntil(() => c.closed(), { what: 'client closed after the upstream connect failed' });
    expect(c.received()).toBe('');
    expect(proxy.stats).toMatchObject({ accepted: 1, active: 0, bytesDown: 0 });
  });

  it('close: closes open connections and stops listening', async () => {
    const { proxy } = await setup();
    const c = await client(proxy);

    await proxy.close();
    await proxy.close();

    await waitUntil(() => c.closed(), { what: 'client closed by close()' });
    await expect(openClient(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(proxy.pass()).rejects.toThrow(/closed/);
  });
});

describe('FaultProxy in front of a real Temporal dev server', () => {
  it('pass → resetAll + refuse → pass → blackhole → pass, seen by a real client', async () => {
    const server = await DevServer.start();
    cleanups.push(() => server.dispose());
    const proxy = await FaultProxy.start({ target: { host: '127.0.0.1', port: server.port } });
    cleanups.push(() => proxy.close());
    // No retry interceptor, so a failure surfaces at once; short reconnect backoff, so recovery is quick.
    const connection = await Connection.connect({
      address: proxy.address,
      interceptors: [],
      connectTimeout: 5000,
      channelArgs: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 },
    });
    cleanups.push(() => connection.close());
    const call = (deadlineMs: number) =>
      connection.withDeadline(Date.now() + deadlineMs, () =>
        connection.workflowService.describeNamespace({ namespace: 'default' }),
      );
    const failureOf = async (deadlineMs: number): Promise<{ code: number | undefined; ms: number }> => {
      const started = performance.now();
      const error = await call(deadlineMs).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, 'the call should have failed').toBeDefined();
      return { code: grpcCodeOf(error), ms: performance.now() - started };
    };

    expect((await call(5000)).namespaceInfo?.name).toBe('default');
    expect(proxy.stats.bytesDown).toBeGreaterThan(0);

    await proxy.refuse();
    proxy.resetAll();
    const refused = await failureOf(10_000);
    expect(refused.code).toBe(GrpcStatus.UNAVAILABLE);
    expect(refused.ms).toBeLessThan(2000);

    await proxy.pass();
    await waitUntil(() => call(2000), { timeoutMs: 10_000, what: 'a call to succeed after pass()' });

    await proxy.blackhole();
    const held = await failureOf(1000);
    expect(held.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    expect(held.ms).toBeGreaterThanOrEqual(900);

    await proxy.pass();
    await waitUntil(() => call(2000), { timeoutMs: 10_000, what: 'a call to succeed after the black hole' });
  });
});
