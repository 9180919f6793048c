import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useCleanups } from './cleanups.js';
import { startOwner } from './owner.js';
import { PostgresServer, resolvePostgresBin } from './postgres.js';
import { isProcessAlive, waitUntil } from './wait.js';

const execFileAsync = promisify(execFile);
const defer = useCleanups();

async function startServer(options?: Parameters<typeof PostgresServer.start>[0]): Promise<PostgresServer> {
  const server = await PostgresServer.start(options);
  defer(() => server.stop());
  return server;
}

/** Runs `sql` through psql (no .psqlrc, unaligned, tuples only) and returns its stdout, trimmed. */
async function psql(server: PostgresServer, sql: string, database?: string): Promise<string> {
  const bin = await resolvePostgresBin();
  const { stdout } = await execFileAsync(
    join(bin, 'psql'),
    ['-X', '-At', '-v', 'ON_ERROR_STOP=1', server.connectionString(database), '-c', sql],
    { timeout: 20_000 },
  );
  return stdout.trim();
}

/** The postmaster and its children (checkpointer, walwriter, backends…), as procps' `ps` lists them. */
async function serverProcesses(pid: number): Promise<number[]> {
  const { stdout } = await execFileAsync('ps', ['-o', 'pid=', '--ppid', String(pid)]).catch(() => ({
    stdout: '',
  }));
  return [
    pid,
    ...stdout
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number),
  ];
}

describe('PostgresServer', () => {
  it('start: a real psql connects over TCP to 127.0.0.1 as the trusted superuser', async () => {
    const lines: string[] = [];
    const server = await startServer({ log: (line) => lines.push(line) });

    expect(server.host).toBe('127.0.0.1');
    expect(server.user).toBe('postgres');
    expect(server.connectionString()).toBe(`postgresql://postgres@127.0.0.1:${server.port}/postgres`);
    expect(server.connectionString('a b')).toBe(`postgresql://postgres@127.0.0.1:${server.port}/a%20b`);
    expect(isProcessAlive(server.pid!)).toBe(true);
    expect(await psql(server, 'select current_user, 6 * 7')).toBe('postgres|42');
    expect(await psql(server, 'show listen_addresses')).toBe('127.0.0.1');
    expect(lines.join('\n')).toMatch(/ready to accept connections/);
    // PostgreSQL refuses root: under root the cluster belongs to the unprivileged user it runs as.
    const owner = statSync(server.dataDir).uid;
    if (process.getuid?.() === 0) expect(owner).not.toBe(0);
    else expect(owner).toBe(process.getuid?.());
  });

  it('createDatabase: the database exists and takes tables; a bad name is a RangeError', async () => {
    const server = await startServer();

    await server.createDatabase('Outbox "Tests"');

    expect(await psql(server, 'select current_database()', 'Outbox "Tests"')).toBe('Outbox "Tests"');
    await psql(server, 'create table t (v int); insert into t values (1), (2)', 'Outbox "Tests"');
    expect(await psql(server, 'select sum(v) from t', 'Outbox "Tests"')).toBe('3');
    await expect(server.createDatabase('Outbox "Tests"')).rejects.toThrow(/already exists/);
    await expect(server.createDatabase('')).rejects.toThrow(RangeError);
    await expect(server.createDatabase('x'.repeat(64))).rejects.toThrow(/63 bytes/);
  });

  it('kill: SIGKILL leaves no process of the server and connections are refused; restart: the data is back', async () => {
    const server = await startServer();
    await server.createDatabase('survivor');
    await psql(
      server,
      "create table t (v text); insert into t values ('committed before the kill')",
      'survivor',
    );
    const pid = server.pid!;
    const { port } = server;
    const processes = await serverProcesses(pid);
    expect(processes.length).toBeGreaterThan(3); // postmaster, checkpointer, walwriter, …

    await server.kill();

    expect(server.pid).toBeUndefined();
    expect(processes.filter(isProcessAlive)).toEqual([]);
    await expect(psql(server, 'select 1')).rejects.toThrow(/Connection refused/);

    await server.restart();

    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    expect(await psql(server, 'select v from t', 'survivor')).toBe('committed before the kill');
  });

  it('restart of a running server: fast shutdown, then back on the same port with its data', async () => {
    const server = await startServer();
    await psql(server, 'create table kept (v int); insert into kept values (7)');
    const pid = server.pid!;

    await server.restart();

    expect(isProcessAlive(pid)).toBe(false);
    expect(await psql(server, 'select v from kept')).toBe('7');
  });

  it('stop: no process and no temp dir left; idempotent; restart afterwards is refused', async () => {
    const server = await startServer();
    const processes = await serverProcesses(server.pid!);
    const tempDir = dirname(server.dataDir);
    expect(existsSync(server.dataDir)).toBe(true);

    await server.stop();
    await server.stop();

    expect(processes.filter(isProcessAlive)).toEqual([]);
    expect(existsSync(tempDir)).toBe(false);
    await expect(psql(server, 'select 1')).rejects.toThrow(/Connection refused/);
    await expect(server.restart()).rejects.toThrow(/was stopped/);
  });

  it('two servers side by side get their own ports and data', async () => {
    const [a, b] = await Promise.all([startServer(), startServer()]);
    expect(a.port).not.toBe(b.port);
    await psql(a, 'create table only_in_a (v int)');
    await expect(psql(b, 'select * from only_in_a')).rejects.toThrow(/does not exist/);
  });

  it('rejects bad options, and names what to install when the binaries are missing', async () => {
    await expect(PostgresServer.start({ port: 70_000 })).rejects.toThrow(RangeError);
    await expect(PostgresServer.start({ log: 'yes' as never })).rejects.toThrow(/`log`/);
    const empty = await mkdtemp(join(tmpdir(), 'no-postgres-'));
    try {
      await expect(resolvePostgresBin({ POSTGRES_BIN: empty })).rejects.toThrow(
        /lacks initdb, postgres, pg_isready, psql.*apt-get install postgresql/,
      );
      await expect(resolvePostgresBin({ PATH: empty })).resolves.toBeTypeOf('string'); // Debian's dir is found
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  describe('never leaves a server behind when its owner dies', () => {
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      it(`owner killed with ${signal}`, async () => {
        const owner = await startOwner<{ pid: number; dataDir: string }>(childScript);
        try {
          const { pid, dataDir } = owner.info;
          const processes = await serverProcesses(pid);
          expect(processes.filter(isProcessAlive).length).toBeGreaterThan(3);

          await owner.kill(signal);

          await waitUntil(() => processes.filter(isProcessAlive).length === 0, {
            timeoutMs: 5000,
            what: `postmaster ${pid} and its children to die`,
          });
          await waitUntil(() => !existsSync(dirname(dataDir)), {
            timeoutMs: 5000,
            what: `${dirname(dataDir)} removed`,
          });
        } finally {
          await owner.kill('SIGKILL');
        }
      });
    }
  });
});

const childScript = fileURLToPath(new URL('./child-postgres.ts', import.meta.url));
