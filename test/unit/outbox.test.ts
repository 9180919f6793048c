/**
 * The outbox on the real supervisor runtime (FakeConnector, whose FakeTemporal deduplicates starts by
 * request id as the real server does) over a PGlite store: paused while Temporal is away, drained when it
 * serves, exactly once through lost answers, conflicts parked as dead letters, bad input refused.
 */

import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createSupervisor, type Supervisor } from '../../src/index.js';
import { OutboxInputError } from '../../src/outbox/errors.js';
import { registerOutboxMetrics } from '../../src/outbox/metrics.js';
import { createOutbox, type Outbox } from '../../src/outbox/outbox.js';
import { FakeConnector, flush } from '../support/fake-connector.js';
import { ManualClock } from '../support/manual-clock.js';
import { usePglite } from '../support/pglite.js';

const pglite = usePglite('o');

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Record<string, unknown> = {}) {
  const clock = new ManualClock();
  const connector = new FakeConnector();
  const supervisor: Supervisor = createSupervisor({
    envConfig: false,
    connector,
    clock,
    seed: 1,
    reachabilityInterval: false,
    creators: { outbox: { retryDelay: 10 } },
    ...(options.logger ? { logger: options.logger as never } : {}),
  });
  cleanups.push(async () => {
    for (const attempt of connector.attempts) attempt.reject(new Error('test over'));
    const stopping = supervisor.stop();
    await flush();
    await stopping;
  });
  const outbox: Outbox = await createOutbox({
    supervisor,
    creator: 'outbox',
    store: { pglite: pglite.db(), schema: pglite.nextSchema() },
    pollInterval: 50,
    drainRetry: { initialDelay: 20, maxDelay: 100 },
    retry: { initialDelay: 20, maxDelay: 100 },
    ...options,
  });
  cleanups.push(() => outbox.stop());
  const connect = async () => {
    if (supervisor.state === 'disconnected') supervisor.start();
    await flush();
    connector.succeed();
    await flush();
    expect(supervisor.state).toBe('connected');
  };
  return { clock, connector, supervisor, outbox, connect };
}

const order = (n: number) => ({
  id: `intent-${n}`,
  workflowType: 'processOrder',
  workflowId: `order-${n}`,
  taskQueue: 'orders',
  args: [{ n }],
});

/** Real time passes (the dispatcher's timers and PGlite are real) until `check` holds. */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 10_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('outbox on the supervisor runtime', () => {
  it('keeps intents while Temporal is away, then starts each exactly once when it serves', async () => {
    const { connector, outbox, connect } = await setup();
    for (let i = 0; i < 30; i++) await outbox.enqueue(order(i));
    expect(outbox.state).toBe('paused');
    expect(connector.server.startCalls).toBe(0);
    expect((await outbox.metrics()).depth).toMatchObject({ pending: 30, started: 0 });
    await connect();
    await until(async () => (await outbox.metrics()).depth.started === 30, 'all 30 started');
    expect(connector.server.executions.size).toBe(30);
    expect(connector.server.startCalls).toBe(30);
    for (let i = 0; i < 30; i++) {
      const status = await outbox.status(`intent-${i}`);
      expect(status).toMatchObject({
        status: 'started',
        runId: connector.server.executions.get(`order-${i}`)?.runId,
      });
      expect(connector.server.executions.get(`order-${i}`)?.requestId).toBe(`intent-${i}`);
    }
    expect(outbox.snapshot().outcomes).toMatchObject({ started: 30, failed: 0 });
    await until(() => outbox.state === 'idle', 'idle');
  });

  it('wakes at once on a new intent and wait() returns its run', async () => {
    const { connector, outbox, connect } = await setup({ pollInterval: 60_000 });
    await connect();
    await until(() => outbox.state === 'idle', 'idle');
    await outbox.enqueue(order(1));
    const status = await outbox.wait('intent-1', { timeout: 5_000 });
    expect(status).toMatchObject({
      status: 'started',
      runId: connector.server.executions.get('order-1')?.runId,
    });
  });

  it('a start whose answer was lost is retried with the same request id and gets its own run back', async () => {
    const { connector, outbox, connect, clock } = await setup();
    await connect();
    connector.server.inject('unavailable-after');
    await outbox.enqueue(order(1));
    // The creator retries the lost answer after its retryDelay, on the supervisor's clock.
    await until(async () => {
      clock.advance(20);
      await flush();
      return (await outbox.status('intent-1'))?.status === 'started';
    }, 'started after a lost answer');
    expect(connector.server.startCalls).toBe(2);
    expect(connector.server.executions.size).toBe(1);
    expect(await outbox.status('intent-1')).toMatchObject({
      status: 'started',
      runId: connector.server.executions.get('order-1')?.runId,
    });
  });

  it("parks an intent whose workflow id is someone else's execution as failed ALREADY_STARTED, not a retry loop", async () => {
    const lines: { level: string; message: string; meta: Record<string, unknown> | undefined }[] = [];
    const line = (level: string) => (message: string, meta?: Record<string, unknown>) => {
      lines.push({ level, message, meta });
      if (level === 'debug') throw new Error('a hostile logger'); // must not break dispatching
    };
    const logger = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
    const { connector, supervisor, outbox, connect } = await setup({ logger });
    await connect();
    await supervisor.creator('outbox').start('processOrder', { workflowId: 'order-7', taskQueue: 'orders' });
    await outbox.enqueue(order(7));
    const status = await outbox.wait('intent-7', { timeout: 5_000 });
    expect(status).toMatchObject({ status: 'failed', reason: 'ALREADY_STARTED', attempts: 1 });
    expect(connector.server.startCalls).toBe(2);
    expect(outbox.snapshot().outcomes).toMatchObject({ failed: 1, failedByReason: { ALREADY_STARTED: 1 } });
    expect(lines).toContainEqual({
      level: 'warn',
      message: 'Outbox intent failed permanently',
      meta: expect.objectContaining({ outbox: 'outbox', id: 'intent-7', reason: 'ALREADY_STARTED' }),
    });
    // The dispatcher's state changes are the supervisor's log lines now (it is the supervisor's child).
    expect(lines).toContainEqual({
      level: 'info',
      message: 'Outbox dispatcher state changed',
      meta: expect.objectContaining({ dispatcher: 'outbox', from: 'paused', to: 'draining' }),
    });
  });

  it('enqueue refuses bad input with the field named, and stores nothing', async () => {
    const { outbox } = await setup();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const cases: [unknown, string][] = [
      [{ ...order(1), args: [new Date(0)] }, 'args[0]'],
      [{ ...order(1), args: [1n] }, 'args[0]'],
      [{ ...order(1), args: [{ when: () => 1 }] }, 'args[0].when'],
      [{ ...order(1), args: [cyclic] }, 'args[0].self'],
      [{ ...order(1), args: [Number.NaN] }, 'args[0]'],
      [{ ...order(1), args: [new Map()] }, 'args[0]'],
      [{ ...order(1), args: [undefined] }, 'args[0]'],
      [{ ...order(1), args: ['x'.repeat(3 * 1024 * 1024)] }, 'args'],
      [{ ...order(1), workflowId: '' }, 'workflowId'],
      [{ ...order(1), taskQueue: 42 }, 'taskQueue'],
      [{ ...order(1), id: 'x'.repeat(256) }, 'id'],
      [{ ...order(1), args: 'not an array' }, 'args'],
      [{ ...order(1), options: { searchAttributes: {} } }, 'options.searchAttributes'],
      [{ ...order(1), options: { workflowRunTimeout: 'soonish' } }, 'options.workflowRunTimeout'],
      [{ ...order(1), options: { retry: { initialInterval: -5 } } }, 'options.retry.initialInterval'],
      [null, 'intent'],
    ];
    for (const [input, field] of cases) {
      const error = await outbox.enqueue(input as never).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(OutboxInputError);
      expect((error as OutboxInputError).field, String((error as Error).message)).toBe(field);
    }
    expect((await outbox.metrics()).depth.pending).toBe(0);
  });

  it('reports depth and the age of the oldest pending intent; its snapshot holds no secret', async () => {
    const { outbox } = await setup();
    await outbox.enqueue(order(1));
    await new Promise((resolve) => setTimeout(resolve, 60));
    await outbox.enqueue(order(2));
    const metrics = await outbox.metrics();
    expect(metrics.depth).toMatchObject({ pending: 2, started: 0, failed: 0 });
    expect(metrics.depth.oldestPendingAgeMs).toBeGreaterThanOrEqual(50);
    expect(metrics).toMatchObject({ name: 'outbox', store: 'embedded', state: 'paused', connected: false });
    expect(JSON.parse(JSON.stringify(outbox))).toMatchObject({ name: 'outbox', state: 'paused' });
  });

  it('exposes depth, oldest age, dispatcher state and outcomes as Prometheus gauges', async () => {
    const { outbox, connect } = await setup();
    await outbox.enqueue(order(1));
    await outbox.enqueue(order(2));
    const metrics = registerOutboxMetrics(outbox, { registry: new Registry() });
    let text = await metrics.registry.metrics();
    expect(text).toContain('temporal_supervisor_outbox_intents{outbox="outbox",status="pending"} 2');
    expect(text).toContain('temporal_supervisor_outbox_dispatcher_state{outbox="outbox",state="paused"} 1');
    expect(text).toMatch(
      /temporal_supervisor_outbox_oldest_pending_age_seconds\{outbox="outbox"\} 0\.\d+|temporal_supervisor_outbox_oldest_pending_age_seconds\{outbox="outbox"\} [1-9]/,
    );
    await connect();
    await outbox.wait('intent-2', { timeout: 5_000 });
    await outbox.wait('intent-1', { timeout: 5_000 });
    text = await metrics.registry.metrics();
    expect(text).toContain('temporal_supervisor_outbox_intents{outbox="outbox",status="started"} 2');
    expect(text).toContain('temporal_supervisor_outbox_intents{outbox="outbox",status="pending"} 0');
    expect(text).toContain(
      'temporal_supervisor_outbox_dispatch_outcomes{outbox="outbox",outcome="started"} 2',
    );
    expect(() => registerOutboxMetrics(outbox, { registry: metrics.registry })).toThrow(/already registered/);
    metrics.dispose();
    expect(await metrics.registry.metrics()).toBe('\n');
  });

  it('refuses an unknown creator and bad options with the field named', async () => {
    const { supervisor } = await setup();
    await expect(
      createOutbox({ supervisor, creator: 'nope', store: { pglite: pglite.db() } }),
    ).rejects.toMatchObject({
      name: 'OutboxInputError',
      field: 'creator',
    });
    for (const [options, field] of [
      [{ leaseTime: '1s', dispatchTimeout: '2s' }, 'dispatchTimeout'],
      [{ batchSize: 0 }, 'batchSize'],
      [{ pollInterval: 'soon' }, 'pollInterval'],
      [{ store: { pglite: pglite.db(), schema: 'Bad-Name' } }, 'store.schema'],
    ] as const) {
      await expect(
        createOutbox({
          supervisor,
          creator: 'outbox',
          store: { pglite: pglite.db() },
          ...(options as object),
        }),
      ).rejects.toMatchObject({ name: 'OutboxInputError', field });
    }
  });
});
