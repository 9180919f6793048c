/**
 * examples/outbox-express.ts against a real PostgreSQL and a real dev server: an order placed while Temporal
 * is SIGKILLed is accepted (202), saved with its start in one transaction, and its workflow runs once
 * Temporal is back; a bad order is a 400 that saves nothing.
 */
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start } from '../../examples/outbox-express.js';
import { useCleanups } from '../harness/cleanups.js';
import { DevServer } from '../harness/dev-server.js';
import { PostgresServer } from '../harness/postgres.js';
import { waitUntil } from '../harness/wait.js';

const defer = useCleanups();
let postgres: PostgresServer;
let temporal: DevServer;
beforeAll(async () => {
  [postgres, temporal] = await Promise.all([PostgresServer.start(), DevServer.start()]);
});
afterAll(async () => {
  await Promise.all([postgres?.stop(), temporal?.dispose()]);
});

const post = async (url: string, body: unknown) => {
  const response = await fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};
const statusOf = async (url: string, id: string) =>
  (await (await fetch(`${url}/orders/${id}`)).json()) as Record<string, unknown>;

describe('examples/outbox-express.ts', () => {
  it('accepts an order while Temporal is down and starts its workflow once it is back', async () => {
    const taskQueue = `outbox-example-${Date.now()}`;
    const service = await start({
      port: 0,
      address: temporal.address,
      databaseUrl: postgres.connectionString(),
      taskQueue,
    });
    defer(() => service.close());
    await service.supervisor.waitFor('connected', { timeout: '30s' });

    expect(await post(service.url, { orderId: 'a1' })).toMatchObject({
      status: 202,
      body: { workflowId: 'order-a1' },
    });
    await waitUntil(async () => (await statusOf(service.url, 'a1')).status === 'started', {
      timeoutMs: 30_000,
      what: 'a1 started',
    });

    await temporal.kill();
    expect(await post(service.url, { orderId: 'b2' })).toMatchObject({ status: 202 });
    expect(await statusOf(service.url, 'b2')).toMatchObject({ status: 'pending' });
    expect(await post(service.url, { orderId: 'not valid!' })).toMatchObject({ status: 400 });
    await temporal.startAgain();
    await waitUntil(async () => (await statusOf(service.url, 'b2')).status === 'started', {
      timeoutMs: 60_000,
      what: 'b2 started',
    });

    const pool = new pg.Pool({ connectionString: postgres.connectionString() });
    defer(() => pool.end());
    const { rows } = await pool.query('SELECT id FROM orders ORDER BY id');
    expect(rows).toEqual([{ id: 'a1' }, { id: 'b2' }]);
    const connection = await Connection.connect({ address: temporal.address });
    defer(() => connection.close());
    const client = new Client({ connection });
    const result = await client.workflow.getHandle('order-b2').result();
    expect(typeof result).toBe('string');
    const runs: string[] = [];
    for await (const e of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` }))
      runs.push(e.workflowId);
    expect(runs.sort()).toEqual(['order-a1', 'order-b2']);
  });
});
