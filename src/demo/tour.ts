/**
 * The demo's tour: a scripted lifecycle that plays by itself in about a minute. Orders while Temporal is up,
 * one order in flight when the server is SIGKILLed, orders that wait through the outage and run once it is
 * back, a network cut that a short deadline cannot outwait (rejected with the typed error) and a long one can;
 * last, the service itself SIGKILLed during an outage with orders in its outbox (src/demo/outbox-step.ts),
 * restarted, and every order it had accepted counted in visibility: none lost, none twice. Every order of the
 * first six steps goes through the service's real `POST /orders`; at the end, each must be accounted for.
 */
import type { Supervisor } from '../supervisor/supervisor.js';
import { embeddedStoreAvailable, playOutboxStep } from './outbox-step.js';
import type { OrderRecord, OrderService } from './service.js';

/** What the tour does to Temporal: the demo supplies the real thing (the dev server, the fault proxy). */
export interface TourFaults {
  /** Says what it will do, e.g. 'SIGKILL the Temporal server (pid 123)'. */
  readonly outageLabel: string;
  outage(): Promise<void>;
  readonly recoverLabel: string;
  recover(): Promise<void>;
  cutOff(): Promise<void>;
  restore(): Promise<void>;
}

export interface TourOptions {
  readonly service: OrderService;
  readonly faults: TourFaults;
  readonly say: (line: string) => void;
  /** Tells apart the order ids of successive tours in one session. */
  readonly tourNumber: number;
  /** Resolves when the demo is asked to stop: the tour gives up. */
  readonly stopped: Promise<void>;
  /** How long any one step may take before the tour fails. @default 60000 */
  readonly stepTimeoutMs?: number;
}

export interface TourResult {
  /** Every order started and completed, or was rejected with `TemporalUnavailableError` (HTTP 503). */
  readonly ok: boolean;
  /** The accounting line. */
  readonly summary: string;
  readonly orders: readonly OrderRecord[];
  readonly durationMs: number;
}

class TourStopped extends Error {}

const STEPS = 7;
/** Orders the second service accepts before it is killed (step 7). */
const OUTBOX_ORDERS = 5;

/** Plays the tour. Never rejects: a failed step is reported in the result. */
export async function playTour(options: TourOptions): Promise<TourResult> {
  const { service, faults, say, stopped } = options;
  const stepTimeoutMs = options.stepTimeoutMs ?? 60_000;
  const supervisor = service.supervisor;
  const started = Date.now();
  const prefix = options.tourNumber === 1 ? 'tour' : `tour${options.tourNumber}`;
  const answers = new Map<string, Promise<{ status: number; body: unknown }>>();
  let count = 0;
  let stopRequested = false;
  void stopped.then(() => {
    stopRequested = true;
  });

  const step = (n: number, text: string) => say(`── tour ${n}/${STEPS}: ${text}`);

  /** Polls `check` every 100 ms until it holds; fails the tour after the step timeout or on stop. */
  async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
    const deadline = Date.now() + stepTimeoutMs;
    while (!(await check())) {
      if (stopRequested) throw new TourStopped('stopped');
      if (Date.now() > deadline) {
        throw new Error(`gave up after ${stepTimeoutMs / 1000} s waiting for ${what}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function pause(ms: number): Promise<void> {
    await Promise.race([new Promise((resolve) => setTimeout(resolve, ms)), stopped]);
    if (stopRequested) throw new TourStopped('stopped');
  }

  /** Places an order over HTTP; the answer is awaited later. */
  function order(timeoutMs: number): string {
    const orderId = `${prefix}-${++count}`;
    const answer = fetch(new URL('/orders', service.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-timeout-ms': String(timeoutMs) },
      body: JSON.stringify({ orderId }),
    }).then(async (res) => ({ status: res.status, body: await res.json() }));
    answer.catch(() => {});
    answers.set(orderId, answer);
    return orderId;
  }

  const record = (orderId: string) => service.orders().find((o) => o.orderId === orderId);
  const statusOf = (orderId: string) => record(orderId)?.status;
  const all = (ids: readonly string[], ...statuses: OrderRecord['status'][]) =>
    ids.every((id) => statuses.includes(statusOf(id) ?? 'waiting'));
  const serving = (s: Supervisor) => s.state === 'connected' || s.state === 'degraded';
  let outboxLine: string | undefined;

  try {
    await until('the supervisor to connect and its worker to run', () => {
      const snapshot = supervisor.snapshot();
      return snapshot.state === 'connected' && snapshot.children['worker:orders'] === 'running';
    });

    step(1, 'three orders while Temporal is up: they start at once and complete a few seconds later');
    const calm = [order(10_000), order(10_000), order(10_000)];
    await until('the first orders to complete', () => all(calm, 'completed', 'rejected'));

    step(2, `one more order, then ${faults.outageLabel} while its workflow sleeps on a durable timer`);
    const inFlight = order(10_000);
    await until(`order ${inFlight} to start`, () => all([inFlight], 'started', 'completed', 'rejected'));
    await faults.outage();
    await until('the supervisor to notice the outage', () => !serving(supervisor));

    step(3, 'three orders during the outage, each with a 60 s deadline: they wait instead of failing');
    const patient = [order(60_000), order(60_000), order(60_000)];
    await until('the orders to arrive', () => patient.every((id) => record(id) !== undefined));
    await pause(3_000);
    const waiting = supervisor.snapshot().pendingRequests;
    say(
      `(${waiting} ${waiting === 1 ? 'request' : 'requests'} waiting; the supervisor is in ${supervisor.state})`,
    );

    step(4, `${faults.recoverLabel}: the waiting orders start, and every workflow completes`);
    await faults.recover();
    await until('the waiting orders and the one in flight to complete', () =>
      all([inFlight, ...patient], 'completed', 'rejected'),
    );

    step(5, 'cut the network off (a black hole: connections hang, nothing answers)');
    await faults.cutOff();
    await until('the supervisor to notice (its health checks time out)', () => !serving(supervisor));
    const hasty = order(2_000);
    const steady = order(60_000);
    await until(`order ${hasty}'s 2 s deadline to pass`, () =>
      all([hasty], 'rejected', 'started', 'completed'),
    );

    step(6, `restore the network: order ${steady} starts and completes`);
    await faults.restore();
    await until('every order to complete or be rejected', () =>
      all([...answers.keys()], 'completed', 'rejected'),
    );

    if (!embeddedStoreAvailable()) {
      say(
        `── tour 7/${STEPS}: skipped (the service killed during an outage needs the embedded outbox: npm install @electric-sql/pglite)`,
      );
    } else {
      step(
        7,
        `${faults.outageLabel}, then a second service with an outbox accepts ${OUTBOX_ORDERS} orders, is SIGKILLed itself and restarted: nothing it accepted is lost`,
      );
      outboxLine = await playOutboxStep({
        supervisor,
        ...service.temporal,
        prefix: `demo-${prefix}-${Date.now().toString(36)}-outbox`,
        count: OUTBOX_ORDERS,
        say,
        until,
        outage: () => faults.outage(),
        recover: () => faults.recover(),
      });
      say(outboxLine);
    }
  } catch (error) {
    const durationMs = Date.now() - started;
    const why = error instanceof TourStopped ? 'stopped before the end' : (error as Error).message;
    return {
      ok: false,
      summary: `tour FAILED: ${why} (after ${(durationMs / 1000).toFixed(1)} s)`,
      orders: tourOrders(),
      durationMs,
    };
  }

  function tourOrders(): OrderRecord[] {
    return service.orders().filter((o) => answers.has(o.orderId));
  }

  // The accounting: what the ledger says must agree with what each HTTP client was answered.
  const orders = tourOrders();
  const problems: string[] = [];
  let completed = 0;
  let rejected = 0;
  for (const [orderId, answer] of answers) {
    const entry = record(orderId);
    const { status, body } = await answer.catch((error: unknown) => ({ status: 0, body: String(error) }));
    const code = (body as { code?: unknown } | null)?.code;
    if (entry?.status === 'completed' && status === 202) completed++;
    else if (entry?.status === 'rejected' && status === 503 && code === 'UNAVAILABLE') rejected++;
    else problems.push(`${orderId}: ${entry?.status ?? 'not in the ledger'}, HTTP ${status}`);
  }
  const durationMs = Date.now() - started;
  const tally = `${answers.size} orders: ${completed} started and completed, ${rejected} rejected with TemporalUnavailableError (HTTP 503)`;
  const ok = problems.length === 0 && answers.size > 0;
  return {
    ok,
    summary: ok
      ? `tour done in ${(durationMs / 1000).toFixed(1)} s: ${tally}; every request accounted for${outboxLine ? `; outbox: ${OUTBOX_ORDERS} accepted before the service was killed, ${OUTBOX_ORDERS} started once` : ''}`
      : `tour FAILED: ${tally}; not accounted for: ${problems.join('; ')}`,
    orders,
    durationMs,
  };
}
