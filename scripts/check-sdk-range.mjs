/**
 * `node scripts/check-sdk-range.mjs [version …]` (after `npm run build`; needs the npm registry and a `temporal`
 * CLI, as `.ci/run` has): the package against each Temporal SDK version of its peer range, as a user installs it.
 *
 * For each version (default: the lowest and the highest minor of `peerDependencies`, 1.23.0 and 1.24.0) a fresh
 * project installs the packed tarball with `@temporalio/{client,common,envconfig,proto,worker,workflow}` at that
 * version, and then:
 * - one copy of the SDK: no `@temporalio/client` nested under `temporal-supervisor` (the peer range worked);
 * - against a real dev server: a supervised worker and a creator; the same start sent twice with one request id
 *   gives one run (the SDK internals the exactly-once design relies on still hold); the workflow completes;
 * - a creator-only supervisor never loads `@temporalio/worker`.
 * Prints one line per version; exits 1 on the first failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const versions = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['1.23.0', '1.24.0'];
const SDK = ['client', 'common', 'envconfig', 'proto', 'worker', 'workflow'].map(
  (name) => `@temporalio/${name}`,
);

const SMOKE = `
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { createSupervisor } from 'temporal-supervisor';
import { DevServer } from 'temporal-supervisor/testing';

const server = await DevServer.start();
try {
  const creatorOnly = createSupervisor({ envConfig: false, address: server.address, creators: { c: {} } });
  creatorOnly.start();
  await creatorOnly.waitFor('connected', { timeout: '30s' });
  const loaded = Object.keys(createRequire(import.meta.url).cache).some((p) => p.includes('@temporalio/worker'));
  await creatorOnly.stop();
  if (loaded) throw new Error('a creator-only supervisor loaded @temporalio/worker');

  const workflowsPath = fileURLToPath(new URL('./workflows.js', import.meta.url));
  const supervisor = createSupervisor({
    envConfig: false,
    address: server.address,
    workers: { w: { taskQueue: 'range', workflowsPath } },
    creators: { c: { deadline: '60s' } },
  });
  supervisor.start();
  try {
    const options = { workflowId: 'range-' + Date.now(), taskQueue: 'range', args: ['range'] };
    const first = await supervisor.creator('c').start('greet', options, { requestId: 'range-request-1' });
    const again = await supervisor.creator('c').start('greet', options, { requestId: 'range-request-1' });
    if (again.runId !== first.runId) throw new Error('the same request id started a second run');
    const result = await supervisor.withClient((client) => client.workflow.getHandle(options.workflowId).result(), { timeout: '60s' });
    if (result !== 'hello range') throw new Error('unexpected result ' + result);
    console.log('exactly-once start and a worker run on a real server; creator-only loads no worker');
  } finally {
    await supervisor.stop();
  }
} finally {
  await server.dispose();
}
`;

const work = mkdtempSync(join(tmpdir(), 'temporal-supervisor-sdk-range-'));
try {
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
  );
  const tarball = join(work, packed.filename);
  for (const version of versions) {
    const dir = mkdtempSync(join(work, `sdk-${version}-`));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const started = Date.now();
    const install = spawnSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        tarball,
        ...SDK.map((name) => `${name}@${version}`),
      ],
      { cwd: dir, encoding: 'utf8' },
    );
    if (install.status !== 0)
      throw new Error(`npm install with SDK ${version} failed:\n${install.stdout}${install.stderr}`);
    const installMs = Date.now() - started;
    const installed = JSON.parse(
      readFileSync(join(dir, 'node_modules/@temporalio/client/package.json'), 'utf8'),
    );
    if (installed.version !== version)
      throw new Error(`installed @temporalio/client ${installed.version}, not ${version}`);
    const nested = spawnSync('ls', [join(dir, 'node_modules/temporal-supervisor/node_modules/@temporalio')]);
    if (nested.status === 0)
      throw new Error(`a second copy of the SDK is nested under temporal-supervisor (SDK ${version})`);
    writeFileSync(
      join(dir, 'workflows.js'),
      "export async function greet(name) { return 'hello ' + name; }\n",
    );
    writeFileSync(join(dir, 'smoke.mjs'), SMOKE);
    const smoke = spawnSync(process.execPath, ['smoke.mjs'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180_000,
    });
    if (smoke.status !== 0)
      throw new Error(`SDK ${version}: the smoke run failed:\n${smoke.stdout}${smoke.stderr}`);
    console.log(
      `sdk ${version}: installed in ${(installMs / 1000).toFixed(1)} s, one copy; ${smoke.stdout.trim()}`,
    );
  }
  console.log(`check-sdk-range: ${pkg.name} works with @temporalio/* ${versions.join(', ')}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
