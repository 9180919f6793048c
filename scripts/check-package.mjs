/**
 * `npm run check:package` (after `npm run build`): the built package loads in plain Node through
 * its own `exports` (from dist, not the sources), has its public API, and its inspector serves the page
 * from dist: the page's assets are TypeScript string modules, so tsc ships them and nothing else is needed.
 * And the `temporal-supervisor` bin named in package.json runs from dist: `--help` of each command.
 * `temporal-supervisor/testing` loads too, and the demo's files are in dist. Then check-tarball.mjs: the packed
 * tarball, installed into fresh CommonJS, ESM and TypeScript consumer projects.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const resolved = import.meta.resolve('temporal-supervisor');
if (!resolved.includes('/dist/'))
  throw new Error(`temporal-supervisor resolved to ${resolved}, not to dist/`);
const m = await import('temporal-supervisor');
const expected = [
  'createSupervisor',
  'TemporalUnavailableError',
  'WorkflowCreator',
  'startInspector',
  'machineGraph',
  'toMermaid',
  'toDot',
];
for (const name of expected) if (!m[name]) throw new Error(`missing export ${name}`);
// The public test helpers, and the demo (its workflow file is bundled by the worker from dist at run time).
const testing = await import('temporal-supervisor/testing');
for (const name of ['DevServer', 'FaultProxy', 'resolveTemporalCli', 'findFreePort']) {
  if (!testing[name]) throw new Error(`missing export ${name} of temporal-supervisor/testing`);
}
// The outbox subpath, with its migration (pg and PGlite are optional peers, loaded only when used).
const outbox = await import('temporal-supervisor/outbox');
for (const name of ['createOutbox', 'migrateOutbox', 'outboxMigrationSql', 'OutboxSchemaError']) {
  if (!outbox[name]) throw new Error(`missing export ${name} of temporal-supervisor/outbox`);
}
if (!outbox.outboxMigrationSql().includes('001_create_outbox'))
  throw new Error('the outbox migration is missing');
for (const file of ['cli/demo.js', 'demo/workflows.js', 'demo/activities.js']) {
  if (!existsSync(new URL(`../dist/src/${file}`, import.meta.url)))
    throw new Error(`dist/src/${file} is missing`);
}

const supervisor = m.createSupervisor({ envConfig: false, creators: { orders: {} } });
const inspector = await m.startInspector(supervisor);
try {
  const page = await fetch(inspector.url);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<script>') || !html.includes('EventSource')) {
    throw new Error(`the inspector built in dist did not serve its page (HTTP ${page.status})`);
  }
  const state = await (await fetch(new URL('state.json', inspector.url))).json();
  const drawn = state.machines?.connection;
  if (
    !drawn?.graph?.transitions?.length ||
    drawn.layout?.edges?.length <= drawn.graph.transitions.length ||
    state.actors?.[1]?.id !== 'creator:orders'
  ) {
    throw new Error('the inspector built in dist served no laid-out machine graph (elkjs) or actors');
  }
  console.log(
    `package loads in plain Node: ${Object.keys(m).length} exports; its inspector serves a ${html.length}-byte page from dist`,
  );
} finally {
  await inspector.close();
  await supervisor.stop();
}

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const bin = pkg.bin?.['temporal-supervisor'];
if (bin !== 'dist/src/cli/main.js') throw new Error(`package.json bin temporal-supervisor is ${bin}`);
const binPath = new URL(`../${bin}`, import.meta.url);
if (!readFileSync(binPath, 'utf8').startsWith('#!/usr/bin/env node\n')) {
  throw new Error(`${bin} has no #!/usr/bin/env node line: the installed bin would not run`);
}
const commands = [[], ['wait'], ['check'], ['diagram']];
for (const command of commands) {
  const help = execFileSync(process.execPath, [binPath.pathname, ...command, '--help'], { encoding: 'utf8' });
  if (!help.includes('Usage: temporal-supervisor'))
    throw new Error(`${bin} ${command} --help printed no usage`);
}
const dot = execFileSync(process.execPath, [binPath.pathname, 'diagram', '--format', 'dot'], {
  encoding: 'utf8',
});
if (!dot.startsWith('digraph "connection"')) throw new Error(`${bin} diagram printed no DOT graph`);
const version = execFileSync(process.execPath, [binPath.pathname, '--version'], { encoding: 'utf8' }).trim();
if (version !== pkg.version) throw new Error(`${bin} --version printed ${version}, not ${pkg.version}`);
console.log(
  `bin temporal-supervisor runs from ${bin}: --help of ${commands.length} commands, version ${version}`,
);

await import('./check-tarball.mjs');
