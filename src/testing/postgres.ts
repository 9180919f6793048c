/**
 * A throwaway PostgreSQL server for tests: `initdb` into a fresh temp dir, `postgres` on a free port of
 * 127.0.0.1 (trust authentication, TCP on 127.0.0.1 only, its unix socket in the temp dir), which a test can
 * SIGKILL and restart on the same port and data dir, so that data survives a crash.
 *
 * PostgreSQL refuses to run as root: when this process is root, `initdb` and `postgres` run as the `postgres`
 * user (created by Debian's package) through `setpriv`, and the temp dir is handed to that user.
 *
 * No server outlives the process that started it (see reaper.ts): the postmaster is SIGKILLed with all its
 * backends on exit or signal of this process, or by a reaper if this process is SIGKILLed; the temp dir goes
 * with it.
 *
 * Binaries: `POSTGRES_BIN` (a directory with `initdb`, `postgres`, `pg_isready` and `psql`), else the newest
 * `/usr/lib/postgresql/<version>/bin` (Debian), else the directory of `initdb` on `PATH`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { constants, readFileSync, realpathSync } from 'node:fs';
import { access, chown, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { ProcessOutput } from './output.js';
import { ADDRESS_IN_USE, findFreePort, startOnSamePort } from './ports.js';
import * as reaper from './reaper.js';

export interface PostgresServerOptions {
  /** TCP port on 127.0.0.1. @default a free port, found by binding 127.0.0.1:0 */
  port?: number;
  /** Receives every line `initdb` and the server write. @default no output */
  log?: (line: string) => void;
}

const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;
const REQUIRED_BINARIES = ['initdb', 'postgres', 'pg_isready', 'psql'] as const;
const INSTALL_HINT =
  "Install Debian's `postgresql` package (`apt-get install postgresql`; any PostgreSQL ≥ 13 will do), or set " +
  'POSTGRES_BIN to a directory holding initdb, postgres, pg_isready and psql.';

const execFileAsync = promisify(execFile);

interface RunAs {
  uid: number;
  gid: number;
}

interface Postmaster {
  child: ChildProcess;
  pid: number;
  reaper: ChildProcess | undefined;
  exited: Promise<void>;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Set once the postmaster and its children are gone: their pids may then be reused by someone else. */
  gone: boolean;
}

export class PostgresServer {
  /** Always `127.0.0.1`. */
  readonly host = HOST;
  /** TCP port; the same across restarts. */
  readonly port: number;
  /** The superuser, who needs no password (trust authentication). */
  readonly user = SUPERUSER;
  /** The cluster's data directory (inside the temp dir that `stop()` removes). */
  readonly dataDir: string;

  readonly #bin: string;
  readonly #tempDir: string;
  readonly #runAs: RunAs | undefined;
  readonly #log: (line: string) => void;
  readonly #output = new ProcessOutput();
  #postmaster: Postmaster | undefined;
  #stopped = false;

  private constructor(
    port: number,
    bin: string,
    tempDir: string,
    runAs: RunAs | undefined,
    log: (line: string) => void,
  ) {
    this.port = port;
    this.#bin = bin;
    this.#tempDir = tempDir;
    this.dataDir = join(tempDir, 'data');
    this.#runAs = runAs;
    this.#log = log;
  }

  /**
   * Creates a cluster in a fresh temp dir and starts it; resolves once it accepts connections.
   *
   * @throws RangeError on a bad option; Error naming what to install when the PostgreSQL binaries are missing;
   *   Error with the server's output when `initdb` fails or the server exits or is not ready in time.
   */
  static async start(options: PostgresServerOptions = {}): Promise<PostgresServer> {
    const { port, log = () => {} } = options;
    if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
      throw new RangeError(`Expected \`port\` to be an integer in 1..65535, got ${port}.`);
    }
    if (typeof log !== 'function') {
      throw new TypeError(`Expected \`log\` to be a function (line: string) => void, got ${typeof log}.`);
    }
    const bin = await resolvePostgresBin();
    const runAs = await unprivilegedUser();
    const tempDir = await mkdtemp(join(tmpdir(), 'temporal-supervisor-pg-'));
    reaper.trackTempDir(tempDir);
    try {
      if (runAs !== undefined) await chown(tempDir, runAs.uid, runAs.gid);
      // A free port found by binding :0 can be taken by someone else before the server binds it: pick another.
      for (let attempt = 1; ; attempt++) {
        const server = new PostgresServer(port ?? (await findFreePort()), bin, tempDir, runAs, log);
        if (attempt === 1) await server.#initdb();
        try {
          await server.#spawnAndWait();
          return server;
        } catch (error) {
          await server.#killAll();
          if (port !== undefined || attempt >= 3 || !ADDRESS_IN_USE.test(server.#tail(10))) throw error;
        }
      }
    } catch (error) {
      reaper.untrackTempDir(tempDir);
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Pid of the postmaster, while it runs. */
  get pid(): number | undefined {
    return this.#running() ? this.#postmaster?.pid : undefined;
  }

  /** `postgresql://postgres@127.0.0.1:<port>/<database>`, for `pg` or `psql`. @default database 'postgres' */
  connectionString(database = 'postgres'): string {
    return `postgresql://${SUPERUSER}@${HOST}:${this.port}/${encodeURIComponent(database)}`;
  }

  /**
   * `CREATE DATABASE` (the name is quoted, so any case and character but NUL is kept as given).
   *
   * @throws RangeError on an empty name, a NUL or more than 63 bytes; Error with psql's message if it fails.
   */
  async createDatabase(name: string): Promise<void> {
    if (typeof name !== 'string' || name === '' || name.includes('\0') || Buffer.byteLength(name) > 63) {
      throw new RangeError(
        `Expected \`name\` to be a database name of 1..63 bytes without NUL, got ${JSON.stringify(name)}.`,
      );
    }
    await this.#psql(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  }

  /** SIGKILLs the postmaster and its backends (as a crash of the database host would) and waits until they are gone. */
  async kill(): Promise<void> {
    await this.#killAll();
  }

  /**
   * Starts the server again on the same port and data dir (after `kill()`, PostgreSQL runs crash recovery);
   * a running server is shut down first (fast shutdown). Resolves once it accepts connections.
   *
   * @throws Error after `stop()`, or with the server's output if it does not come back.
   */
  async restart(): Promise<void> {
    if (this.#stopped)
      throw new Error(`PostgresServer on ${HOST}:${this.port} was stopped; start a new one.`);
    if (this.#running()) await this.#shutdown();
    await startOnSamePort(
      this.port,
      () => this.#spawnAndWait(),
      () => this.#tail(10),
      () => this.#killAll(),
    );
  }

  /** Shuts the server down (fast shutdown, SIGKILL after 10 s) and removes the temp dir. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#running()) await this.#shutdown();
    await this.#killAll();
    reaper.untrackTempDir(this.#tempDir);
    await rm(this.#tempDir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #running(): boolean {
    return this.#postmaster !== undefined && this.#postmaster.exit === undefined;
  }

  async #initdb(): Promise<void> {
    const args = [
      '-D',
      this.dataDir,
      '-U',
      SUPERUSER,
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ];
    const [command, argv] = this.#command('initdb', args);
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#capture(child);
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', (error) => {
        this.#record(`spawn ${command} failed: ${error.message}`);
        resolve(null);
      });
      child.once('close', (exitCode) => resolve(exitCode));
    });
    if (code !== 0) {
      throw new Error(
        `initdb failed (${code === null ? 'could not run' : `exit code ${code}`}): ${command} ${argv.join(' ')}\n` +
          `Output:\n${this.#output.describe()}`,
      );
    }
    // Trust on the unix socket and 127.0.0.1 only: no other address may connect.
    const hba = 'local all all trust\nhost all all 127.0.0.1/32 trust\n';
    const hbaPath = join(this.dataDir, 'pg_hba.conf');
    await writeFile(hbaPath, hba);
    if (this.#runAs !== undefined) await chown(hbaPath, this.#runAs.uid, this.#runAs.gid);
  }

  #serverArgs(): string[] {
    const settings = {
      listen_addresses: HOST,
      port: String(this.port),
      unix_socket_directories: this.#tempDir,
      max_connections: '300',
      // The data must survive a crash of the server process, not of the machine: the OS keeps what was written.
      fsync: 'off',
      full_page_writes: 'off',
      logging_collector: 'off',
    };
    return [
      '-D',
      this.dataDir,
      ...Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    ];
  }

  async #spawnAndWait(): Promise<void> {
    const [command, argv] = this.#command('postgres', this.#serverArgs());
    // Its own session: a Ctrl-C on the terminal reaches our exit hooks, which kill it with its backends.
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const started = performance.now();
    const postmaster = this.#track(child);
    const deadline = started + READY_TIMEOUT_MS;
    for (;;) {
      const ready = await Promise.race([this.#isReady(), postmaster.exited.then(() => false)]);
      if (ready) return;
      if (postmaster.exit !== undefined) {
        const { code, signal } = postmaster.exit;
        throw new Error(
          `PostgreSQL on ${HOST}:${this.port} exited before it was ready (${code !== null ? `exit code ${code}` : `signal ${signal}`}, ` +
            `after ${Math.round(performance.now() - started)} ms). Command: ${command} ${argv.join(' ')}\n` +
            `Output (first and last lines):\n${this.#output.describe()}`,
        );
      }
      if (performance.now() >= deadline) {
        throw new Error(
          `PostgreSQL on ${HOST}:${this.port} (pid ${postmaster.pid}) was not ready after ${READY_TIMEOUT_MS} ms.\n` +
            `Output (first and last lines):\n${this.#output.describe()}`,
        );
      }
      await Promise.race([sleep(100), postmaster.exited]);
    }
  }

  #track(child: ChildProcess): Postmaster {
    let resolveExit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      resolveExit = resolve;
    });
    const pid = child.pid ?? -1;
    const postmaster: Postmaster = {
      child,
      pid,
      reaper: undefined,
      exited,
      exit: undefined,
      gone: false,
    };
    this.#postmaster = postmaster;
    this.#capture(child);
    if (pid === -1) {
      // spawn failed (ENOENT, EACCES): 'error' follows on the next tick.
      child.once('error', (error) => {
        this.#record(`spawn failed: ${error.message}`);
        postmaster.exit = { code: null, signal: null };
        resolveExit();
      });
      return postmaster;
    }
    reaper.trackProcess(pid, { tree: true });
    postmaster.reaper = reaper.spawnReaper(pid, this.#tempDir, {
      name: 'temporal-supervisor-pg-reaper',
      tree: true,
    });
    child.on('error', (error) => this.#record(`[harness] postgres process error: ${error.message}`));
    child.once('exit', (code, signal) => {
      postmaster.exit = { code, signal };
      resolveExit();
    });
    return postmaster;
  }

  /**
   * SIGKILLs the postmaster and its children (each backend calls setsid(): no process group holds them all)
   * and waits until they are gone.
   */
  async #killAll(): Promise<void> {
    const postmaster = this.#postmaster;
    if (postmaster === undefined || postmaster.pid === -1 || postmaster.gone) return;
    // A postmaster that exited by itself was reaped: its pid is no longer ours to signal. Its children notice
    // its death and exit on their own.
    const pids = postmaster.exit === undefined ? reaper.killTree(postmaster.pid) : [];
    await postmaster.exited;
    const deadline = Date.now() + 5000;
    while (pids.some(reaper.isProcessAlive) && Date.now() < deadline) await sleep(20);
    postmaster.gone = true;
    reaper.untrackProcess(postmaster.pid);
    reaper.disarmReaper(postmaster.reaper);
  }

  /** Fast shutdown (SIGINT: abort transactions, disconnect clients, checkpoint), SIGKILL after the timeout. */
  async #shutdown(): Promise<void> {
    const postmaster = this.#postmaster;
    if (postmaster === undefined || postmaster.exit !== undefined) return;
    postmaster.child.kill('SIGINT');
    await Promise.race([postmaster.exited, sleep(STOP_TIMEOUT_MS, undefined, { ref: false })]);
    await this.#killAll();
  }

  async #isReady(): Promise<boolean> {
    const args = ['-q', '-h', HOST, '-p', String(this.port), '-U', SUPERUSER, '-d', 'postgres', '-t', '2'];
    return execFileAsync(join(this.#bin, 'pg_isready'), args, { timeout: 5000 }).then(
      () => true,
      () => false,
    );
  }

  async #psql(sql: string): Promise<void> {
    const args = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', HOST, '-p', String(this.port), '-U', SUPERUSER];
    try {
      await execFileAsync(join(this.#bin, 'psql'), [...args, '-d', 'postgres', '-c', sql], {
        timeout: 30_000,
      });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(
        `psql on ${HOST}:${this.port} failed for ${JSON.stringify(sql)}: ${stderr || String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  /** The command line that runs `binary` as the unprivileged user when this process is root. */
  #command(binary: string, args: string[]): [string, string[]] {
    const path = join(this.#bin, binary);
    if (this.#runAs === undefined) return [path, args];
    const { uid, gid } = this.#runAs;
    return ['setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--', path, ...args]];
  }

  #capture(child: ChildProcess): void {
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream }).on('line', (line) => this.#record(line));
    }
  }

  #record(line: string): void {
    this.#output.push(line);
    try {
      this.#log(line);
    } catch {
      // a throwing log callback must not break the harness
    }
  }

  #tail(lines: number): string {
    return this.#output.tail(lines);
  }
}

/**
 * The directory holding `initdb`, `postgres`, `pg_isready` and `psql`.
 *
 * @throws Error naming what to install when there is none.
 */
export async function resolvePostgresBin(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates: string[] = [];
  const fromEnv = env.POSTGRES_BIN;
  if (fromEnv !== undefined && fromEnv !== '') {
    const missing = await missingBinaries(fromEnv);
    if (missing.length > 0) {
      throw new Error(
        `POSTGRES_BIN is set to ${JSON.stringify(fromEnv)}, but it lacks ${missing.join(', ')}. ${INSTALL_HINT}`,
      );
    }
    return fromEnv;
  }
  const debianRoot = '/usr/lib/postgresql';
  const versions = (await readdir(debianRoot).catch(() => []))
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  candidates.push(...versions.map((version) => join(debianRoot, version, 'bin')));
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    try {
      candidates.push(dirname(realpathSync(join(dir, 'initdb'))));
    } catch {
      // no initdb there
    }
  }
  for (const dir of candidates) {
    if ((await missingBinaries(dir)).length === 0) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries not found (looked for ${REQUIRED_BINARIES.join(', ')} in ${candidates.length > 0 ? candidates.join(', ') : `${debianRoot}/<version>/bin and PATH`}). ${INSTALL_HINT}`,
  );
}

async function missingBinaries(dir: string): Promise<string[]> {
  const missing: string[] = [];
  for (const name of REQUIRED_BINARIES) {
    await access(join(dir, name), constants.X_OK).catch(() => missing.push(name));
  }
  return missing;
}

/** Under root, the `postgres` user that initdb and the server run as; undefined when not root. */
async function unprivilegedUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${SUPERUSER}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error(
      `PostgreSQL refuses to run as root, and there is no \`${SUPERUSER}\` user to run it as. ${INSTALL_HINT} ` +
        '(the package creates that user), or run the tests as a non-root user.',
    );
  }
  await execFileAsync('setpriv', ['--version']).catch((error: unknown) => {
    throw new Error(
      `Running PostgreSQL as \`${SUPERUSER}\` needs \`setpriv\` (Debian's util-linux package), which failed: ${String(error)}`,
    );
  });
  return { uid: Number(uid), gid: Number(gid) };
}
