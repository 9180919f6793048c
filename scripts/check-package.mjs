/**
 * `npm run check:package` (after `tsc -p tsconfig.build.json`): the built package loads in plain Node through
 * its own `exports` (from dist, not the sources), has its public API, and its inspector serves the page
 * from dist: the page's assets are TypeScript string modules, so tsc ships them and nothing else is needed.
 */
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

const supervisor = m.createSupervisor({ envConfig: false, creators: { orders: {} } });
const inspector = await m.startInspector(supervisor);
try {
  const page = await fetch(inspector.url);
  const html = await page.text();
  if (page.status !== 200 || !html.includes('<script>') || !html.includes('EventSource')) {
    throw new Error(`the inspector built in dist did not serve its page (HTTP ${page.status})`);
  }
  const state = await (await fetch(new URL('state.json', inspector.url))).json();
  if (!state.machines?.connection?.transitions?.length || state.actors?.[1]?.id !== 'creator:orders') {
    throw new Error('the inspector built in dist served no machine graph or actors');
  }
  console.log(
    `package loads in plain Node: ${Object.keys(m).length} exports; its inspector serves a ${html.length}-byte page from dist`,
  );
} finally {
  await inspector.close();
  await supervisor.stop();
}
