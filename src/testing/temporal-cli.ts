/**
 * Finds (or builds once, then caches) the `temporal` CLI whose `server start-dev` the integration tests run.
 *
 * Resolution order:
 * 1. `TEMPORAL_CLI` (must name an executable file, or this throws);
 * 2. `temporal` on `PATH`;
 * 3. the cached build `<cache>/temporal-cli-<version>/temporal`, where `<cache>` is `TEMPORAL_SUPERVISOR_CACHE`,
 *    else `$XDG_CACHE_HOME/temporal-supervisor`, else `~/.cache/temporal-supervisor`;
 * 4. a fresh build into that cache with `go install <module>@<version>` (needs Go ≥ 1.23 and the Go module
 *    proxy; a cold build takes a few minutes).
 *
 * Runnable as a script through its shim: `npx tsx test/harness/temporal-cli.ts` prints
 * the path on stdout (progress on stderr) and exits 0, or prints the error and exits 1.
 */
import { spawn } from 'node:child_process';
import { constants, realpathSync } from 'node:fs';
import { access, mkdir, mkdtemp, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/** The pinned CLI release. v1.6.0 and later have `replace` directives in go.mod, which `go install` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** The Go package that builds the `temporal` binary. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The oldest Go that builds {@link TEMPORAL_CLI_VERSION}. */
export const MIN_GO_VERSION = '1.23';
const GO_DEFAULT_PATH = '/usr/local/go/bin/go';

export interface ResolveTemporalCliOptions {
  /** Receives progress lines (which binary was chosen, build output). @default no output */
  log?: (line: string) => void;
  /**
   * Aborts a build (the `go install` child is sent SIGTERM) or the wait for another process's build: the
   * promise then rejects with an error saying it was interrupted. @default never aborted
   */
  signal?: AbortSignal;
}

const INSTALL_HINT =
  `Install Go ≥ ${MIN_GO_VERSION} (https://go.dev/dl/) so the harness can build the CLI from the Go module proxy ` +
  `(\`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}\`), or put a \`temporal\` CLI on PATH, or set ` +
  'TEMPORAL_CLI=/path/to/temporal.';

/** Directory that holds the cached build of the pinned CLI. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.TEMPORAL_SUPERVISOR_CACHE ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'temporal-supervisor');
  return join(root, `temporal-cli-${TEMPORAL_CLI_VERSION}`);
}

/**
 * Returns the absolute path of a `temporal` CLI binary, building the pinned version if none is found.
 *
 * @throws Error when `TEMPORAL_CLI` names a missing or non-executable file, when no binary and no `go` are
 *   available (the message says what to install), or when the build fails (the message carries its output).
 */
export async function resolveTemporalCli(options: ResolveTemporalCliOptions = {}): Promise<string> {
  const log = options.log ?? (() => {});
  const found = await findTemporalCli(log);
  if (found !== undefined) return found;
  const dir = temporalCliCacheDir();
  // Go's own installer puts it in /usr/local/go/bin, which is not always on PATH.
  const go =
    (await findOnPath('go')) ?? ((await isExecutableFile(GO_DEFAULT_PATH)) ? GO_DEFAULT_PATH : undefined);
  if (go === undefined) {
    throw new Error(
      `No \`temporal\` CLI found (not in TEMPORAL_CLI, PATH, nor ${join(dir, 'temporal')}) and no \`go\` on PATH or at ${GO_DEFAULT_PATH}. ${INSTALL_HINT}`,
    );
  }
  await buildWithLock(go, dir, log, options.signal);
  return join(dir, 'temporal');
}

/**
 * Steps 1 to 3 of {@link resolveTemporalCli}: the binary if one is there already, `undefined` when it would
 * have to be built (which takes minutes: a caller can say so first).
 * @throws Error when `TEMPORAL_CLI` names a missing or non-executable file.
 */
export async function findTemporalCli(log: (line: string) => void = () => {}): Promise<string | undefined> {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv !== undefined && fromEnv !== '') {
    const path = resolve(fromEnv);
    if (!(await isExecutableFile(path))) {
      throw new Error(
        `TEMPORAL_CLI is set to ${JSON.stringify(fromEnv)}, but ${path} is not an executable file. ` +
          'Point TEMPORAL_CLI at a `temporal` binary, or unset it to let the harness find or build one.',
      );
    }
    log(`temporal CLI from TEMPORAL_CLI: ${path}`);
    return path;
  }

  const onPath = await findOnPath('temporal');
  if (onPath !== undefined) {
    log(`temporal CLI from PATH: ${onPath}`);
    return onPath;
  }

  const cached = join(temporalCliCacheDir(), 'temporal');
  if (await isExecutableFile(cached)) {
    log(`temporal CLI from cache: ${cached}`);
    return cached;
  }
  return undefined;
}

/** The build was stopped (by the caller's signal, or by a signal to `go` itself): not a missing Go. */
function interrupted(spec: string, how: string): Error {
  return new Error(
    `The build of the temporal CLI (\`go install ${spec}\`) was interrupted (${how}); nothing was installed. Go keeps what it compiled in its build cache, so the next run resumes from there.`,
  );
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Builds the CLI into `dir`. Several processes may race here (parallel CI jobs, two vitest runs): the one
 * that creates `dir/.build.lock` builds; the others wait for the binary. The build goes to a private temporary
 * GOBIN and is renamed into place, so nobody ever sees a half-written binary. A lock left by a dead process is
 * taken over.
 */
async function buildWithLock(
  go: string,
  dir: string,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = join(dir, 'temporal');
  const lockPath = join(dir, '.build.lock');
  let waitingSince: number | undefined;
  for (;;) {
    if (await isExecutableFile(target)) return;
    if (signal?.aborted) throw interrupted(`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`, 'aborted');
    let handle: Awaited<ReturnType<typeof open>> | undefined;
    try {
      handle = await open(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (handle !== undefined) {
      try {
        await handle.writeFile(String(process.pid));
        await handle.close();
        if (await isExecutableFile(target)) return;
        await build(go, dir, target, log, signal);
      } finally {
        await rm(lockPath, { force: true });
      }
      return;
    }
    const owner = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    const lockAgeMs = Date.now() - ((await stat(lockPath).catch(() => undefined))?.mtimeMs ?? Date.now());
    const ownerKnown = Number.isInteger(owner) && owner > 0;
    // A lock with no pid is being written right now, unless it is old: then its writer died in between.
    if (ownerKnown ? !isAlive(owner) : lockAgeMs > 30_000) {
      log(
        `removing stale build lock ${lockPath} (${ownerKnown ? `process ${owner} is gone` : 'no owner recorded'})`,
      );
      await rm(lockPath, { force: true });
      continue;
    }
    if (waitingSince === undefined) {
      waitingSince = Date.now();
      log(
        `another process (${ownerKnown ? `pid ${owner}` : 'pid unknown'}) is building the temporal CLI; waiting for ${target}`,
      );
    }
    await sleep(1000);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function build(
  go: string,
  dir: string,
  target: string,
  log: (line: string) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const gobin = await mkdtemp(join(dir, '.gobin-'));
  const spec = `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`;
  const started = Date.now();
  log(`building the temporal CLI: ${go} install ${spec} (GOBIN=${gobin}); a cold build takes a few minutes`);
  const tail: string[] = [];
  try {
    const child = spawn(go, ['install', spec], {
      env: { ...process.env, GOBIN: gobin },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(signal ? { signal } : {}),
    });
    const onLine = (line: string): void => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      log(`go: ${line.replace(/^go: /, '')}`);
    };
    createInterface({ input: child.stdout }).on('line', onLine);
    createInterface({ input: child.stderr }).on('line', onLine);
    const heartbeat = setInterval(() => {
      log(`still building the temporal CLI (${Math.round((Date.now() - started) / 1000)} s)`);
    }, 30_000);
    const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
      // An abort emits 'error' (AbortError) and then 'close' with the signal: the close says it better.
      child.once('error', (error) => {
        if (!signal?.aborted) fail(error);
      });
      child.once('close', (code, killedBy) => done({ code, signal: killedBy }));
    }).finally(() => clearInterval(heartbeat));
    if (signal?.aborted) throw interrupted(spec, 'aborted');
    if (result.code === null || result.code === 130 || result.code === 143) {
      // Ctrl-C reaches `go` too (same process group): that is not a missing or broken Go.
      throw interrupted(spec, result.code === null ? `${result.signal}` : `exit code ${result.code}`);
    }
    if (result.code !== 0) {
      throw new Error(
        `\`go install ${spec}\` failed (${result.code === null ? `signal ${result.signal}` : `exit code ${result.code}`}). ` +
          `It needs Go ≥ ${MIN_GO_VERSION} and access to the Go module proxy. Last output:\n${tail.join('\n')}\n${INSTALL_HINT}`,
      );
    }
    const built = join(gobin, 'temporal');
    if (!(await isExecutableFile(built))) {
      throw new Error(`\`go install ${spec}\` succeeded but produced no ${built}. ${INSTALL_HINT}`);
    }
    await rename(built, target);
    log(`built ${target} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
}

/**
 * @internal Runs the script behaviour (print the path, or the error and exit code 1) when `moduleUrl` is the
 * script node was started with: this file, or a file that re-exports it.
 */
export function runIfMain(moduleUrl: string): void {
  if (!isMainModule(moduleUrl)) return;
  resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) }).then(
    (path) => {
      process.stdout.write(`${path}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
