/**
 * The embedding examples (examples/node-http.ts, express.ts, fastify.ts) against one real dev server: each
 * starts workflows over HTTP, reports readiness, answers 503 within a request's deadline while the server is
 * SIGKILLed, completes a request made during the outage once the server is back, and stops cleanly — both
 * through `close()` and, run as a program, on SIGTERM.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start as startExpress } from '../../examples/express.js';
import { start as startFastify } from '../../examples/fastify.js';
import { start as startNodeHttp } from '../../examples/node-http.js';
import type { ExampleOptions, RunningService } from '../../examples/orders.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { waitUntil } from '../harness/wait.js';

const EXAMPLES: [string, string, (options: ExampleOptions) => Promise<RunningService>][] = [
  ['node:http', 'node-http.ts', startNodeHttp],
  ['express', 'express.ts', startExpress],
  ['fastify', 'fastify.ts', startFastify],
];

const defer = useCleanups();
let server: DevServer;

beforeAll(async () => {
  server = await DevServer.start();
});
afterAll(async () => {
  await server?.dispose();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function postOrder(url: string, orderId: string, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ orderId }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function readiness(url: string): Promise<number> {
  const response = await fetch(`${url}/readyz`);
  await response.arrayBuffer();
  return response.status;
}

const untilReadiness = (url: string, status: number) =>
  waitUntil(async () => (await readiness(url)) === status, {
    timeoutMs: 60_000,
    what: `readiness ${status}`,
  });

/** What Temporal itself says about a workflow: its result, or that it does not exist. */
async function withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: server.address });
  try {
    return await fn(new Client({ connection }));
  } finally {
    await connection.close();
  }
}

describe.each(EXAMPLES)('examples: %s service', (_name, file, start) => {
  it('starts workflows, answers 503 during an outage, completes a request made during it, and stops', async () => {
    const id = `${file.replace('.ts', '')}-${Date.now()}`;
    const service = await start({ port: 0, address: server.address, taskQueue: `examples-${id}` });
    defer(() => service.close());
    await untilReadiness(service.url, 200);

    // A start through the creator: 202 with the workflow id, and the workflow completes on the worker.
    const first = await postOrder(service.url, `${id}-a`, { 'idempotency-key': `${id}-key-a` });
    expect(first).toMatchObject({ status: 202, body: { workflowId: `order-${id}-a` } });
    expect(await withClient((c) => c.workflow.getHandle(`order-${id}-a`).result())).toBe(
      `order ${id}-a confirmed`,
    );
    // The same idempotency key gets the same run back; another request for the same order is a conflict.
    const again = await postOrder(service.url, `${id}-a`, { 'idempotency-key': `${id}-key-a` });
    expect(again).toEqual({ status: 202, body: first.body });
    const conflict = await postOrder(service.url, `${id}-a`);
    expect(conflict).toMatchObject({
      status: 409,
      body: { code: 'ALREADY_STARTED', workflowId: `order-${id}-a` },
    });
    expect((await postOrder(service.url, 'not an id')).status).toBe(400);

    await server.kill();
    await untilReadiness(service.url, 503);
    expect((await fetch(`${service.url}/livez`)).status).toBe(200);
    // A short deadline inside the outage: 503 with the typed error, and nothing was sent to Temporal.
    const refused = await postOrder(service.url, `${id}-b`, { 'x-timeout-ms': '300' });
    expect(refused).toMatchObject({
      status: 503,
      body: {
        name: 'TemporalUnavailableError',
        code: 'UNAVAILABLE',
        reason: 'deadline',
        maybeApplied: false,
        request: { workflowId: `order-${id}-b` },
      },
    });
    // A long deadline: the request waits for the server and succeeds once it is back.
    const waiting = postOrder(service.url, `${id}-c`, { 'x-timeout-ms': '60000' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.startAgain();
    expect(await waiting).toMatchObject({ status: 202, body: { workflowId: `order-${id}-c` } });
    await untilReadiness(service.url, 200);
    expect(await withClient((c) => c.workflow.getHandle(`order-${id}-c`).result())).toBe(
      `order ${id}-c confirmed`,
    );
    await expect(withClient((c) => c.workflow.getHandle(`order-${id}-b`).describe())).rejects.toBeInstanceOf(
      WorkflowNotFoundError,
    );

    await service.close();
    expect(service.supervisor.state).toBe('disconnected');
    expect(service.supervisor.snapshot().children).toEqual({
      'worker:orders': 'stopped',
      'creator:orders': 'stopped',
    });
    await expect(fetch(`${service.url}/readyz`)).rejects.toThrow();
  });

  it('run as a program: serves, and exits by itself with code 0 on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL(`../../examples/${file}`, import.meta.url))],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: { ...process.env, TEMPORAL_ADDRESS: server.address, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    defer(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    const url = await waitUntil(() => /listening on (http:\/\/\S+)/.exec(output)?.[1], {
      timeoutMs: 60_000,
      what: `the ${file} program to listen (output: ${output})`,
    });
    await untilReadiness(url, 200);
    expect((await postOrder(url, `${file.replace('.ts', '')}-program-${Date.now()}`)).status).toBe(202);

    child.kill('SIGTERM');
    expect(await exited, output).toEqual({ code: 0, signal: null });
    expect(output).toMatch(/"to":"disconnected"/);
  });
});
