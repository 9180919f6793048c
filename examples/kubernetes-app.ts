/**
 * The service the Kubernetes recipes share (kubernetes-plain.ts, kubernetes-lightship.ts,
 * kubernetes-terminus.ts, in docs/operations.md): one supervisor with one workflow creator, and
 * `POST /orders/<id>`, which starts `processOrder` once per id (202, 409 when taken, 503 while Temporal is away).
 * Connection settings come from TEMPORAL_* variables; PORT and READINESS_DELAY_MS from the environment.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import pino from 'pino';
import {
  createSupervisor,
  isTemporalUnavailableError,
  isWorkflowConflictError,
  type Supervisor,
} from 'temporal-supervisor';

export const PORT = Number(process.env.PORT ?? 3000);
/** How long readiness fails before the stop: at least the time the endpoints take to drop the pod. */
export const READINESS_DELAY_MS = Number(process.env.READINESS_DELAY_MS ?? 5_000);

/** The supervisor (not started) and the HTTP server (not listening); `routes` adds paths such as `/readyz`. */
export function createOrdersService(
  routes: (supervisor: Supervisor) => Record<string, RequestListener> = () => ({}),
) {
  // Written synchronously: the lines of the stop (`stopping`, `disconnected`) are out before the process exits.
  const logger = pino(pino.destination({ sync: true }));
  const supervisor = createSupervisor({ logger, creators: { orders: { deadline: '5s' } } });
  const orders = supervisor.creator('orders');
  const extra = routes(supervisor);
  const server = createServer((req, res) => {
    const route = extra[req.url ?? ''];
    if (route) return route(req, res);
    const id = /^\/orders\/([\w-]{1,64})$/.exec(req.url ?? '')?.[1];
    if (req.method !== 'POST' || id === undefined) return void res.writeHead(404).end();
    orders.start('processOrder', { workflowId: `order-${id}`, taskQueue: 'orders', args: [id] }).then(
      ({ runId }) =>
        res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ runId })),
      (error: unknown) =>
        res
          .writeHead(isWorkflowConflictError(error) ? 409 : isTemporalUnavailableError(error) ? 503 : 500)
          .end(),
    );
  });
  return { supervisor, server };
}

/** Stops accepting connections and resolves once the requests in flight are answered. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
