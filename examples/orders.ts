/**
 * What the three HTTP examples share: one supervisor with one worker and one workflow creator, the logic of
 * `POST /orders`, and how its errors become HTTP answers. Each example wires these into its framework:
 * node-http.ts, express.ts, fastify.ts.
 */
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import {
  createSupervisor,
  isTemporalUnavailableError,
  isWorkflowConflictError,
  type LoggerOption,
  type Supervisor,
} from 'temporal-supervisor';
import * as activities from './activities.js';

/** What every example's `start()` takes. */
export interface ExampleOptions {
  /** HTTP port; 0 picks a free one. @default 3000 */
  port?: number;
  /** Temporal frontend. @default TEMPORAL_ADDRESS (or the temporal CLI's profile), else localhost:7233 */
  address?: string;
  /** @default TEMPORAL_NAMESPACE, else 'default' */
  namespace?: string;
  /** @default 'orders' */
  taskQueue?: string;
  /** Log JSON lines to stdout. @default false */
  log?: boolean;
}

/** A running example service. */
export interface RunningService {
  readonly url: string;
  readonly supervisor: Supervisor;
  /** Stops taking requests (closes the server), then stops the supervisor: creator, worker, connection. */
  close(): Promise<void>;
}

/** An HTTP answer, whatever the framework. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

class BadRequest extends Error {
  readonly statusCode = 400;
}

/** The order service: its supervisor and the logic of `POST /orders`. */
export interface Orders {
  readonly supervisor: Supervisor;
  /**
   * `POST /orders` with `{ "orderId": "…" }`: starts `processOrder` once per order (workflow id
   * `order-<id>`); the caller answers 202. Header `x-timeout-ms` is the request's deadline (default 5 s):
   * past it, while Temporal is away, the request fails with 503. Header `idempotency-key` makes a client's
   * retries safe: the same key gets the same run back, never a second run (nor a 409).
   */
  place(body: unknown, headers: IncomingHttpHeaders): Promise<{ workflowId: string; runId: string }>;
}

/**
 * Creates and starts the service's supervisor. Address, namespace, API key and TLS come from TEMPORAL_*
 * variables (or the temporal CLI's config profile) unless given; `start()` never throws because Temporal
 * is down.
 */
export function createOrders(options: ExampleOptions, logger?: LoggerOption): Orders {
  const taskQueue = options.taskQueue ?? 'orders';
  const supervisor = createSupervisor({
    ...(options.address !== undefined ? { address: options.address } : {}),
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    logger: logger ?? (options.log ? pino() : undefined),
    workers: {
      orders: {
        taskQueue,
        workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
        activities,
      },
    },
    creators: { orders: { deadline: '5s' } },
  });
  supervisor.start();
  const creator = supervisor.creator('orders');

  async function place(body: unknown, headers: IncomingHttpHeaders) {
    const orderId = (body as { orderId?: unknown } | null | undefined)?.orderId;
    if (typeof orderId !== 'string' || !ORDER_ID.test(orderId)) {
      throw new BadRequest('Expected a JSON body {"orderId": "…"}: 1 to 64 letters, digits, "_" or "-".');
    }
    const timeout = Number(headers['x-timeout-ms'] ?? 5_000);
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 60_000) {
      throw new BadRequest('Expected header x-timeout-ms: whole milliseconds from 1 to 60000.');
    }
    const key = headers['idempotency-key'];
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      throw new BadRequest(
        'Expected header idempotency-key: 1 to 128 letters, digits, "_", ".", ":" or "-".',
      );
    }
    // One order, one run, ever: REJECT_DUPLICATE keeps a closed run's id from being reused (the default
    // would start the order again). Retries of one request (same request id) still get their run back.
    const { workflowId, runId } = await creator.start(
      'processOrder',
      {
        workflowId: `order-${orderId}`,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        taskQueue,
        args: [orderId],
      },
      { timeout, ...(key !== undefined ? { requestId: key } : {}) },
    );
    return { workflowId, runId };
  }
  return { supervisor, place };
}

/** 503 with the typed error (Retry-After when the next attempt is due), 409 on a conflict, 4xx as given. */
export function errorAnswer(error: unknown): Answer {
  if (isTemporalUnavailableError(error)) {
    const headers: Record<string, string> =
      error.retryAfterMs !== undefined ? { 'retry-after': String(Math.ceil(error.retryAfterMs / 1000)) } : {};
    return { status: 503, headers, body: error.toJSON() };
  }
  if (isWorkflowConflictError(error)) {
    return {
      status: 409,
      headers: {},
      body: { code: error.code, message: error.message, workflowId: error.workflowId },
    };
  }
  const status =
    (error as { statusCode?: unknown; status?: unknown } | null)?.statusCode ??
    (error as { status?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, headers: {}, body: { message: (error as Error).message } };
  }
  return { status: 500, headers: {}, body: { message: 'Internal error' } };
}

/**
 * A node:http server (plain, or express's) and its supervisor as a service. `close()` stops accepting and
 * lets requests in flight finish (each is bounded by its deadline), then stops the supervisor.
 */
export function serviceOf(server: Server, supervisor: Supervisor): RunningService {
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    supervisor,
    async close() {
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      await supervisor.stop();
    },
  };
}

/** Runs an example as a program: `PORT` (default 3000), JSON logs, and a clean stop on SIGTERM or SIGINT. */
export async function runFromCommandLine(start: (options: ExampleOptions) => Promise<RunningService>) {
  // The program owns its signals: without this the Temporal SDK shuts its workers down on SIGTERM by itself,
  // behind the supervisor's back. It must run before the first worker exists.
  Runtime.install({ shutdownSignals: [] });
  const service = await start({ port: Number(process.env.PORT ?? 3000), log: true });
  process.stdout.write(`listening on ${service.url}\n`);
  const stop = () => {
    service.close().catch((error: unknown) => {
      process.stderr.write(`stop failed: ${String(error)}\n`);
      process.exitCode = 1;
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
