/**
 * An express service whose `POST /orders` saves the order and the start of its workflow in ONE PostgreSQL
 * transaction (the transactional outbox): the order is never saved without its workflow, even when Temporal
 * is down or this process dies before Temporal is back. `GET /orders/:id` reads the start back.
 *
 *   DATABASE_URL=postgres://localhost/shop TEMPORAL_ADDRESS=localhost:7233 PORT=3000 npx tsx examples/outbox-express.ts
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@temporalio/worker';
import express, { type NextFunction, type Request, type Response } from 'express';
import pg from 'pg';
import { createSupervisor } from 'temporal-supervisor';
import {
  createOutbox,
  isOutboxInputError,
  isOutboxUnavailableError,
  migrateOutbox,
} from 'temporal-supervisor/outbox';
import * as activities from './activities.js';

export interface OutboxExampleOptions {
  port?: number;
  address?: string;
  databaseUrl?: string;
  taskQueue?: string;
}

export async function start(options: OutboxExampleOptions = {}) {
  const pool = new pg.Pool({ connectionString: options.databaseUrl ?? process.env.DATABASE_URL });
  pool.on('error', () => {}); // an idle client lost its connection (database restarted): the pool replaces it
  await migrateOutbox(pool); // or apply outboxMigrationSql() with your own migration tool
  await pool.query(
    'CREATE TABLE IF NOT EXISTS orders (id text PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now())',
  );
  const taskQueue = options.taskQueue ?? 'orders';
  const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));
  const supervisor = createSupervisor({
    ...(options.address ? { address: options.address } : {}),
    workers: { orders: { taskQueue, workflowsPath, activities } },
    creators: { outbox: {} },
  });
  const outbox = await createOutbox({ supervisor, creator: 'outbox', store: { pool } });
  supervisor.start();

  const app = express();
  app.use(express.json());
  app.post('/orders', async (req, res) => {
    const orderId = String(req.body?.orderId ?? '');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(orderId)) {
      res.status(400).json({ error: 'orderId: 1–64 letters, digits, _ or -' });
      return;
    }
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('INSERT INTO orders (id) VALUES ($1) ON CONFLICT (id) DO NOTHING', [orderId]);
      const intent = {
        id: `order-${orderId}`,
        workflowType: 'processOrder',
        workflowId: `order-${orderId}`,
        taskQueue,
        args: [orderId],
      };
      await outbox.enqueue(intent, { tx: client }); // commits or rolls back with the order
      await client.query('COMMIT');
      res.status(202).json({ orderId, workflowId: intent.workflowId });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  });
  app.get('/orders/:id', async (req, res) => {
    const status = await outbox.status(`order-${req.params.id}`);
    res.status(status ? 200 : 404).json(status ?? { error: 'no such order' });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (isOutboxInputError(error)) res.status(400).json({ error: error.message, field: error.field });
    else if (isOutboxUnavailableError(error))
      res.status(503).set('retry-after', '1').json({ error: 'database unavailable' });
    else res.status(500).json({ error: 'internal error' });
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port ?? 3000, (error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    supervisor,
    outbox,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await outbox.stop();
      await supervisor.stop();
      await pool.end();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  Runtime.install({ shutdownSignals: [] }); // this program owns SIGTERM (see examples/orders.ts)
  const service = await start({ port: Number(process.env.PORT ?? 3000) });
  process.stdout.write(`listening on ${service.url}\n`);
  process.once('SIGTERM', () => void service.close());
}
