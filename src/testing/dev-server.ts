/**
 * Runs a real Temporal dev server (`temporal server start-dev`) as a child process that a test can start,
 * SIGKILL, SIGTERM and restart on the same port and SQLite file, so that data survives a restart.
 *
 * No server outlives the process that started it: live servers are SIGKILLed on `exit`, SIGINT, SIGTERM and
 * SIGHUP, and each server has a reaper (`sh`) watching a pipe held by this process; if this process dies,
 * even by SIGKILL, the pipe closes and the reaper SIGKILLs the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import { ProcessOutput } from './output.js';
import { ADDRESS_IN_USE, findFreePort, startOnSamePort } from './ports.js';
import {
  disarmReaper,
  spawnReaper,
  trackProcess,
  trackTempDir,
  untrackProcess,
  untrackTempDir,
} from './reaper.js';
import {
  type DevServerExit,
  DevServerStartError,
  describeExit,
  summarizeAttempt,
  withEarlierAttempts,
} from './start-error.js';
import { resolveTemporalCli } from './temporal-cli.js';

export { type DevServerExit, DevServerStartError, findFreePort };

export interface DevServerOptions {
  /** gRPC frontend port. @default a free port, found by binding 127.0.0.1:0 */
  port?: number;
  /** Web UI port, or `false` for `--headless`. @default false */
  uiPort?: number | false;
  /** SQLite file; keeps workflows and namespaces across restarts. @default `db.sqlite` in a fresh temp dir */
  dbFile?: string;
  /** Namespaces to create at launch, besides `default`; readiness waits for them too. @default [] */
  namespaces?: string[];
  /**
   * Dynamic config values (`--dynamic-config-value KEY=<JSON>`), e.g. `{ 'matching.longPollExpirationInterval':
   * '5s' }`. @default {}
   */
  dynamicConfig?: Readonly<Record<string, string | number | boolean>>;
  /** How long a start may take until `describeNamespace` succeeds. @default 60_000 */
  readyTimeoutMs?: number;
  /** `--log-level` of the server: debug, info, warn, error or never. @default 'error' */
  logLevel?: string;
  /** The `temporal` binary. @default resolveTemporalCli() */
  cliPath?: string;
  /**
   * Receives what the harness has to say besides errors: a start attempt that failed and is retried, with the
   * first lines of the server's output. @default a line on stderr
   */
  log?: (line: string) => void;
}

/** Durations measured by the last operation of each kind, in milliseconds. */
export interface DevServerTimings {
  /** From spawning the process to the first successful `describeNamespace` (set by every start). */
  startToReadyMs?: number;
  /** From SIGTERM to the process having exited (SIGKILL included if the timeout ran out). */
  stopMs?: number;
  /** From SIGKILL to the process having exited. */
  killMs?: number;
  /** From the `restart()` call (stop or kill included) to ready. */
  restartToReadyMs?: number;
}

type ResolvedOptions = Required<DevServerOptions>;

interface ServerProcess {
  child: ChildProcess;
  pid: number;
  reaper: ChildProcess | undefined;
  exited: Promise<DevServerExit>;
  exit: DevServerExit | undefined;
  /** Settles once stdout and stderr are closed: all output is recorded (an exit can be seen before). */
  outputDone: Promise<void>;
}

const HOST = '127.0.0.1';
/** A start whose process exits before it is ready is tried this many times in all, each on a new free port. */
const START_ATTEMPTS = 3;
const POLL_INTERVAL_MS = 100;

export class DevServer {
  /** Frontend port; the same across restarts. */
  readonly port: number;
  /** `127.0.0.1:<port>`, for `Connection`/`NativeConnection`. */
  readonly address: string;
  /** The SQLite file the server keeps its state in. */
  readonly dbFile: string;
  /** Durations of the last start, stop, kill and restart. */
  readonly timings: DevServerTimings = {};

  readonly #options: ResolvedOptions;
  readonly #tempDir: string | undefined;
  readonly #output = new ProcessOutput();
  #process: ServerProcess | undefined;
  #lastPid: number | undefined;
  #disposed = false;

  private constructor(options: ResolvedOptions, tempDir: string | undefined) {
    this.#options = options;
    this.#tempDir = tempDir;
    this.port = options.port;
    this.address = `${HOST}:${options.port}`;
    this.dbFile = options.dbFile;
  }

  /**
   * Starts a dev server and resolves once a real client can describe its namespaces.
   *
   * A process that exits before it is ready (its port taken in between, or a crash such as a Go panic at
   * start-up under load) is tried again, on a new free port, up to 3 attempts in all; each failed attempt is
   * reported to `log` with the first lines of its output. With a `port` given, the retries use that port,
   * except when the output says it is taken.
   *
   * @throws RangeError on a bad option; {@link DevServerStartError} when the last attempt exits before it is
   *   ready or the server is not ready within `readyTimeoutMs` (the message has the port, the elapsed time, the
   *   first and last lines of the output, and a summary of the earlier attempts).
   */
  static async start(options: DevServerOptions = {}): Promise<DevServer> {
    validate(options);
    const portGiven = options.port !== undefined;
    const cliPath = options.cliPath ?? (await resolveTemporalCli());
    let tempDir: string | undefined;
    let dbFile = options.dbFile;
    if (dbFile === undefined) {
      tempDir = await mkdtemp(join(tmpdir(), 'temporal-dev-server-'));
      trackTempDir(tempDir);
      dbFile = join(tempDir, 'db.sqlite');
    }
    const earlier: string[] = [];
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await findFreePort());
      const server = new DevServer(addDefaults(options, { port, dbFile, cliPath }), tempDir);
      try {
        await server.#spawnAndWait();
        return server;
      } catch (error) {
        await server.kill().catch(() => {});
        const exitedEarly = error instanceof DevServerStartError && error.exit !== undefined;
        const portTaken = ADDRESS_IN_USE.test(server.outputTail(200));
        if (!exitedEarly || attempt >= START_ATTEMPTS || (portGiven && portTaken)) {
          if (tempDir !== undefined) {
            untrackTempDir(tempDir);
            await rm(tempDir, { recursive: true, force: true });
          }
          throw withEarlierAttempts(error, earlier, attempt, START_ATTEMPTS);
        }
        const summary = summarizeAttempt(attempt, error);
        earlier.push(summary);
        server.#log(`${summary}\nretrying on ${portGiven ? 'the same' : 'a new'} port`);
        // A half-created SQLite file of the harness's own may be what made it fail: start from nothing.
        if (tempDir !== undefined) await removeDbFiles(dbFile);
      }
    }
  }

  /** Pid of the current server process, or of the last one once it has exited. */
  get pid(): number | undefined {
    return this.#lastPid;
  }

  /** Whether a server process is alive (it may not be ready yet during a start). */
  get running(): boolean {
    return this.#process !== undefined && this.#process.exit === undefined;
  }

  /** How the last server process ended, if it has. */
  get lastExit(): DevServerExit | undefined {
    return this.#process?.exit;
  }

  /** The last `lines` lines the server wrote to stdout and stderr. */
  outputTail(lines = 40): string {
    return this.#output.tail(lines);
  }

  /** SIGTERM, wait for the exit, SIGKILL if it takes longer than `timeoutMs`. Records `timings.stopMs`. */
  async stop({ timeoutMs = 10_000 }: { timeoutMs?: number } = {}): Promise<void> {
    const proc = this.#process;
    if (proc === undefined || proc.exit !== undefined) return;
    const started = performance.now();
    proc.child.kill('SIGTERM');
    const exited = await Promise.race([proc.exited, sleep(timeoutMs, undefined, { ref: false })]);
    if (exited === undefined) {
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
    this.timings.stopMs = Math.round(performance.now() - started);
  }

  /** SIGKILL and wait for the exit. Records `timings.killMs`. */
  async kill(): Promise<void> {
    const proc = this.#process;
    if (proc === undefined || proc.exit !== undefined) return;
    const started = performance.now();
    proc.child.kill('SIGKILL');
    await proc.exited;
    this.timings.killMs = Math.round(performance.now() - started);
  }

  /**
   * Stops (SIGTERM) or kills (SIGKILL) the server, then starts it again on the same port and SQLite file and
   * waits until it is ready. Records `timings.restartToReadyMs`.
   */
  async restart({ kill = false }: { kill?: boolean } = {}): Promise<void> {
    const started = performance.now();
    if (kill) await this.kill();
    else await this.stop();
    await this.startAgain();
    this.timings.restartToReadyMs = Math.round(performance.now() - started);
  }

  /**
   * Starts the server again after `kill()` or `stop()`, on the same port and SQLite file, and waits until it is
   * ready. Retries a few times while the port is still held by the previous process, and, like `start()`, up to
   * 3 attempts in all when the process exits before it is ready for another reason (reported to `log`).
   *
   * @throws Error if the server is running or disposed; {@link DevServerStartError} if it does not become ready.
   */
  async startAgain(): Promise<void> {
    if (this.#disposed) throw new Error(`DevServer on ${this.address} was disposed; start a new one.`);
    if (this.running) {
      throw new Error(
        `DevServer on ${this.address} is still running (pid ${this.pid}); stop() or kill() it first.`,
      );
    }
    const earlier: string[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        await startOnSamePort(
          this.port,
          () => this.#spawnAndWait(),
          () => this.outputTail(10),
        );
        return;
      } catch (error) {
        const exitedEarly = error instanceof DevServerStartError && error.exit !== undefined;
        if (!exitedEarly || attempt >= START_ATTEMPTS || ADDRESS_IN_USE.test(this.outputTail(200))) {
          throw withEarlierAttempts(error, earlier, attempt, START_ATTEMPTS);
        }
        earlier.push(summarizeAttempt(attempt, error));
        this.#log(`${earlier.at(-1)}\nretrying on the same port`);
      }
    }
  }

  /** Passes `line` to the `log` option; a callback that throws is ignored (it must not fail a start). */
  #log(line: string): void {
    try {
      this.#options.log(line);
    } catch {
      // ignored, see above
    }
  }

  /** Kills the server if it runs and removes the temp dir the default `dbFile` lives in. Idempotent. */
  async dispose(): Promise<void> {
    await this.kill();
    this.#disposed = true;
    if (this.#tempDir !== undefined) {
      untrackTempDir(this.#tempDir);
      await rm(this.#tempDir, { recursive: true, force: true });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }

  #args(): string[] {
    const { port, uiPort, dbFile, namespaces, logLevel } = this.#options;
    const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--db-filename', dbFile];
    args.push('--log-level', logLevel);
    if (uiPort === false) args.push('--headless');
    else args.push('--ui-port', String(uiPort));
    for (const namespace of namespaces) args.push('--namespace', namespace);
    for (const [key, value] of Object.entries(this.#options.dynamicConfig)) {
      args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
    }
    return args;
  }

  async #spawnAndWait(): Promise<void> {
    const started = performance.now();
    const proc = this.#spawn();
    const deadline = started + this.#options.readyTimeoutMs;
    let lastError: unknown;
    for (;;) {
      const outcome = await Promise.race([
        this.#probe().then(
          () => 'ready' as const,
          (error: unknown) => {
            lastError = error;
            return 'not-ready' as const;
          },
        ),
        proc.exited.then(() => 'exited' as const),
      ]);
      if (outcome === 'ready') break;
      if (outcome === 'exited' || proc.exit !== undefined) {
        const exit = await proc.exited;
        const elapsedMs = Math.round(performance.now() - started);
        // The exit can be seen before the last output is read: wait for the pipes to close (bounded).
        await Promise.race([proc.outputDone, sleep(1000, undefined, { ref: false })]);
        const output = this.#output.describe();
        throw new DevServerStartError(
          `Temporal dev server on ${this.address} exited before it was ready (${describeExit(exit)}, after ` +
            `${elapsedMs} ms). Command: ${this.#options.cliPath} ${this.#args().join(' ')}\n` +
            `Output (${this.#output.count} lines; first and last):\n${output}`,
          { port: this.port, exit, elapsedMs, output },
        );
      }
      if (performance.now() >= deadline) {
        proc.child.kill('SIGKILL');
        await proc.exited;
        const elapsedMs = Math.round(performance.now() - started);
        const output = this.#output.describe();
        throw new DevServerStartError(
          `Temporal dev server on ${this.address} (pid ${proc.pid}) was not ready after ` +
            `${elapsedMs} ms (readyTimeoutMs ${this.#options.readyTimeoutMs}). ` +
            `Last probe error: ${describeError(lastError)}. Raise readyTimeoutMs on a slow machine.\n` +
            `Output (${this.#output.count} lines; first and last):\n${output}`,
          { port: this.port, exit: undefined, elapsedMs, output },
        );
      }
      await Promise.race([sleep(POLL_INTERVAL_MS), proc.exited]);
    }
    this.timings.startToReadyMs = Math.round(performance.now() - started);
  }

  /** One readiness probe on a fresh connection, no retries, bounded by deadlines. */
  async #probe(): Promise<void> {
    const connection = Connection.lazy({ address: this.address, connectTimeout: 1000, interceptors: [] });
    try {
      await connection.ensureConnected();
      for (const namespace of ['default', ...this.#options.namespaces]) {
        await connection.withDeadline(Date.now() + 2000, () =>
          connection.workflowService.describeNamespace({ namespace }),
        );
      }
    } finally {
      await connection.close().catch(() => {});
    }
  }

  #spawn(): ServerProcess {
    const child = spawn(this.#options.cliPath, this.#args(), { stdio: ['ignore', 'pipe', 'pipe'] });
    let resolveExit: (exit: DevServerExit) => void = () => {};
    const exited = new Promise<DevServerExit>((resolve) => {
      resolveExit = resolve;
    });
    const outputDone = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const pid = child.pid;
    this.#output.clear();
    if (pid === undefined) {
      // spawn failed (ENOENT, EACCES): 'error' follows on the next tick.
      const proc: ServerProcess = { child, pid: -1, reaper: undefined, exited, exit: undefined, outputDone };
      child.once('error', (error) => {
        this.#record(`spawn ${this.#options.cliPath} failed: ${error.message}`);
        proc.exit = { code: null, signal: null };
        resolveExit(proc.exit);
      });
      this.#process = proc;
      return proc;
    }
    const proc: ServerProcess = {
      child,
      pid,
      reaper: spawnReaper(pid, this.#tempDir, { name: 'temporal-dev-server-reaper' }),
      exited,
      exit: undefined,
      outputDone,
    };
    trackProcess(pid);
    this.#process = proc;
    this.#lastPid = pid;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream !== null) createInterface({ input: stream }).on('line', (line) => this.#record(line));
    }
    child.on('error', (error) => this.#record(`[harness] server process error: ${error.message}`));
    child.once('exit', (code, signal) => {
      untrackProcess(pid);
      disarmReaper(proc.reaper);
      proc.exit = { code, signal };
      resolveExit(proc.exit);
    });
    return proc;
  }

  #record(line: string): void {
    this.#output.push(line);
  }
}

/** The one place where defaults are applied; `resolved` holds what start() had to compute. */
function addDefaults(
  options: DevServerOptions,
  resolved: Pick<ResolvedOptions, 'port' | 'dbFile' | 'cliPath'>,
): ResolvedOptions {
  return {
    ...resolved,
    uiPort: options.uiPort ?? false,
    namespaces: [...(options.namespaces ?? [])],
    dynamicConfig: { ...options.dynamicConfig },
    readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    logLevel: options.logLevel ?? 'error',
    log: options.log ?? ((line) => process.stderr.write(`[DevServer] ${line}\n`)),
  };
}

function validate(options: DevServerOptions): void {
  const { port, uiPort, readyTimeoutMs, log } = options;
  if (log !== undefined && typeof log !== 'function') {
    throw new TypeError(`Expected \`log\` to be a function (line: string) => void, got ${typeof log}.`);
  }
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new RangeError(`Expected \`port\` to be an integer in 1..65535, got ${port}.`);
  }
  if (
    uiPort !== undefined &&
    uiPort !== false &&
    !(Number.isInteger(uiPort) && uiPort > 0 && uiPort < 65536)
  ) {
    throw new RangeError(`Expected \`uiPort\` to be an integer in 1..65535 or false, got ${uiPort}.`);
  }
  if (readyTimeoutMs !== undefined && !(readyTimeoutMs > 0)) {
    throw new RangeError(`Expected \`readyTimeoutMs\` to be a positive number, got ${readyTimeoutMs}.`);
  }
}

async function removeDbFiles(dbFile: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${dbFile}${suffix}`, { force: true });
}

function describeError(error: unknown): string {
  if (error === undefined) return 'none (no probe finished)';
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code === undefined ? '' : ` (code ${String(code)})`}: ${error.message}`;
  }
  return String(error);
}
