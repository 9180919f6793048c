/**
 * `temporal-supervisor/nestjs` in a real Nest application (test/nestjs-app: CommonJS as `nest new` makes it,
 * decorators with their metadata, reflect-metadata, @nestjs/terminus) against a real dev server. The app is
 * compiled by tsc and run by node; it `require`s the package's CommonJS build through its `exports` (the
 * package is found by its name, as from node_modules, via NODE_PATH). Through a SIGKILL and restart of the
 * server: the terminus health check answers 503 while Temporal is away, a start made during the outage waits and
 * succeeds once the server is back, health is 200 again; then on SIGTERM (enableShutdownHooks) readiness fails
 * first, the HTTP server closes, and only then the supervisor stops; the process exits with code 0.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/testing/index.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { runProgram } from '../harness/program.js';
import { waitUntil } from '../harness/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const READINESS_DELAY_MS = 2_000;
const defer = useCleanups();
let server: DevServer;
let app: string;
let modules: string;

beforeAll(async () => {
  // The package as a consumer gets it (its dist, both builds), and the app compiled as CommonJS.
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const out = mkdtempSync(join(tmpdir(), 'nestjs-app-'));
  app = join(out, 'app');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'test/nestjs-app/tsconfig.json'), '--outDir', app], {
    stdio: 'inherit',
  });
  modules = join(out, 'node_modules');
  mkdirSync(modules);
  symlinkSync(root, join(modules, 'temporal-supervisor'));
  server = await DevServer.start();
  return () => server.dispose();
});

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(url: string, method = 'GET'): Promise<Answer> {
  const response = await fetch(url, { method });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('NestJS module in a CommonJS Nest application', () => {
  it('health through a kill and restart, a start that waits and succeeds, and an ordered shutdown', async () => {
    const port = await findFreePort();
    const program = runProgram(
      [join(app, 'main.js')],
      {
        cwd: app,
        env: {
          NODE_PATH: [modules, join(root, 'node_modules')].join(':'),
          PORT: String(port),
          TEMPORAL_ADDRESS: server.address,
          READINESS_DELAY_MS: String(READINESS_DELAY_MS),
        },
      },
      defer,
    );
    const base = `http://127.0.0.1:${port}`;
    const healthIs = (status: number) =>
      waitUntil(async () => (await call(`${base}/health`)).status === status, {
        timeoutMs: 60_000,
        what: `health ${status} (stderr: ${program.stderr().slice(-2_000)})`,
      });
    const id = `nest-${Date.now()}`;

    await healthIs(200);
    const healthy = await call(`${base}/health`);
    expect(healthy.body).toMatchObject({
      status: 'ok',
      info: { temporal: { status: 'up', state: 'connected' } },
    });
    const first = await call(`${base}/orders/${id}-a`, 'POST');
    expect(first.status).toBe(202);

    await server.kill();
    await healthIs(503);
    expect((await call(`${base}/health`)).body).toMatchObject({
      status: 'error',
      error: { temporal: { status: 'down', ready: false } },
    });
    // Made during the outage: waits (the creator's deadline is 60 s) and succeeds once the server is back.
    const during = call(`${base}/orders/${id}-b`, 'POST');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.startAgain();
    const waited = await during;
    expect(waited.status).toBe(202);
    await healthIs(200);

    const connection = await Connection.connect({ address: server.address });
    defer(() => connection.close());
    const client = new Client({ connection });
    expect((await client.workflow.getHandle(`order-${id}-b`).describe()).runId).toBe(waited.body.runId);
    expect((await client.workflow.getHandle(`order-${id}-a`).describe()).runId).toBe(first.body.runId);

    const signaledAt = Date.now();
    program.child.kill('SIGTERM');
    await waitUntil(async () => (await call(`${base}/health`)).status === 503, {
      timeoutMs: READINESS_DELAY_MS,
      what: 'health 503 at shutdown',
    });
    expect((await call(`${base}/health`)).body).toMatchObject({
      error: { temporal: { shuttingDown: true } },
    });
    // enableShutdownHooks with useProcessExit: exit(0) once the application closed (1 on an error in a hook).
    expect(await program.exit).toMatchObject({ code: 0, signal: null });

    const lines = program.jsonLines<{ msg: string; to?: string; time: number }>();
    const closed = lines.find((line) => line.msg === 'HTTP server closed');
    const stopping = lines.find(
      (line) => line.msg === 'Temporal connection state changed' && line.to === 'stopping',
    );
    expect(closed, program.stdout()).toBeDefined();
    expect(stopping, program.stdout()).toBeDefined();
    expect(closed?.time).toBeGreaterThanOrEqual(signaledAt + READINESS_DELAY_MS);
    expect(stopping?.time).toBeGreaterThanOrEqual(closed?.time ?? Number.POSITIVE_INFINITY);
    expect(
      lines.filter((line) => line.msg === 'Temporal connection state changed').at(-1)?.to,
      program.stdout().slice(-4_000),
    ).toBe('disconnected');
  });
});
