/**
 * Part of `npm run check:package` (after `npm run build`): the package as a user gets it. `npm pack` makes
 * the tarball; its file list is checked (LICENSE, every entry point, every source map's sources, no tests);
 * then it is unpacked into fresh consumer projects in a temporary directory, as `npm install` would put it,
 * and used from each module system:
 *
 * - a CommonJS project (`"type": "commonjs"`, as `nest new` generates) and an ESM project: `require()` and
 *   `import` of every subpath give the same names, the default entry loads nothing test-only, and the
 *   error guards recognise errors of the other build (two copies of the package in one process);
 * - TypeScript projects that must typecheck, compile and run: `module: commonjs` (NestJS's tsconfig),
 *   `module: nodenext` in a CommonJS package, and `module: nodenext` in an ESM package.
 *
 * Offline and fast: no `npm install`. The consumers find the package's dependencies (and TypeScript, and
 * @types/node) through a `node_modules` symlink to this checkout's, one directory above them.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const SUBPATHS = [
  'temporal-supervisor',
  'temporal-supervisor/machines',
  'temporal-supervisor/testing',
  'temporal-supervisor/internal',
  'temporal-supervisor/outbox',
  'temporal-supervisor/opentelemetry',
  'temporal-supervisor/nestjs',
];

function fail(message) {
  throw new Error(`check-tarball: ${message}`);
}

function run(command, args, options) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (error) {
    fail(
      `${[command, ...args].join(' ')} failed in ${options?.cwd ?? root}:\n${error.stdout}${error.stderr}`,
    );
  }
}

const work = mkdtempSync(join(tmpdir(), 'temporal-supervisor-tarball-'));
try {
  // 1. The tarball and its file list.
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root }));
  const files = new Set(packed.files.map((file) => file.path));
  for (const required of ['LICENSE', 'README.md', 'package.json', 'dist/cjs/package.json']) {
    if (!files.has(required)) fail(`${required} is not in the tarball`);
  }
  if (!readFileSync(join(root, 'LICENSE'), 'utf8').startsWith(`${pkg.license} License`)) {
    fail(`LICENSE does not match package.json's license ${pkg.license}`);
  }
  const testOnly = [...files].filter((file) =>
    /(^|\/)(test|tests|__tests__|fixtures)\/|\.test\.[cm]?[jt]s$|\.tsbuildinfo$|^tsconfig|^scripts\//.test(
      file,
    ),
  );
  if (testOnly.length > 0) fail(`test-only or build files in the tarball: ${testOnly.join(', ')}`);
  const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
  const collect = (value) =>
    typeof value === 'string' ? targets.push(value) : Object.values(value ?? {}).forEach(collect);
  collect(pkg.exports);
  collect(pkg.typesVersions);
  for (const target of targets) {
    if (!files.has(posix.normalize(target))) fail(`${target} (named in package.json) is not in the tarball`);
  }
  let maps = 0;
  for (const file of files) {
    if (!file.endsWith('.map')) continue;
    maps++;
    const map = JSON.parse(readFileSync(join(root, file), 'utf8'));
    for (const source of map.sources) {
      const resolved = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
      if (!files.has(resolved)) fail(`${file} maps to ${source}, which is not in the tarball`);
    }
  }

  // 2. Consumers, with the tarball unpacked where npm would put it.
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'), 'dir');
  const tarball = join(work, packed.filename);
  const consumer = (name, packageJson, sources) => {
    const dir = join(work, name);
    const installed = join(dir, 'node_modules', 'temporal-supervisor');
    mkdirSync(installed, { recursive: true });
    run('tar', ['xzf', tarball, '-C', installed, '--strip-components=1']);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true, ...packageJson }));
    for (const [file, text] of Object.entries(sources)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    return dir;
  };
  // Node 20.19+ and 22.12+ can require() ES modules: switch that off, so that the CommonJS build is what
  // answers `require`, as in Node 20.3 to 20.18, which the package's engines include.
  const noRequireEsm = 'require_module' in process.features ? ['--no-experimental-require-module'] : [];
  const node = (dir, file, ...args) => run(process.execPath, [...noRequireEsm, file, ...args], { cwd: dir });

  // What each consumer runs: both module systems, from one process, compared.
  const probe = `
    const subpaths = ${JSON.stringify(SUBPATHS)};
    const names = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort().join(',');
    const loaded = [];
    for (const subpath of subpaths) {
      const required = require(subpath);
      const imported = await import(subpath);
      if (names(required) !== names(imported))
        throw new Error(subpath + ': require() gives ' + names(required) + ' but import gives ' + names(imported));
      if (Object.keys(required).length < (subpath.endsWith('/opentelemetry') ? 1 : 3)) throw new Error(subpath + ' has only ' + names(required));
      loaded.push(subpath + ' (' + Object.keys(required).length + ')');
    }
    const cjs = require('temporal-supervisor');
    const esm = await import('temporal-supervisor');
    // Two copies (the ESM and the CommonJS build): the guards must know the other copy's errors.
    const fields = { reason: 'stopped', state: 'stopped', attempt: 0, maybeApplied: false };
    for (const [from, to] of [[esm, cjs], [cjs, esm]]) {
      if (!to.isTemporalUnavailableError(new from.TemporalUnavailableError('x', fields)))
        throw new Error('isTemporalUnavailableError misses an error of the other build');
      if (!to.isWorkflowConflictError(new from.WorkflowConflictError('x', { workflowId: 'w', requestId: 'r' })))
        throw new Error('isWorkflowConflictError misses an error of the other build');
      let optionsError;
      try { from.createSupervisor({ envConfig: false, address: 42 }); } catch (error) { optionsError = error; }
      if (!to.isSupervisorOptionsError(optionsError))
        throw new Error('isSupervisorOptionsError misses an error of the other build: ' + optionsError);
      if (to.isTemporalUnavailableError(new Error('x')) || to.isSupervisorOptionsError(new TypeError('x')))
        throw new Error('a guard accepts a plain error');
    }
    const outboxCopies = [await import('temporal-supervisor/outbox'), require('temporal-supervisor/outbox')];
    for (const [from, to] of [outboxCopies, [...outboxCopies].reverse()]) {
      if (!to.isOutboxUnavailableError(new from.OutboxUnavailableError('x', { operation: 'enqueue' })))
        throw new Error('isOutboxUnavailableError misses an error of the other build');
      if (!to.isOutboxInputError(new from.OutboxInputError('x', 'args')))
        throw new Error('isOutboxInputError misses an error of the other build');
      if (to.isOutboxUnavailableError(new Error('x'))) throw new Error('an outbox guard accepts a plain error');
    }
    const supervisor = cjs.createSupervisor({ envConfig: false, creators: { orders: {} } });
    await supervisor.stop();
    console.log(JSON.stringify({ loaded, copies: cjs.createSupervisor === esm.createSupervisor ? 1 : 2 }));
  `;
  const cjsDir = consumer(
    'cjs-consumer',
    { type: 'commonjs' },
    {
      'index.js': `(async () => {\n${probe}\n})().catch((error) => { console.error(error); process.exit(1); });\n`,
    },
  );
  const esmDir = consumer(
    'esm-consumer',
    { type: 'module' },
    {
      'index.js': `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${probe}\n`,
    },
  );
  for (const [dir, what] of [
    [cjsDir, 'CommonJS'],
    [esmDir, 'ESM'],
  ]) {
    const result = JSON.parse(node(dir, 'index.js'));
    if (result.loaded.length !== SUBPATHS.length) fail(`${what}: loaded only ${result.loaded.join(', ')}`);
  }
  // The default entry, required alone, loads nothing test-only (the dev server and the fault proxy are
  // in /testing, the demo and the CLI behind the bin).
  const alone = consumer(
    'cjs-default-entry',
    { type: 'commonjs' },
    {
      'index.js': `require('temporal-supervisor');\nconsole.log(JSON.stringify(Object.keys(require.cache).filter((f) => /temporal-supervisor\\/dist\\/cjs\\/src\\/(testing|demo|cli)\\//.test(f))));\n`,
    },
  );
  const testOnlyLoaded = JSON.parse(node(alone, 'index.js'));
  if (testOnlyLoaded.length > 0) fail(`require('temporal-supervisor') loads ${testOnlyLoaded.join(', ')}`);

  // The bin, as installed.
  const bin = join('node_modules', 'temporal-supervisor', pkg.bin['temporal-supervisor']);
  const version = node(cjsDir, bin, '--version').trim();
  if (version !== pkg.version) fail(`the installed bin printed ${version}, not ${pkg.version}`);

  // 3. TypeScript consumers: typecheck (the types must be found, not `any`), compile, run.
  const tsMain = `
    import { createSupervisor, isTemporalUnavailableError, type Supervisor } from 'temporal-supervisor';
    import { connectionMachine } from 'temporal-supervisor/machines';
    import { findFreePort } from 'temporal-supervisor/testing';
    const supervisor: Supervisor = createSupervisor({ envConfig: false, creators: { orders: {} } });
    // Never called: only typechecked. The options are typed (an unresolved module would be \`any\`, and
    // the unused @ts-expect-error would fail the build).
    export const mistyped = () =>
      // @ts-expect-error: address is a string
      createSupervisor({ envConfig: false, address: 42 });
    const state: string = supervisor.state;
    console.log(JSON.stringify({ state, machine: connectionMachine.id, guard: isTemporalUnavailableError(new Error('x')), port: typeof findFreePort }));
    void supervisor.stop();
  `;
  const tsc = join(work, 'node_modules', 'typescript', 'bin', 'tsc');
  const tsConsumers = [
    // What `nest new` generates.
    [
      'ts-nest-commonjs',
      { type: 'commonjs' },
      {
        module: 'commonjs',
        target: 'ES2021',
        declaration: true,
        removeComments: true,
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
        allowSyntheticDefaultImports: true,
        sourceMap: true,
        outDir: './dist',
        incremental: false,
        skipLibCheck: true,
        strictNullChecks: true,
        noImplicitAny: true,
        types: ['node'],
      },
    ],
    [
      'ts-nodenext-commonjs',
      { type: 'commonjs' },
      { module: 'nodenext', strict: true, outDir: './dist', skipLibCheck: true, types: ['node'] },
    ],
    [
      'ts-nodenext-esm',
      { type: 'module' },
      { module: 'nodenext', strict: true, outDir: './dist', skipLibCheck: true, types: ['node'] },
    ],
  ];
  for (const [name, packageJson, compilerOptions] of tsConsumers) {
    const dir = consumer(name, packageJson, {
      'tsconfig.json': JSON.stringify({ compilerOptions, include: ['src'] }),
      'src/main.ts': tsMain,
    });
    run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: dir });
    const out = JSON.parse(node(dir, 'dist/main.js'));
    if (out.state !== 'disconnected' || out.machine !== 'connection' || out.port !== 'function') {
      fail(`${name} ran but printed ${JSON.stringify(out)}`);
    }
  }
  console.log(
    `tarball ${packed.filename}: ${files.size} files, ${Math.round(packed.size / 1024)} kB (${Math.round(packed.unpackedSize / 1024)} kB unpacked), ${maps} source maps resolve; ` +
      `require and import of ${SUBPATHS.length} subpaths agree in a CommonJS and an ESM consumer${noRequireEsm.length ? ' (require(esm) off)' : ''}; ` +
      `${tsConsumers.length} TypeScript consumers (${tsConsumers.map(([name]) => name).join(', ')}) typecheck and run; the installed bin runs`,
  );
} finally {
  if (!process.env.KEEP_TARBALL_CHECK) rmSync(work, { recursive: true, force: true });
  else console.log(`kept ${work}`);
}
if (existsSync(join(work, 'node_modules'))) fail(`could not remove ${work}`);
