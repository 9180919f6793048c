/**
 * The workflow creator on the real supervisor runtime, with Temporal replaced by FakeConnector (whose
 * FakeTemporal dedups starts by request id exactly as the real server was measured to) and time by
 * ManualClock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  isTemporalUnavailableError,
  isWorkflowConflictError,
  type TemporalUnavailableError,
} from '../../src/errors.js';
import { createSupervisor, type Supervisor } from '../../src/index.js';
import { FakeConnector, failures, flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';

let supervisor: Supervisor | undefined;
let fake: FakeConnector | undefined;
afterEach(async () => {
  const s = supervisor;
  supervisor = undefined;
  if (s) {
    for (const attempt of fake?.attempts ?? []) attempt.reject(new Error('test over'));
    const stopping = s.stop();
    await flush();
    await stopping;
  }
});

function setup(creator: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  fake = connector;
  supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
    creators: { orders: creator },
  });
  return { clock, connector, supervisor, orders: supervisor.creator('orders') };
}

async function connect(s: Supervisor, connector: FakeConnector) {
  if (s.state === 'disconnected') s.start();
  await flush();
  connector.succeed();
  await flush();
  expect(s.state).toBe('connected');
}

const options = (workflowId: string) => ({ workflowId, taskQueue: 'q', args: [] });

describe('WorkflowCreator', () => {
  it('starts a workflow on a serving connection and reports the run and the request id', async () => {
    const { connector, supervisor: s, orders } = setup();
    await connect(s, connector);
    const outcome = await orders.start('wf', options('order-1'));
    expect(outcome).toMatchObject({ workflowId: 'order-1', runId: 'run-1', attempts: 1 });
    expect(outcome.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(connector.server.executions.get('order-1')?.requestId).toBe(outcome.requestId);
    expect(s.snapshot().children).toEqual({ 'creator:orders': 'ready' });
  });

  it('waits for the connection while Temporal is down, then starts (FIFO)', async () => {
    const { connector, supervisor: s, orders } = setup();
    s.start();
    await flush();
    expect(s.snapshot().children).toEqual({ 'creator:orders': 'waiting' });
    const order: string[] = [];
    const first = orders.start('wf', options('a'), { timeout: 60_000 }).then((o) => order.push(o.workflowId));
    const second = orders
      .start('wf', options('b'), { timeout: 60_000 })
      .then((o) => order.push(o.workflowId));
    expect(orders.pending).toBe(2);
    connector.succeed();
    await Promise.all([first, second]);
    expect(order).toEqual(['a', 'b']);
    expect(connector.server.executions.size).toBe(2);
  });

  it('exactly once: a start applied by the server whose answer was lost is retried and returns the same run', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 50 });
    await connect(s, connector);
    connector.server.inject('unavailable-after');
    const request = orders.start('wf', options('order-7'), { timeout: 10_000 });
    await flush();
    clock.advance(50);
    await flush();
    const outcome = await request;
    expect(outcome).toMatchObject({ workflowId: 'order-7', runId: 'run-1', attempts: 2 });
    expect(connector.server.startCalls).toBe(2);
    expect(connector.server.executions.size).toBe(1);
  });

  it('retries across a reconnection: the connection drops mid-start, the request waits, then completes once', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 50 });
    await connect(s, connector);
    connector.server.inject('unavailable-after');
    const request = orders.start('wf', options('order-8'), { timeout: 30_000 });
    await flush();
    // The connection is lost for good: the supervisor backs off; the retry waits for the next connection.
    connector.connections.at(-1)?.emit({
      type: 'lost',
      failure: { kind: 'transient', code: 'UNAVAILABLE', name: 'x', message: 'gone' },
    });
    await flush();
    expect(s.state).toBe('backoff');
    expect(s.snapshot().children).toEqual({ 'creator:orders': 'waiting' });
    clock.advance(50); // retry delay of the request
    await flush();
    clock.advance(s.snapshot().retryDelayMs); // the supervisor's backoff
    await flush();
    connector.succeed();
    const outcome = await request;
    expect(outcome.runId).toBe('run-1');
    expect(outcome.attempts).toBe(2);
    expect(connector.server.executions.size).toBe(1);
  });

  it('signalWithStart exactly once: a lost answer is retried with the same request id, and signals once', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 50 });
    await connect(s, connector);
    connector.server.inject('unavailable-after');
    const request = orders.signalWithStart(
      'wf',
      { ...options('sws-1'), signal: 'go', signalArgs: [1] },
      { timeout: 10_000 },
    );
    await flush();
    clock.advance(50);
    await flush();
    const outcome = await request;
    expect(outcome).toMatchObject({ workflowId: 'sws-1', runId: 'run-1', attempts: 2 });
    expect(connector.server.signals.get('sws-1')).toBe(1);
    // A new request (another request id) signals again, as it should.
    await orders.signalWithStart('wf', { ...options('sws-1'), signal: 'go', signalArgs: [2] });
    expect(connector.server.signals.get('sws-1')).toBe(2);
    expect(connector.server.executions.size).toBe(1);
  });

  it('"already started" by another request is a WorkflowConflictError, and nothing new is started', async () => {
    const { connector, supervisor: s, orders } = setup();
    await connect(s, connector);
    await orders.start('wf', options('taken'));
    const error = await orders.start('wf', options('taken')).catch((e: unknown) => e);
    expect(isWorkflowConflictError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ALREADY_STARTED', workflowId: 'taken' });
    expect(connector.server.executions.size).toBe(1);
  });

  it('rejects at its deadline while Temporal stays down, with maybeApplied false and the request identity', async () => {
    const { clock, connector, supervisor: s, orders } = setup();
    s.start();
    await flush();
    const request = orders.start('wf', options('late'), { timeout: 500 }).catch((e: unknown) => e);
    clock.advance(499);
    await flush();
    expect(orders.pending).toBe(1);
    clock.advance(1);
    const error = (await request) as TemporalUnavailableError;
    expect(isTemporalUnavailableError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'deadline', maybeApplied: false });
    expect(error.request).toMatchObject({ workflowId: 'late', attempts: 1 });
    expect(connector.server.startCalls).toBe(0);
  });

  it('a maybe-applied rejection can be resubmitted with its request id without starting twice', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 1_000 });
    await connect(s, connector);
    connector.server.inject('unavailable-after');
    // The retry delay does not fit in the deadline: the request gives up with maybeApplied.
    const error = (await orders
      .start('wf', options('maybe'), { timeout: 500 })
      .catch((e: unknown) => e)) as TemporalUnavailableError;
    expect(error).toMatchObject({ reason: 'connection_lost', maybeApplied: true });
    const requestId = error.request?.requestId;
    expect(requestId).toBeDefined();
    clock.advance(1_000);
    await flush();
    const outcome = await orders.start('wf', options('maybe'), { requestId });
    expect(outcome.runId).toBe('run-1');
    expect(connector.server.executions.size).toBe(1);
  });

  it('reports maybeApplied when an earlier attempt may have reached the server, even if the last never did', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 100 });
    await connect(s, connector);
    connector.server.inject('unavailable-after');
    const request = orders.start('wf', options('twice'), { timeout: 1_000 }).catch((e: unknown) => e);
    await flush();
    // Attempt 1 was applied and its answer lost; then the connection drops, so attempt 2 only waits.
    connector.open[0]?.emit({ type: 'lost', failure: failures.unavailable });
    await flush();
    clock.advance(1_000);
    await flush();
    const error = (await request) as TemporalUnavailableError;
    expect(error.request?.attempts).toBe(2);
    expect(error.reason).toBe('deadline');
    expect(error.maybeApplied).toBe(true);
    expect(connector.server.executions.size).toBe(1);
  });

  it('retries a start the server refused with "namespace not found" (a restarting server), within the deadline', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 100 });
    await connect(s, connector);
    connector.server.inject('namespace-not-found');
    const request = orders.start('wf', options('ns-blip'), { timeout: 1_000 });
    await flush();
    clock.advance(100);
    await flush();
    expect(await request).toMatchObject({ runId: 'run-1', attempts: 2 });
    expect(connector.server.executions.size).toBe(1);
  });

  it('retries a start the server refused for lack of resources (RESOURCE_EXHAUSTED) within the deadline, else rejects it typed', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 100 });
    await connect(s, connector);
    connector.server.inject('resource-exhausted');
    const retried = orders.start('wf', options('busy-1'), { timeout: 1_000 });
    await flush();
    clock.advance(100);
    await flush();
    expect(await retried).toMatchObject({ runId: 'run-1', attempts: 2 });
    connector.server.inject('resource-exhausted');
    const error = await orders
      .start('wf', options('busy-2'), { timeout: 50 })
      .catch((e: unknown) => e as TemporalUnavailableError);
    expect(isTemporalUnavailableError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'server_busy', maybeApplied: false });
  });

  it('a start cancelled under it (its channel closed) is connection_lost, maybeApplied, and retried once by request id', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 100 });
    await connect(s, connector);
    connector.server.inject('cancelled-after');
    const request = orders.start('wf', options('cancelled'), { timeout: 1_000 });
    await flush();
    clock.advance(100);
    await flush();
    // The first attempt was applied: the retry, with the same request id, gets that run back.
    expect(await request).toMatchObject({ runId: 'run-1', attempts: 2 });
    expect(connector.server.executions.size).toBe(1);
  });

  it('rejects with the typed error, not maybeApplied, when "namespace not found" lasts past the deadline', async () => {
    const { clock, connector, supervisor: s, orders } = setup({ retryDelay: 1_000 });
    await connect(s, connector);
    connector.server.inject('namespace-not-found');
    const error = await orders
      .start('wf', options('ns-gone'), { timeout: 500 })
      .catch((e: unknown) => e as TemporalUnavailableError);
    clock.advance(1_000);
    expect(isTemporalUnavailableError(error)).toBe(true);
    expect(error).toMatchObject({ reason: 'connection_lost', maybeApplied: false });
  });

  it('fails fast on request, and when a permanent failure is known', async () => {
    const { connector, supervisor: s, orders } = setup({ failFast: true });
    s.start();
    await flush();
    await expect(orders.start('wf', options('x'))).rejects.toMatchObject({ reason: 'fail_fast' });
    connector.fail({
      kind: 'permanent',
      code: 'UNAUTHENTICATED',
      grpcCode: 16,
      name: 'ServiceError',
      message: 'bad key',
    });
    await flush();
    await expect(orders.start('wf', options('y'), { failFast: false })).rejects.toMatchObject({
      reason: 'permanent_failure',
      lastFailure: { code: 'UNAUTHENTICATED' },
    });
  });

  it('bounds its queue: past maxPending, requests reject with queue_full at once', async () => {
    const { supervisor: s, orders } = setup({ maxPending: 2 });
    s.start();
    await flush();
    const waiting = [
      orders.start('wf', options('1')).catch(() => {}),
      orders.start('wf', options('2')).catch(() => {}),
    ];
    await expect(orders.start('wf', options('3'))).rejects.toMatchObject({ reason: 'queue_full' });
    expect(orders.pending).toBe(2);
    void waiting;
  });

  it('stop(): rejects queued requests with stopped, waits for the one in flight (to its deadline), then refuses new ones', async () => {
    const { clock, connector, supervisor: s, orders } = setup();
    await connect(s, connector);
    connector.server.inject('hang');
    const inFlight = orders.start('wf', options('in-flight'), { timeout: 5_000 }).catch((e: unknown) => e);
    await flush();
    // The connection drops; a second request queues for the next one.
    connector.connections.at(-1)?.emit({
      type: 'lost',
      failure: { kind: 'transient', code: 'UNAVAILABLE', name: 'x', message: 'gone' },
    });
    await flush();
    const queued = orders.start('wf', options('queued'), { timeout: 60_000 }).catch((e: unknown) => e);
    await flush();
    let stopped = false;
    const stopping = s.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(await queued).toMatchObject({ reason: 'stopped', request: { workflowId: 'queued' } });
    expect(stopped).toBe(false);
    expect(s.snapshot().children).toEqual({ 'creator:orders': 'stopping' });
    clock.advance(5_000);
    await flush();
    expect(await inFlight).toMatchObject({ reason: 'deadline', maybeApplied: true });
    await stopping;
    expect(stopped).toBe(true);
    await expect(orders.start('wf', options('after'))).rejects.toMatchObject({ reason: 'stopped' });
    expect(s.snapshot().children).toEqual({ 'creator:orders': 'stopped' });
    supervisor = undefined;
  });

  it("the caller's signal abandons a waiting request with its own reason, and one aborted already is refused at once", async () => {
    const { connector, supervisor: s, orders } = setup();
    s.start();
    await flush();
    connector.fail(); // → backoff: requests wait
    await flush();
    const controller = new AbortController();
    const waiting = orders
      .start('wf', options('abandoned'), { timeout: 60_000, signal: controller.signal })
      .catch((e: unknown) => e);
    await flush();
    expect(orders.pending).toBe(1);
    controller.abort(new Error('caller gave up'));
    expect(await waiting).toMatchObject({ message: 'caller gave up' });
    expect(orders.pending).toBe(0);
    await expect(
      orders.start('wf', options('too-late'), { timeout: 60_000, signal: controller.signal }),
    ).rejects.toMatchObject({ message: 'caller gave up' });
    expect(connector.server.startCalls).toBe(0);
  });

  it('stop() before start() stops the creators too; start() after stop() throws', async () => {
    const { supervisor: s, orders } = setup();
    const stopping = s.stop();
    await flush();
    await stopping;
    expect(s.snapshot().children).toEqual({ 'creator:orders': 'stopped' });
    await expect(orders.start('wf', options('x'))).rejects.toMatchObject({ reason: 'stopped' });
    expect(() => s.start()).toThrow(/was stopped.*Create a new supervisor/);
    expect(s.state).toBe('disconnected');
    supervisor = undefined;
  });

  it('drains a backlog a bounded number at a time, in order, each started once', async () => {
    const { connector, supervisor: s, orders } = setup({ maxPending: 500 });
    s.start();
    await flush();
    // 300 requests wait for the connection; each call is held until the test lets it finish.
    let running = 0;
    let mostAtOnce = 0;
    const gates: (() => void)[] = [];
    const order: number[] = [];
    const calls = Array.from({ length: 300 }, (_, i) =>
      s.withClient(
        () =>
          new Promise<void>((resolve) => {
            running++;
            mostAtOnce = Math.max(mostAtOnce, running);
            order.push(i);
            gates.push(() => {
              running--;
              resolve();
            });
          }),
        { timeout: 60_000 },
      ),
    );
    const started = orders.start('wf', options('after-the-backlog'), { timeout: 60_000 });
    connector.succeed();
    await flush();
    expect(running).toBe(64);
    // A request arriving while the backlog drains queues behind it.
    const late = s.withClient(async () => order.push(-1), { timeout: 60_000 });
    while (gates.length > 0) {
      gates.shift()?.();
      await flush();
    }
    await Promise.all([...calls, late, started]);
    expect(mostAtOnce).toBe(64);
    expect(order).toEqual([...Array.from({ length: 300 }, (_, i) => i), -1]);
    expect(connector.server.startCalls).toBe(1);
    expect(s.snapshot().pendingRequests).toBe(0);
  });

  it('names the known creators when asked for an unknown one', () => {
    const { supervisor: s } = setup();
    expect(() => s.creator('payments')).toThrow(
      /No workflow creator named "payments". Configured creators: orders/,
    );
  });
});
