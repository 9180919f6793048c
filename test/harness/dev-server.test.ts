import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DevServer, type DevServerTimings } from './dev-server.js';
import { GrpcStatus, grpcCodeOf } from './grpc.js';
import { startOwner } from './owner.js';
import { resolveTemporalCli } from './temporal-cli.js';
import { isProcessAlive, waitUntil } from './wait.js';

const servers = new Set<DevServer>();
const connections = new Set<Connection>();
const measured: Array<{ test: string } & DevServerTimings> = [];

async function startServer(options?: Parameters<typeof DevServer.start>[0]): Promise<DevServer> {
  const server = await DevServer.start(options);
  servers.add(server);
  return server;
}

/** A client connection without the SDK's retry interceptor: a failing call fails at once. */
async function connect(server: DevServer): Promise<Connection> {
  const connection = await Connection.connect({
    address: server.address,
    interceptors: [],
    connectTimeout: 5000,
  });
  connections.add(connection);
  return connection;
}

function describeNamespace(connection: Connection, namespace = 'default') {
  return connection.withDeadline(Date.now() + 5000, () =>
    connection.workflowService.describeNamespace({ namespace }),
  );
}

afterEach(async ({ task }) => {
  for (const connection of connections) await connection.close().catch(() => {});
  connections.clear();
  for (const server of servers) {
    measured.push({ test: task.name, ...server.timings });
    await server.dispose();
  }
  servers.clear();
});

afterAll(() => {
  console.log(`DevServer timings (ms):\n${measured.map((row) => JSON.stringify(row)).join('\n')}`);
});

describe('DevServer', () => {
  it('start: resolves once a real client can describe the default namespace', async () => {
    const server = await startServer({ namespaces: ['extra-ns'] });

    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    expect(isProcessAlive(server.pid!)).toBe(true);
    expect(server.timings.startToReadyMs).toBeGreaterThan(0);
    const connection = await connect(server);
    const info = await describeNamespace(connection);
    expect(info.namespaceInfo?.name).toBe('default');
    expect((await describeNamespace(connection, 'extra-ns')).namespaceInfo?.name).toBe('extra-ns');
  });

  it('kill: SIGKILL makes calls fail with UNAVAILABLE and the process is gone', async () => {
    const server = await startServer();
    const connection = await connect(server);
    await describeNamespace(connection);
    const pid = server.pid!;

    await server.kill();

    expect(server.running).toBe(false);
    expect(server.lastExit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    const error = await describeNamespace(connection).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(grpcCodeOf(error)).toBe(GrpcStatus.UNAVAILABLE);
    await expect(Connection.connect({ address: server.address, connectTimeout: 500 })).rejects.toThrow(
      /Failed to connect before the deadline/,
    );
    expect(server.timings.killMs).toBeGreaterThanOrEqual(0);
  });

  it('restart after SIGKILL: same port, and namespaces and workflows written before the kill are still there', async () => {
    const server = await startServer();
    const connection = await connect(server);
    const namespace = `survivor-${process.pid}-${Date.now()}`;
    // Through the CLI: the proto's Long-typed retention would need a dependency on `long` from this test.
    await execFileAsync(await resolveTemporalCli(), [
      'operator',
      'namespace',
      'create',
      '--address',
      server.address,
      '--namespace',
      namespace,
      '--retention',
      '24h',
    ]);
    expect((await describeNamespace(connection, namespace)).namespaceInfo?.name).toBe(namespace);
    const client = new Client({ connection });
    // No worker polls this task queue: the workflow stays RUNNING, written to the SQLite file.
    const handle = await client.workflow.start('neverExecuted', {
      taskQueue: `no-worker-${Date.now()}`,
      workflowId: `survivor-wf-${Date.now()}`,
      args: [42],
    });
    const { port } = server;
    const pidBefore = server.pid;

    await server.restart({ kill: true });

    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pidBefore);
    expect(server.timings.restartToReadyMs).toBeGreaterThan(0);
    // The old connection's channel reconnects to the new process on the same port.
    const after = await waitUntil(() => describeNamespace(connection, namespace), {
      what: `namespace ${namespace} after the restart`,
    });
    expect(after.namespaceInfo?.name).toBe(namespace);
    const description = await handle.describe();
    expect(description.status.name).toBe('RUNNING');
    const history = await handle.fetchHistory();
    expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe(
      'neverExecuted',
    );
  });

  it('stop: SIGTERM ends the server gracefully, and restart() brings it back', async () => {
    const server = await startServer();
    const pid = server.pid!;

    await server.stop();

    expect(server.running).toBe(false);
    expect(server.lastExit?.signal).not.toBe('SIGKILL');
    expect(isProcessAlive(pid)).toBe(false);
    expect(server.timings.stopMs).toBeLessThan(10_000);

    await server.startAgain();
    await describeNamespace(await connect(server));
    await server.restart();
    expect(server.timings.restartToReadyMs).toBeGreaterThan(0);
    await describeNamespace(await connect(server));
  });

  it('dispose: kills the process and removes the temp dir', async () => {
    const server = await startServer();
    const pid = server.pid!;
    expect(existsSync(server.dbFile)).toBe(true);

    await server.dispose();
    await server.dispose();

    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(existsSync(dirname(server.dbFile))).toBe(false);
    await expect(server.startAgain()).rejects.toThrow(/disposed/);
  });

  it('fails at once with the exit code and output when the server exits before it is ready', async () => {
    const blocker = await listenOnFreePort();
    const port = (blocker.address() as { port: number }).port;
    try {
      const started = performance.now();
      const failure = DevServer.start({ port });
      await expect(failure).rejects.toThrow(
        new RegExp(`127\\.0\\.0\\.1:${port} exited before it was ready \\(exit code \\d+`),
      );
      await expect(failure).rejects.toThrow(/address already in use/);
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      await closeServer(blocker);
    }
  });

  it('fails after readyTimeoutMs, naming the port and elapsed time, and leaves no process', async () => {
    const error = await DevServer.start({ readyTimeoutMs: 50 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/127\.0\.0\.1:\d+ \(pid \d+\) was not ready after \d+ ms \(readyTimeoutMs 50\)/);
    const pid = Number(message.match(/\(pid (\d+)\)/)?.[1]);
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('rejects bad options with a RangeError', async () => {
    await expect(DevServer.start({ port: 70_000 })).rejects.toThrow(RangeError);
    await expect(DevServer.start({ readyTimeoutMs: 0 })).rejects.toThrow(/readyTimeoutMs/);
  });

  describe('never leaves a server behind when its owner dies', () => {
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      it(`owner killed with ${signal}`, async () => {
        const owner = await startOwner<{ pid: number; dbFile: string }>(childScript);
        try {
          const { pid, dbFile } = owner.info;
          expect(isProcessAlive(pid)).toBe(true);

          await owner.kill(signal);

          await waitUntil(() => !isProcessAlive(pid), { timeoutMs: 5000, what: `dev server ${pid} to die` });
          await waitUntil(() => !existsSync(dirname(dbFile)), {
            timeoutMs: 5000,
            what: `${dirname(dbFile)} removed`,
          });
        } finally {
          await owner.kill('SIGKILL');
        }
      });
    }
  });
});

const execFileAsync = promisify(execFile);
const childScript = fileURLToPath(new URL('./child-dev-server.ts', import.meta.url));

const sockets = new WeakMap<Server, Set<Socket>>();

/** A plain TCP listener holding a port. It accepts and never answers, like any non-gRPC process would. */
async function listenOnFreePort(): Promise<Server> {
  const open = new Set<Socket>();
  const server = createServer((socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  sockets.set(server, open);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/**
 * Closes the listener and destroys what it accepted: a readiness probe's half-open HTTP/2 connection to it is
 * not closed by `Connection.close()` (grpc-js waits for the peer's SETTINGS with no timeout), so `close()`
 * alone would wait forever.
 */
async function closeServer(server: Server): Promise<void> {
  for (const socket of sockets.get(server) ?? []) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
}
