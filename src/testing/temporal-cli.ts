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
 * Runnable as a script: `npx tsx src/testing/temporal-cli.ts` (or its shim `test/harness/temporal-cli.ts`) prints
 * the path on stdout (progress on stderr) and exits 0, or prints the error and exits 1.
 */
import { realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildWithLock,
  cacheRoot,
  findGo,
  findOnPath,
  GO_DEFAULT_PATH,
  isExecutableFile,
} from './go-build.js';

/** The pinned CLI release. v1.6.0 and later have `replace` directives in go.mod, which `go install` refuses. */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
/** The Go package that builds the `temporal` binary. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The oldest Go that builds {@link TEMPORAL_CLI_VERSION}. */
export const MIN_GO_VERSION = '1.23';

export interface ResolveTemporalCliOptions {
  /** Receives progress lines (which binary was chosen, build output). @default no output */
  log?: (line: string) => void;
  /**
   * Aborts a build (the `go install` child is sent SIGTERM) or the wait for another process's build: the
   * promise then rejects with a `GoBuildInterruptedError` saying it was interrupted. @default never aborted
   */
  signal?: AbortSignal;
}

const INSTALL_HINT =
  `Install Go ≥ ${MIN_GO_VERSION} (https://go.dev/dl/) so the harness can build the CLI from the Go module proxy ` +
  `(\`go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}\`), or put a \`temporal\` CLI on PATH, or set ` +
  'TEMPORAL_CLI=/path/to/temporal.';

/** Directory that holds the cached build of the pinned CLI. */
export function temporalCliCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `temporal-cli-${TEMPORAL_CLI_VERSION}`);
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
  const cached = join(dir, 'temporal');
  const go = await findGo();
  if (go === undefined) {
    throw new Error(
      `No \`temporal\` CLI found (not in TEMPORAL_CLI, PATH, nor ${cached}) and no \`go\` on PATH or at ${GO_DEFAULT_PATH}. ${INSTALL_HINT}`,
    );
  }
  await buildWithLock({
    go,
    dir,
    specs: [`${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`],
    binaries: [{ built: 'temporal', target: 'temporal' }],
    hint: `It needs Go ≥ ${MIN_GO_VERSION} and access to the Go module proxy. ${INSTALL_HINT}`,
    what: 'the temporal CLI',
    log,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return cached;
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

/**
 * @internal Runs the script behaviour (print what `main` resolves with — by default the CLI's path —, or the
 * error and exit code 1) when `moduleUrl` is the script node was started with: this file, or one that re-exports it.
 */
export function runIfMain(
  moduleUrl: string,
  main: () => Promise<string> = () =>
    resolveTemporalCli({ log: (line) => process.stderr.write(`${line}\n`) }),
): void {
  if (!isMainModule(moduleUrl)) return;
  main().then(
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
