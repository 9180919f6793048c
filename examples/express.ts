/**
 * The orders service on express 5: `POST /orders`, `GET /livez`, `GET /readyz`; stops cleanly on SIGTERM
 * or SIGINT.
 *
 *   TEMPORAL_ADDRESS=localhost:7233 PORT=3000 npx tsx examples/express.ts
 */
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createHealthHandler } from 'temporal-supervisor';
import {
  createOrders,
  type ExampleOptions,
  errorAnswer,
  type RunningService,
  runFromCommandLine,
  serviceOf,
} from './orders.js';

export async function start(options: ExampleOptions = {}): Promise<RunningService> {
  const { supervisor, place } = createOrders(options);
  const app = express();
  app.use(express.json());
  app.get('/livez', createHealthHandler(supervisor, 'live'));
  app.get('/readyz', createHealthHandler(supervisor, 'ready'));
  app.post('/orders', async (req, res) => {
    res.status(202).json(await place(req.body, req.headers));
  });
  // Express 5 hands a rejected handler's error to the error middleware.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const { status, headers, body } = errorAnswer(error);
    res.status(status).set(headers).json(body);
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(options.port ?? 3000, (error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  return serviceOf(server, supervisor);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runFromCommandLine(start);
