/**
 * The Kubernetes shutdown recipes of docs/operations.md (examples/kubernetes-plain.ts with
 * `supervisor.shutdown()`, kubernetes-lightship.ts, kubernetes-terminus.ts), each run as a program against a
 * real dev server and given SIGTERM as the kubelet gives it: readiness fails first, a request that still arrives
 * during the delay is served (a real workflow started), the supervisor stops only after the delay, and the
 * process exits with code 0.
 */
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { runProgram } from '../harness/program.js';
import { waitUntil } from '../harness/wait.js';

const READINESS_DELAY_MS = 3_000;

interface Recipe {
  readonly file: string;
  /** The readiness URL's path and port: the app's, or lightship's own server. */
  readonly readiness: (ports: { app: number; lightship: number }) => string;
  /** What the readiness endpoint answers once shutting down. */
  readonly notReady: number;
}

const RECIPES: [string, Recipe][] = [
  [
    'supervisor.shutdown',
    { file: 'kubernetes-plain.ts', readiness: ({ app }) => `http://127.0.0.1:${app}/readyz`, notReady: 503 },
  ],
  [
    'lightship',
    {
      file: 'kubernetes-lightship.ts',
      readiness: ({ lightship }) => `http://127.0.0.1:${lightship}/ready`,
      notReady: 500, // lightship's own choice
    },
  ],
  [
    '@godaddy/terminus',
    {
      file: 'kubernetes-terminus.ts',
      readiness: ({ app }) => `http://127.0.0.1:${app}/readyz`,
      notReady: 503,
    },
  ],
];

const defer = useCleanups();
let server: DevServer;

// One dev server for the three recipes, disposed by the teardown beforeAll returns.
beforeAll(async () => {
  server = await DevServer.start();
  return () => server.dispose();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function status(url: string): Promise<number> {
  const response = await fetch(url);
  await response.arrayBuffer();
  return response.status;
}

async function post(url: string): Promise<{ status: number; runId?: string }> {
  const response = await fetch(url, { method: 'POST' });
  const text = await response.text();
  return { status: response.status, ...(text ? (JSON.parse(text) as { runId: string }) : {}) };
}

describe.each(RECIPES)('Kubernetes shutdown: %s', (_name, recipe) => {
  it('fails readiness first, serves through the delay, stops after it, exits 0', async () => {
    const ports = { app: await freePort(), lightship: await freePort() };
    const program = runProgram(
      ['--import', 'tsx', fileURLToPath(new URL(`../../examples/${recipe.file}`, import.meta.url))],
      {
        env: {
          TEMPORAL_ADDRESS: server.address,
          TEMPORAL_NAMESPACE: 'default',
          PORT: String(ports.app),
          LIGHTSHIP_PORT: String(ports.lightship),
          READINESS_DELAY_MS: String(READINESS_DELAY_MS),
        },
      },
      defer,
    );
    const readiness = recipe.readiness(ports);
    const orders = `http://127.0.0.1:${ports.app}/orders`;
    const id = `${recipe.file.replace('.ts', '')}-${Date.now()}`;

    await waitUntil(async () => (await status(readiness)) === 200, {
      timeoutMs: 60_000,
      what: `${recipe.file} ready (stderr: ${program.stderr()})`,
    });
    expect((await post(`${orders}/${id}-before`)).status).toBe(202);

    const signaledAt = Date.now();
    program.child.kill('SIGTERM');
    // Readiness fails first …
    await waitUntil(async () => (await status(readiness)) === recipe.notReady, {
      timeoutMs: READINESS_DELAY_MS,
      what: `readiness ${recipe.notReady} after SIGTERM`,
    });
    // … while traffic still routed here is served: a real start, through a supervisor still running.
    const during = await post(`${orders}/${id}-during`);
    expect(during.status).toBe(202);

    const { code, signal, at } = await program.exit;
    expect({ code, signal }, program.stderr()).toEqual({ code: 0, signal: null });
    expect(at - signaledAt).toBeGreaterThanOrEqual(READINESS_DELAY_MS);

    // The supervisor's own log: it began to stop only after the delay, and it reached `disconnected`.
    const lines = program.jsonLines<{ msg: string; to?: string; time: number }>();
    const changes = lines.filter((line) => line.msg === 'Temporal connection state changed');
    const stopping = changes.find((line) => line.to === 'stopping');
    expect(stopping, program.stdout()).toBeDefined();
    expect(stopping?.time).toBeGreaterThanOrEqual(signaledAt + READINESS_DELAY_MS);
    expect(changes.at(-1)?.to, program.stdout().slice(-2_000)).toBe('disconnected');

    // Both workflows exist on the server, the one started during the delay with the run the service answered.
    const connection = await Connection.connect({ address: server.address });
    defer(() => connection.close());
    const client = new Client({ connection });
    const described = await client.workflow.getHandle(`order-${id}-during`).describe();
    expect(described.runId).toBe(during.runId);
    await client.workflow.getHandle(`order-${id}-before`).describe();
  });
});
