/**
 * The demo's sample service: a supervisor with one worker and one workflow creator, behind a `node:http`
 * server with `POST /orders`. It keeps a ledger of every order it was asked for and says, one line each, when
 * an order waits for Temporal, starts, completes or is rejected.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { isTemporalUnavailableError, isWorkflowConflictError } from '../errors.js';
import { createHealthHandler } from '../health.js';
import type { LoggerOption } from '../logging/logger.js';
import { createSupervisor, type Supervisor } from '../supervisor/supervisor.js';
import * as activities from './activities.js';

export interface OrderServiceOptions {
  /** Temporal frontend the supervisor connects to. */
  readonly address: string;
  /** HTTP port; 0 picks a free one. */
  readonly port: number;
  /** Tells what happens to each order, one line at a time. */
  readonly say: (line: string) => void;
  /** Workflow ids are `demo-<session>-order-<orderId>`, so that runs against one server never clash. */
  readonly session: string;
  /** @default 'default' */
  readonly namespace?: string;
  /** @default 'demo-orders' */
  readonly taskQueue?: string;
  /** How long each workflow sleeps on its durable timer. @default 3000 */
  readonly packingMs?: number;
  /** Deadline of a request that sends no `x-timeout-ms`. @default 30000 */
  readonly defaultTimeoutMs?: number;
  /** The supervisor's logger. @default none */
  readonly logger?: LoggerOption;
}

/** Where an order is. `waiting`: accepted while Temporal was away, not started yet. */
export type OrderStatus = 'waiting' | 'starting' | 'started' | 'completed' | 'rejected' | 'unfinished';

export interface OrderRecord {
  readonly orderId: string;
  readonly workflowId: string;
  status: OrderStatus;
  /** Epoch ms. */
  readonly receivedAt: number;
  startedAt?: number;
  completedAt?: number;
  /** The HTTP status the request was answered with. */
  httpStatus?: number;
  runId?: string;
  result?: string;
  /** Why it was rejected: the error's code and reason (`UNAVAILABLE`/`deadline`, `CONFLICT`…) and message. */
  rejection?: { readonly code: string; readonly reason?: string; readonly message: string };
}

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body: unknown;
}

export interface OrderService {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly supervisor: Supervisor;
  /** Where its workflows run: the Temporal frontend, namespace and task queue (for a second service). */
  readonly temporal: { readonly address: string; readonly namespace: string; readonly taskQueue: string };
  /** Every order so far, oldest first. */
  orders(): readonly OrderRecord[];
  /** What `POST /orders` does: starts `processOrder` for the order, once. Never rejects. */
  place(orderId?: string, options?: { timeoutMs?: number }): Promise<Answer>;
  /** Resolves once every started order has completed (or `close()` was called). */
  settled(): Promise<void>;
  /** Stops taking requests, stops the supervisor (waiting requests are answered 503 `stopped`). */
  close(): Promise<void>;
}

const ORDER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_BODY_BYTES = 16 * 1024;

/** The compiled workflow file next to this one: `.ts` under tsx, `.js` in dist. */
function workflowsPath(): string {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./workflows${extension}`, import.meta.url));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Creates the supervisor, starts it, and listens. Resolves once the HTTP server listens. */
export async function startOrderService(options: OrderServiceOptions): Promise<OrderService> {
  const taskQueue = options.taskQueue ?? 'demo-orders';
  const packingMs = options.packingMs ?? 3_000;
  const defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
  const say = options.say;
  const supervisor = createSupervisor({
    address: options.address,
    namespace: options.namespace ?? 'default',
    envConfig: false,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
    workers: { orders: { taskQueue, workflowsPath: workflowsPath(), activities } },
    creators: { orders: { deadline: defaultTimeoutMs } },
  });
  supervisor.start();
  const creator = supervisor.creator('orders');

  const ledger: OrderRecord[] = [];
  const watchers = new Set<Promise<void>>();
  let closing = false;
  let stopWatching: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    stopWatching = resolve;
  });
  let nextId = 1;

  /** Waits for the workflow's result through the supervisor, across outages, until it completes or we stop. */
  async function watch(record: OrderRecord): Promise<void> {
    while (!closing) {
      try {
        // failFast: a result watcher is not a request waiting for Temporal; it waits for `connected` below.
        record.result = await supervisor.withClient(
          (client) => client.workflow.getHandle(record.workflowId, record.runId).result() as Promise<string>,
          { timeout: 30_000, failFast: true },
        );
        record.status = 'completed';
        record.completedAt = Date.now();
        say(
          `order ${record.orderId} completed: ${JSON.stringify(record.result)} (${seconds(record.completedAt - record.receivedAt)} after it was received)`,
        );
        return;
      } catch (error) {
        if (!isTemporalUnavailableError(error)) {
          record.status = 'unfinished';
          say(`order ${record.orderId}: its workflow failed: ${(error as Error).message}`);
          return;
        }
        await Promise.race([supervisor.waitFor(['connected', 'degraded']).catch(() => {}), closed]);
      }
    }
  }

  async function place(orderId?: string, { timeoutMs = defaultTimeoutMs } = {}): Promise<Answer> {
    const id = orderId ?? String(nextId++);
    if (!ORDER_ID.test(id)) {
      return {
        status: 400,
        body: { message: 'Expected orderId to be 1 to 64 letters, digits, "_" or "-".' },
      };
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 300_000) {
      return {
        status: 400,
        body: { message: 'Expected x-timeout-ms to be whole milliseconds, 1 to 300000.' },
      };
    }
    const serving = supervisor.state === 'connected' || supervisor.state === 'degraded';
    const record: OrderRecord = {
      orderId: id,
      workflowId: `demo-${options.session}-order-${id}`,
      status: serving ? 'starting' : 'waiting',
      receivedAt: Date.now(),
    };
    ledger.push(record);
    if (!serving) {
      say(
        `order ${id} received while Temporal is unavailable (supervisor ${supervisor.state}): it waits, up to ${seconds(timeoutMs)}`,
      );
    }
    try {
      const started = await creator.start(
        'processOrder',
        {
          workflowId: record.workflowId,
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          taskQueue,
          args: [id, packingMs],
        },
        { timeout: timeoutMs },
      );
      record.status = 'started';
      record.startedAt = Date.now();
      record.runId = started.runId;
      record.httpStatus = 202;
      const waitedMs = record.startedAt - record.receivedAt;
      say(
        `order ${id} started${!serving || waitedMs >= 1000 ? ` after waiting ${seconds(waitedMs)}` : ''} (workflow ${record.workflowId})`,
      );
      const watcher = watch(record);
      watchers.add(watcher);
      void watcher.finally(() => watchers.delete(watcher));
      return {
        status: 202,
        body: { orderId: id, workflowId: record.workflowId, runId: started.runId, waitedMs },
      };
    } catch (error) {
      const answer = errorAnswer(error);
      record.status = 'rejected';
      record.httpStatus = answer.status;
      const body = answer.body as { code?: string; reason?: string; message?: string };
      record.rejection = {
        code: body.code ?? 'ERROR',
        ...(body.reason !== undefined ? { reason: body.reason } : {}),
        message: body.message ?? String(error),
      };
      say(
        `order ${id} rejected after ${seconds(Date.now() - record.receivedAt)}: HTTP ${answer.status} ${record.rejection.code}${
          record.rejection.reason ? ` (${record.rejection.reason})` : ''
        }`,
      );
      return answer;
    }
  }

  const live = createHealthHandler(supervisor, 'live');
  const ready = createHealthHandler(supervisor, 'ready');
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (req.method === 'GET' && path === '/livez') return live(req, res);
    if (req.method === 'GET' && path === '/readyz') return ready(req, res);
    if (req.method === 'GET' && path === '/orders') {
      return send(res, { status: 200, body: ledger });
    }
    if (req.method === 'POST' && path === '/orders') {
      readBody(req).then(
        (body) => {
          const orderId = (body as { orderId?: unknown } | undefined)?.orderId;
          if (orderId !== undefined && typeof orderId !== 'string') {
            return send(res, { status: 400, body: { message: 'Expected orderId to be a string.' } });
          }
          const header = req.headers['x-timeout-ms'];
          const timeoutMs = header === undefined ? undefined : Number(header);
          return place(orderId, timeoutMs === undefined ? {} : { timeoutMs }).then((answer) =>
            send(res, answer),
          );
        },
        (error: unknown) => send(res, { status: 400, body: { message: (error as Error).message } }),
      );
      return;
    }
    send(res, {
      status: 404,
      body: { message: 'Not found. Try POST /orders, GET /orders, GET /livez, GET /readyz.' },
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closePromise: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    supervisor,
    temporal: { address: options.address, namespace: options.namespace ?? 'default', taskQueue },
    orders: () => [...ledger],
    place,
    async settled() {
      while (watchers.size > 0) await Promise.race([Promise.allSettled([...watchers]), closed]);
    },
    close() {
      closePromise ??= (async () => {
        closing = true;
        stopWatching();
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Rejects the requests still waiting (503, reason `stopped`), so the server can finish closing.
        await supervisor.stop();
        server.closeAllConnections();
        await serverClosed;
        for (const record of ledger) {
          if (record.status === 'started') record.status = 'unfinished';
        }
      })();
      return closePromise;
    },
  };
}

/** 503 with the typed error (and Retry-After when known), 409 on a conflict, 500 otherwise. */
export function errorAnswer(error: unknown): Answer {
  if (isTemporalUnavailableError(error)) {
    return {
      status: 503,
      headers:
        error.retryAfterMs !== undefined
          ? { 'retry-after': String(Math.ceil(error.retryAfterMs / 1000)) }
          : {},
      body: error.toJSON(),
    };
  }
  if (isWorkflowConflictError(error)) {
    return {
      status: 409,
      body: { code: error.code, message: error.message, workflowId: error.workflowId },
    };
  }
  return { status: 500, body: { code: 'INTERNAL', message: (error as Error)?.message ?? String(error) } };
}

function send(res: ServerResponse, { status, headers, body }: Answer): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
}

/** The request's JSON body; `undefined` when empty. */
async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > MAX_BODY_BYTES) throw new Error(`Expected a body of at most ${MAX_BODY_BYTES} bytes.`);
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('Expected a JSON body, e.g. {"orderId":"42"}, or none.');
  }
}
