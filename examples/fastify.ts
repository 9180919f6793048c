/**
 * The orders service on fastify 5: `POST /orders`, `GET /livez`, `GET /readyz`; stops cleanly on SIGTERM
 * or SIGINT.
 *
 *   TEMPORAL_ADDRESS=localhost:7233 PORT=3000 npx tsx examples/fastify.ts
 */
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createHealthHandler } from 'temporal-supervisor';
import {
  createOrders,
  type ExampleOptions,
  errorAnswer,
  type RunningService,
  runFromCommandLine,
} from './orders.js';

export async function start(options: ExampleOptions = {}): Promise<RunningService> {
  const app = Fastify({ logger: options.log === true });
  // The supervisor logs through fastify's own pino logger.
  const { supervisor, place } = createOrders(options, app.log);
  const live = createHealthHandler(supervisor, 'live');
  const ready = createHealthHandler(supervisor, 'ready');
  // The health handlers write node:http's response themselves: hijack() keeps fastify from answering too.
  app.get('/livez', (request, reply) => {
    reply.hijack();
    live(request.raw, reply.raw);
  });
  app.get('/readyz', (request, reply) => {
    reply.hijack();
    ready(request.raw, reply.raw);
  });
  app.post('/orders', async (request, reply) =>
    reply.code(202).send(await place(request.body, request.headers)),
  );
  app.setErrorHandler((error, _request, reply) => {
    const { status, headers, body } = errorAnswer(error);
    return reply.code(status).headers(headers).send(body);
  });
  // close() stops accepting, waits for requests in flight (each bounded by its deadline), then runs onClose.
  app.addHook('onClose', () => supervisor.stop());
  await app.listen({ port: options.port ?? 3000, host: '0.0.0.0' });
  const { port } = app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, supervisor, close: () => app.close() };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runFromCommandLine(start);
