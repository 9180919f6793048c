/**
 * Finds (or builds once, then caches) the real Temporal server (`temporal-server`), its SQL schema tool
 * (`temporal-sql-tool`) and the PostgreSQL schema files that ship in its Go module, for {@link TemporalCluster}.
 *
 * Resolution order:
 * 1. `TEMPORAL_SERVER_DIR`: a directory laid out like the cache (this throws if something is missing);
 * 2. the cache `<cache>/temporal-server-<version>/`, `<cache>` as for the CLI (see temporal-cli.ts);
 * 3. a fresh build into that cache: `go install go.temporal.io/server/cmd/server@<version>
 *    go.temporal.io/server/cmd/tools/sql@<version>` (Go ≥ 1.25 and the Go module proxy; a cold build took
 *    ~150-230 s on 2 cores), and `schema/postgresql/v12` copied from the module (`go mod download -json`).
 *
 * Runnable as a script: `npx tsx src/testing/temporal-server.ts` prints the directory (progress on stderr).
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { buildWithLock, cacheRoot, findGo, GO_DEFAULT_PATH, isExecutableFile, runGo } from './go-build.js';

/** The server release, the same as the one inside the pinned dev-server CLI. Its go.mod has no `replace`. */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server';
/** The oldest Go that builds {@link TEMPORAL_SERVER_VERSION} (its go.mod says `go 1.25.0`). */
export const SERVER_MIN_GO_VERSION = '1.25';

export interface TemporalServerBinaries {
  /** The directory holding everything below. */
  dir: string;
  /** `temporal-server` (cmd/server). */
  server: string;
  /** `temporal-sql-tool` (cmd/tools/sql). */
  sqlTool: string;
  /** `schema/postgresql/v12` of the module: `temporal/versioned` and `visibility/versioned`. */
  postgresSchemaDir: string;
}

const SERVER_BINARY = 'temporal-server';
const SQL_TOOL_BINARY = 'temporal-sql-tool';
const SCHEMA_SUBDIR = join('schema', 'postgresql', 'v12');
const INSTALL_HINT =
  `Install Go ≥ ${SERVER_MIN_GO_VERSION} (https://go.dev/dl/) so the harness can build the Temporal server from ` +
  `the Go module proxy (\`go install ${TEMPORAL_SERVER_MODULE}/cmd/server@${TEMPORAL_SERVER_VERSION} ` +
  `${TEMPORAL_SERVER_MODULE}/cmd/tools/sql@${TEMPORAL_SERVER_VERSION}\`), or set TEMPORAL_SERVER_DIR to a ` +
  `directory holding ${SERVER_BINARY}, ${SQL_TOOL_BINARY} and ${SCHEMA_SUBDIR} of that module.`;

/** Directory that holds the cached build. */
export function temporalServerCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(cacheRoot(env), `temporal-server-${TEMPORAL_SERVER_VERSION}`);
}

function layout(dir: string): TemporalServerBinaries {
  return {
    dir,
    server: join(dir, SERVER_BINARY),
    sqlTool: join(dir, SQL_TOOL_BINARY),
    postgresSchemaDir: join(dir, SCHEMA_SUBDIR),
  };
}

async function missingParts(found: TemporalServerBinaries): Promise<string[]> {
  const missing: string[] = [];
  if (!(await isExecutableFile(found.server))) missing.push(SERVER_BINARY);
  if (!(await isExecutableFile(found.sqlTool))) missing.push(SQL_TOOL_BINARY);
  for (const sub of ['temporal', 'visibility']) {
    const versioned = join(found.postgresSchemaDir, sub, 'versioned');
    if (
      !(await stat(versioned).then(
        (info) => info.isDirectory(),
        () => false,
      ))
    )
      missing.push(versioned);
  }
  return missing;
}

/**
 * Returns the server, the SQL tool and the schema dir, building them if none are found.
 *
 * @throws Error when `TEMPORAL_SERVER_DIR` lacks a part, when nothing is cached and there is no `go` (the
 *   message says what to install), or when the build fails (the message carries its output).
 */
export async function resolveTemporalServer(
  options: { log?: (line: string) => void } = {},
): Promise<TemporalServerBinaries> {
  const log = options.log ?? (() => {});
  const fromEnv = process.env.TEMPORAL_SERVER_DIR;
  if (fromEnv !== undefined && fromEnv !== '') {
    const found = layout(resolve(fromEnv));
    const missing = await missingParts(found);
    if (missing.length > 0) {
      throw new Error(
        `TEMPORAL_SERVER_DIR is set to ${JSON.stringify(fromEnv)}, but it lacks ${missing.join(', ')}. ${INSTALL_HINT}`,
      );
    }
    log(`temporal server from TEMPORAL_SERVER_DIR: ${found.dir}`);
    return found;
  }
  const cached = layout(temporalServerCacheDir());
  if ((await missingParts(cached)).length === 0) {
    log(`temporal server from cache: ${cached.dir}`);
    return cached;
  }
  const go = await findGo();
  if (go === undefined) {
    throw new Error(
      `No Temporal server build found (not in TEMPORAL_SERVER_DIR nor ${cached.dir}) and no \`go\` on PATH or at ${GO_DEFAULT_PATH}. ${INSTALL_HINT}`,
    );
  }
  const spec = (pkg: string) => `${TEMPORAL_SERVER_MODULE}/${pkg}@${TEMPORAL_SERVER_VERSION}`;
  await buildWithLock({
    go,
    dir: cached.dir,
    specs: [spec('cmd/server'), spec('cmd/tools/sql')],
    // The server last: its presence says the whole build is there.
    binaries: [
      { built: 'sql', target: SQL_TOOL_BINARY },
      { built: 'server', target: SERVER_BINARY },
    ],
    hint: INSTALL_HINT,
    what: 'the Temporal server',
    afterBuild: (buildLog) => copySchema(go, cached, buildLog),
    isDone: async () => (await missingParts(cached)).length === 0,
    log,
  });
  const missing = await missingParts(cached);
  if (missing.length > 0)
    throw new Error(
      `The Temporal server build in ${cached.dir} lacks ${missing.join(', ')}. ${INSTALL_HINT}`,
    );
  return cached;
}

/** Copies `schema/postgresql/v12` out of the module (in Go's module cache, downloaded if need be). */
async function copySchema(
  go: string,
  into: TemporalServerBinaries,
  log: (line: string) => void,
): Promise<void> {
  const json = await runGo(
    go,
    ['mod', 'download', '-json', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`],
    {
      log,
    },
  );
  const moduleDir = (JSON.parse(json) as { Dir?: string }).Dir;
  if (moduleDir === undefined)
    throw new Error(`\`go mod download -json\` printed no Dir: ${json}. ${INSTALL_HINT}`);
  const staging = await mkdtemp(join(into.dir, '.schema-'));
  try {
    await cp(join(moduleDir, SCHEMA_SUBDIR), join(staging, 'v12'), { recursive: true });
    // Go's module cache is read-only: make the copy removable.
    await promisify(execFile)('chmod', ['-R', 'u+w', staging]);
    await mkdir(join(into.postgresSchemaDir, '..'), { recursive: true });
    await rm(into.postgresSchemaDir, { recursive: true, force: true });
    await rename(join(staging, 'v12'), into.postgresSchemaDir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
