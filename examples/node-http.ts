/**
 * The orders service on plain node:http: `POST /orders`, `GET /livez`, `GET /readyz`; stops cleanly on
 * SIGTERM or SIGINT.
 *
 *   TEMPORAL_ADDRESS=localhost:7233 PORT=3000 npx tsx examples/node-http.ts
 *   curl -i -X POST localhost:3000/orders -H 'content-type: application/json' -d '{"orderId":"42"}'
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { createHealthHandler } from 'temporal-supervisor';
import {
  type Answer,
  createOrders,
  type ExampleOptions,
  errorAnswer,
  type RunningService,
  runFromCommandLine,
  serviceOf,
} from './orders.js';

function send(res: ServerResponse, { status, headers, body }: Answer): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return JSON.parse(text);
  } catch {
    throw Object.assign(new Error('Expected a JSON body'), { statusCode: 400 });
  }
}

export async function start(options: ExampleOptions = {}): Promise<RunningService> {
  const { supervisor, place } = createOrders(options);
  const live = createHealthHandler(supervisor, 'live');
  const ready = createHealthHandler(supervisor, 'ready');
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/livez') return live(req, res);
    if (req.method === 'GET' && req.url === '/readyz') return ready(req, res);
    if (req.method !== 'POST' || req.url !== '/orders') {
      return send(res, { status: 404, headers: {}, body: { message: 'Not found' } });
    }
    readJson(req)
      .then((body) => place(body, req.headers))
      .then(
        (started) => send(res, { status: 202, headers: {}, body: started }),
        (error: unknown) => send(res, errorAnswer(error)),
      );
  });
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(options.port ?? 3000, resolve),
  );
  return serviceOf(server, supervisor);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runFromCommandLine(start);
