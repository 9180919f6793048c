/**
 * `node scripts/measure-import-weight.mjs [--runs N]` (after `npm run build`): the resident memory of a
 * creator-only service, the figure the lazy loading of `@temporalio/worker` is meant to lower (issue 14).
 *
 * Each run is a fresh `node` process that imports the built package through its own `exports` (dist, not
 * the sources), creates a supervisor with one workflow creator and no worker, starts it against a closed
 * port (so it keeps retrying, as a service does while Temporal is down), waits 2 s and reports
 * `process.memoryUsage().rss` and which `@temporalio/*` packages were loaded; once through `import` (the ESM
 * build), once through `require` (the CommonJS build). For comparison, the same for a
 * process that imports only `@temporalio/client` and creates a lazy `Connection` against the same port.
 * Prints the median of each, in MB, and one JSON line (`--json`).
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 5;
const json = process.argv.includes('--json');
const root = fileURLToPath(new URL('..', import.meta.url));

/** A port nothing listens on (bound, then closed). */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const report = `
  const loaded = (await import('node:module')).createRequire(import.meta.url).cache;
  const temporal = [...new Set(Object.keys(loaded).map((f) => /node_modules\\/@temporalio\\/([^/]+)\\//.exec(f)?.[1]).filter(Boolean))].sort();
  process.stdout.write(JSON.stringify({ rss: process.memoryUsage().rss, temporal }));
`;

const scenarios = {
  'creator-only supervisor': (port) => `
    import { createSupervisor } from 'temporal-supervisor';
    const supervisor = createSupervisor({ envConfig: false, address: '127.0.0.1:${port}', creators: { orders: {} } });
    supervisor.start();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ${report}
    await supervisor.stop();
    process.exit(0);
  `,
  'creator-only, require()': (port) => `
    import { createRequire } from 'node:module';
    const { createSupervisor } = createRequire(import.meta.url)('temporal-supervisor');
    const supervisor = createSupervisor({ envConfig: false, address: '127.0.0.1:${port}', creators: { orders: {} } });
    supervisor.start();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ${report}
    await supervisor.stop();
    process.exit(0);
  `,
  // The floor a lazy @temporalio/worker could reach: every runtime dependency but the worker.
  'deps without the worker': (port) => `
    import { Connection } from '@temporalio/client';
    await Promise.all(['@temporalio/envconfig', '@grpc/grpc-js', 'xstate', 'pino', 'prom-client'].map((m) => import(m)));
    const connection = Connection.lazy({ address: '127.0.0.1:${port}' });
    connection.workflowService.getSystemInfo({}).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ${report}
    process.exit(0);
  `,
  '@temporalio/client alone': (port) => `
    import { Connection } from '@temporalio/client';
    const connection = Connection.lazy({ address: '127.0.0.1:${port}' });
    connection.workflowService.getSystemInfo({}).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ${report}
    process.exit(0);
  `,
};

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const results = {};
for (const [name, source] of Object.entries(scenarios)) {
  const samples = [];
  let temporal = [];
  for (let i = 0; i < runs; i++) {
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', source(await closedPort())], {
      cwd: root,
      encoding: 'utf8',
    });
    const sample = JSON.parse(out);
    samples.push(sample.rss);
    temporal = sample.temporal;
  }
  results[name] = { medianRssMB: Math.round(median(samples) / 1e5) / 10, runs, temporalPackages: temporal };
}
if (json) console.log(JSON.stringify({ node: process.version, results }));
else {
  console.log(`Node ${process.version}, ${runs} runs each, RSS 2 s after start against a closed port:`);
  for (const [name, r] of Object.entries(results)) {
    console.log(
      `  ${name.padEnd(26)} ${String(r.medianRssMB).padStart(6)} MB  loads @temporalio/{${r.temporalPackages.join(',')}}`,
    );
  }
}
