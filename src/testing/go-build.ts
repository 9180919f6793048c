/**
 * Builds Go binaries once with `go install <package>@<version>` into a cache dir outside the clone, shared by
 * parallel processes through a lock file. Used for the `temporal` CLI (temporal-cli.ts) and the Temporal
 * server and its SQL tool (temporal-server.ts).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

const GO_DEFAULT_PATH = '/usr/local/go/bin/go';

/** `TEMPORAL_SUPERVISOR_CACHE`, else `$XDG_CACHE_HOME/temporal-supervisor`, else `~/.cache/temporal-supervisor`. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.TEMPORAL_SUPERVISOR_CACHE ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'temporal-supervisor')
  );
}

export async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function findOnPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** `go` on PATH, else Go's installer default /usr/local/go/bin/go (not always on PATH), else undefined. */
export async function findGo(): Promise<string | undefined> {
  return (
    (await findOnPath('go')) ?? ((await isExecutableFile(GO_DEFAULT_PATH)) ? GO_DEFAULT_PATH : undefined)
  );
}

export { GO_DEFAULT_PATH };

export interface GoBuild {
  /** The `go` binary. */
  go: string;
  /** The cache dir the outputs go to. */
  dir: string;
  /** `<package>@<version>` specs for one `go install`. */
  specs: string[];
  /** Binary name that `go install` writes to GOBIN → name in `dir`; the last one is written last. */
  binaries: Array<{ built: string; target: string }>;
  /** What the error says to do when the build fails. */
  hint: string;
  /** What is built, for progress lines ("the temporal CLI"). */
  what: string;
  /**
   * Aborts the build (`go` is sent SIGTERM) or the wait for another process's build: the promise then rejects
   * with a `GoBuildInterruptedError`. @default never aborted
   */
  signal?: AbortSignal;
  /** Runs after the binaries are built and before they are moved into `dir` (e.g. copies files from the module). */
  afterBuild?: (log: (line: string) => void) => Promise<void>;
  /** Whether everything is in place already. @default the last binary is in `dir` */
  isDone?: () => Promise<boolean>;
  log: (line: string) => void;
}

/**
 * Builds into `dir` unless its last target exists. Several processes may race here (parallel CI jobs, two
 * vitest runs): the one that creates `dir/.build.lock` builds; the others wait for the last target. The build
 * goes to a private temporary GOBIN and is renamed into place, so nobody ever sees a half-written binary. A
 * lock left by a dead process is taken over.
 */
export async function buildWithLock(build: GoBuild): Promise<void> {
  const { dir, log } = build;
  await mkdir(dir, { recursive: true });
  const last = build.binaries.at(-1);
  if (last === undefined) throw new Error('buildWithLock needs at least one binary.');
  const target = join(dir, last.target);
  const isDone = build.isDone ?? (() => isExecutableFile(target));
  const lockPath = join(dir, '.build.lock');
  let waitingSince: number | undefined;
  for (;;) {
    if (await isDone()) return;
    if (build.signal?.aborted) throw new GoBuildInterruptedError(build, 'aborted');
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
        if (await isDone()) return;
        await goInstall(build);
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
        `another process (${ownerKnown ? `pid ${owner}` : 'pid unknown'}) is building ${build.what}; waiting for it in ${dir}`,
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

/**
 * Runs `go` with `args` and resolves with its stdout; every output line goes to `log` (stderr with a `go: `
 * prefix). Rejects with the last lines of output if it exits non-zero.
 */
export async function runGo(
  go: string,
  args: string[],
  {
    env = process.env,
    log,
    signal,
  }: { env?: NodeJS.ProcessEnv; log: (line: string) => void; signal?: AbortSignal | undefined },
): Promise<string> {
  const tail: string[] = [];
  const stdout: string[] = [];
  const child = spawn(go, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const onAbort = () => child.kill('SIGTERM');
  signal?.addEventListener('abort', onAbort, { once: true });
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    log(`go: ${line.replace(/^go: /, '')}`);
  };
  createInterface({ input: child.stdout }).on('line', (line) => stdout.push(line));
  createInterface({ input: child.stderr }).on('line', onLine);
  const result = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code, signal) => done({ code, signal }));
  }).finally(() => signal?.removeEventListener('abort', onAbort));
  if (signal?.aborted || result.signal !== null || result.code === 130 || result.code === 143) {
    const how = signal?.aborted
      ? 'aborted'
      : result.signal
        ? `signal ${result.signal}`
        : `exit code ${result.code}`;
    throw new GoRunInterruptedError(`\`go ${args.join(' ')}\` was interrupted (${how})`, how);
  }
  if (result.code !== 0) {
    const how = result.code === null ? `signal ${result.signal}` : `exit code ${result.code}`;
    throw new Error(`\`go ${args.join(' ')}\` failed (${how}). Last output:\n${tail.join('\n')}`);
  }
  return stdout.join('\n');
}

async function goInstall(build: GoBuild): Promise<void> {
  const { go, dir, specs, log } = build;
  const gobin = await mkdtemp(join(dir, '.gobin-'));
  const started = Date.now();
  log(
    `building ${build.what}: ${go} install ${specs.join(' ')} (GOBIN=${gobin}); a cold build takes a few minutes`,
  );
  const heartbeat = setInterval(() => {
    log(`still building ${build.what} (${Math.round((Date.now() - started) / 1000)} s)`);
  }, 30_000);
  try {
    try {
      await runGo(go, ['install', ...specs], {
        env: { ...process.env, GOBIN: gobin },
        log,
        signal: build.signal,
      });
    } catch (error) {
      if (error instanceof GoRunInterruptedError) throw new GoBuildInterruptedError(build, error.how);
      throw new Error(`${(error as Error).message}\n${build.hint}`, { cause: error });
    } finally {
      clearInterval(heartbeat);
    }
    for (const { built } of build.binaries) {
      if (!(await isExecutableFile(join(gobin, built)))) {
        throw new Error(
          `\`go install ${specs.join(' ')}\` succeeded but produced no ${join(gobin, built)}. ${build.hint}`,
        );
      }
    }
    await build.afterBuild?.(log);
    for (const { built, target } of build.binaries) await rename(join(gobin, built), join(dir, target));
    log(`built ${build.what} into ${dir} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    await rm(gobin, { recursive: true, force: true });
  }
}

/** `go` was stopped by a signal (or by the caller's AbortSignal) rather than failing on its own. */
class GoRunInterruptedError extends Error {
  constructor(
    message: string,
    readonly how: string,
  ) {
    super(message);
  }
}

/** A build stopped on purpose (Ctrl-C, SIGTERM, an aborted signal): not a missing or broken Go. */
export class GoBuildInterruptedError extends Error {
  override readonly name = 'GoBuildInterruptedError';
  constructor(build: Pick<GoBuild, 'what' | 'specs'>, how: string) {
    super(
      `The build of ${build.what} (\`go install ${build.specs.join(' ')}\`) was interrupted (${how}); nothing was installed. Go keeps what it compiled in its build cache, so the next run resumes from there.`,
    );
  }
}
