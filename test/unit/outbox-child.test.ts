/**
 * The outbox dispatcher as a supervised child, from docs/outbox.md ("Under the supervisor") and
 * docs/states.md: each row is what the docs say the child `dispatcher:<name>` does when the connection
 * statechart moves — paused without a serving connection, draining as soon as one serves, stopped by
 * `supervisor.stop()` before the creators it starts through, its starts in flight settled first. The whole
 * supervisor runs on fakes (oracle rig: FakeConnector, ManualClock); the store is a real PGlite.
 */
import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { healthOf, registerMetrics } from '../../src/index.js';
import { embeddedStore } from '../../src/outbox/embedded-store.js';
import { OutboxUnavailableError } from '../../src/outbox/errors.js';
import { registerOutboxMetrics } from '../../src/outbox/metrics.js';
import { createOutbox } from '../../src/outbox/outbox.js';
import { failures, flush, type Rig, rigsStoppedAfterEach } from '../model/oracle-rig.js';
import { usePglite } from '../support/pglite.js';

const pglite = usePglite('child');
const newRig = rigsStoppedAfterEach();

const order = (n: number) => ({
  id: `intent-${n}`,
  workflowType: 'processOrder',
  workflowId: `order-${n}`,
  taskQueue: 'orders',
});

/** Real time passes (PGlite is real) until `check` holds. */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** An outbox `name` on `r`'s supervisor, its store a fresh schema of the PGlite. */
function outboxOn(r: Rig, name = 'orders', options: Record<string, unknown> = {}) {
  return createOutbox({
    supervisor: r.supervisor,
    creator: 'starts',
    name,
    store: { pglite: pglite.db(), schema: pglite.nextSchema() },
    pollInterval: 60_000,
    ...options,
  });
}

async function setup(options: Record<string, unknown> = {}) {
  const r = newRig({ creators: { starts: {} } });
  const outbox = await outboxOn(r, 'orders', options);
  const child = () => r.supervisor.snapshot().children['dispatcher:orders'];
  return { r, outbox, child };
}

describe('docs/outbox.md: the dispatcher is the child dispatcher:<name> of the connection statechart', () => {
  it('shows in the children and in snapshot().outboxes from the moment it is created (paused: not started)', async () => {
    const { r, child } = await setup();
    expect(child()).toBe('paused');
    expect(r.supervisor.snapshot().outboxes.orders).toMatchObject({
      name: 'orders',
      store: 'embedded',
      state: 'paused',
      connected: false,
      failures: 0,
      outcomes: { started: 0, failed: 0, retried: 0, deferred: 0 },
    });
  });

  it.each([
    // [step, what happens, the child's state after it (docs/outbox.md)]
    ['connect', 'CONNECTION_UP: drains, then idle (nothing due)', 'idle'],
    ['lose', 'CONNECTION_DOWN on entering backoff: paused', 'paused'],
    ['reconnect', 'CONNECTION_UP again: drains what waited', 'idle'],
  ] as const)('row %s — %s → %s', async (upTo, _what, expected) => {
    const { r, outbox, child } = await setup();
    const steps = ['connect', 'lose', 'reconnect'];
    for (const step of steps.slice(0, steps.indexOf(upTo) + 1)) {
      if (step === 'connect' || step === 'reconnect') await r.connect();
      if (step === 'lose') {
        r.live().emit({ type: 'lost', failure: failures.unavailable });
        await flush();
        expect(r.supervisor.state).toBe('backoff');
        // While paused, intents wait in the store: nothing is sent.
        await outbox.enqueue(order(1));
      }
    }
    await until(() => child() === expected, `${expected} (is ${child()})`);
    if (upTo === 'lose') {
      expect(r.connector.server.startCalls).toBe(0);
      expect(r.supervisor.snapshot().outboxes.orders?.connected).toBe(false);
    }
    if (upTo === 'reconnect') {
      expect((await outbox.status('intent-1'))?.status).toBe('started');
      expect(r.connector.server.startCalls).toBe(1);
    }
  });

  it('attached while the connection serves, it is told CONNECTION_UP at once and drains what is due', async () => {
    const r = newRig({ creators: { starts: {} } });
    await r.connect();
    const outbox = await outboxOn(r, 'late');
    expect(r.supervisor.snapshot().outboxes.late?.connected).toBe(true);
    await outbox.enqueue(order(2));
    expect((await outbox.wait('intent-2', { timeout: 10_000 })).status).toBe('started');
  });

  it('supervisor.stop() stops the dispatcher first and lets its start in flight settle while the creator still serves', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let sent = false;
    const { r, outbox, child } = await setup({
      testHooks: {
        afterStartSent: async () => {
          sent = true;
          await held;
        },
      },
    });
    await r.connect();
    await outbox.enqueue(order(3));
    await until(() => sent, 'the start sent');
    const stopping = r.supervisor.stop();
    await flush();
    // Dispatchers first: the dispatcher settles, the creator it starts through is not stopped yet.
    expect(child()).toBe('stopping');
    expect(r.supervisor.snapshot().children['creator:starts']).toBe('ready');
    release();
    await until(() => child() === 'stopped', 'the dispatcher stopped');
    for (let i = 0; i < 20 && r.supervisor.state !== 'disconnected'; i++) {
      await flush();
      r.clock.fireNext();
    }
    await stopping;
    expect(r.supervisor.snapshot().children['creator:starts']).toBe('stopped');
    // The start that was in flight was recorded, not left to the lease.
    expect(await outbox.status('intent-3')).toMatchObject({ status: 'started' });
    expect(outbox.state).toBe('stopped');
    await outbox.stop(); // after the supervisor's stop: nothing left to do, resolves
  });

  it('stopped on its own while the supervisor runs, it is told nothing more (no event to a stopped actor)', async () => {
    const { r, outbox, child } = await setup();
    await r.connect();
    await outbox.stop();
    expect(child()).toBe('stopped');
    const warned = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const errored = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      r.live().emit({ type: 'lost', failure: failures.unavailable });
      await flush();
      expect(r.supervisor.state).toBe('backoff');
      await r.connect();
      expect(r.supervisor.state).toBe('connected');
      const said = [...warned.mock.calls, ...errored.mock.calls].map((c) => String(c[0]));
      expect(said.filter((line) => line.includes('stopped actor'))).toEqual([]);
    } finally {
      warned.mockRestore();
      errored.mockRestore();
    }
    expect(child()).toBe('stopped');
  });

  describe('drainRetry.maxFailures and significant (docs/outbox.md): given up, it escalates like a worker', () => {
    /** A store whose every claim fails, as when the database is gone. */
    function storeDown() {
      const base = embeddedStore({ pglite: pglite.db(), schema: pglite.nextSchema() });
      const down = new OutboxUnavailableError('The outbox database failed during claim: gone', {
        operation: 'claim',
      });
      return new Proxy(base, {
        get(target, key) {
          if (key === 'claim') return async () => Promise.reject(down);
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    }

    it.each([
      // [escalation, significant, what the supervisor does once the dispatcher has given up]
      ['fail-liveness', true, 'connected'],
      ['stop', false, 'connected'],
      ['stop', true, 'disconnected'],
    ] as const)(
      'escalation %s, significant %s: 2 failed drains → givenUp, liveness fails; supervisor %s',
      async (escalation, significant, expected) => {
        const r = newRig({ creators: { starts: {} }, escalation });
        r.connector.answerProbes = 3; // a healthy server: only the outbox fails
        await outboxOn(r, 'orders', { store: storeDown(), drainRetry: { maxFailures: 2 }, significant });
        const child = () => r.supervisor.snapshot().children['dispatcher:orders'];
        await r.connect();
        // A significant one escalates at once: the supervisor's stop may already be stopping it. Real time
        // passes (the store is real), timers fire meanwhile.
        const settle = (what: string, check: () => boolean) =>
          until(async () => {
            r.clock.fireNext();
            await flush();
            return check();
          }, what);
        await settle('the dispatcher given up', () =>
          ['givenUp', 'stopping', 'stopped'].includes(child() ?? ''),
        );
        // Exactly maxFailures failed drains: the first → backoff, the second → givenUp.
        expect(r.supervisor.snapshot().outboxes.orders?.failures).toBe(2);
        expect(r.supervisor.snapshot().outboxes.orders?.lastFailure?.message).toContain('gone');
        if (expected === 'disconnected') {
          await settle(
            'the supervisor stopped by the escalation',
            () => r.supervisor.state === 'disconnected',
          );
          expect(child()).toBe('stopped');
        } else {
          await r.advance(1_000);
          expect(r.supervisor.state).toBe(expected);
          expect(child()).toBe('givenUp');
          expect(healthOf(r.supervisor)).toMatchObject({ live: false, givenUp: ['dispatcher:orders'] });
        }
      },
    );

    it('without maxFailures it never gives up: it backs off for ever (capped delay)', async () => {
      const r = newRig({ creators: { starts: {} } });
      await outboxOn(r, 'orders', { store: storeDown(), drainRetry: { initialDelay: 10, maxDelay: 40 } });
      await r.connect();
      await r.advanceUntil(() => (r.supervisor.snapshot().outboxes.orders?.failures ?? 0) >= 20);
      expect(r.supervisor.snapshot().children['dispatcher:orders']).not.toBe('givenUp');
      expect(healthOf(r.supervisor).live).toBe(true);
    });

    it.each([
      [{ drainRetry: { maxFailures: 0 } }, 'drainRetry.maxFailures'],
      [{ drainRetry: { maxFailures: 1.5 } }, 'drainRetry.maxFailures'],
      [{ significant: 'yes' }, 'significant'],
    ])('refuses %j naming %s', async (options, field) => {
      const r = newRig({ creators: { starts: {} } });
      await expect(outboxOn(r, 'orders', options)).rejects.toMatchObject({ name: 'OutboxInputError', field });
    });
  });

  it('refuses a second live outbox of the same name and a stopped supervisor, naming the field', async () => {
    const { r, outbox } = await setup();
    const again = () => outboxOn(r);
    await expect(again()).rejects.toMatchObject({ name: 'OutboxInputError', field: 'name' });
    // Once stopped, the name is free again: the new dispatcher replaces the stopped child.
    await outbox.stop();
    const second = await again();
    expect(r.supervisor.snapshot().children['dispatcher:orders']).toBe('paused');
    expect(second.state).toBe('paused');
    await r.stop();
    await expect(again()).rejects.toMatchObject({ name: 'OutboxInputError', field: 'supervisor' });
  });

  it("the supervisor's snapshot, metrics and transition log carry the outbox's depth and outcomes", async () => {
    const lines: { message: string; meta: Record<string, unknown> }[] = [];
    const line = (message: string, meta?: Record<string, unknown>) =>
      lines.push({ message, meta: meta ?? {} });
    const r = newRig({
      creators: { starts: {} },
      logger: { debug: line, info: line, warn: line, error: line },
    });
    const outbox = await outboxOn(r);
    for (let i = 0; i < 3; i++) await outbox.enqueue(order(10 + i));
    // The depth is read in the background after an enqueue (at most once a second while read).
    await until(() => r.supervisor.snapshot().outboxes.orders?.depth?.pending === 3, 'depth 3');
    const registry = new Registry();
    registerMetrics(r.supervisor, { registry });
    let text = await registry.metrics();
    expect(text).toContain('temporal_supervisor_outbox_intents{outbox="orders",status="pending"} 3');
    expect(text).toContain('temporal_supervisor_outbox_dispatcher_state{outbox="orders",state="paused"} 1');
    // registerOutboxMetrics on the same registry skips what the supervisor's metrics expose already.
    expect(registerOutboxMetrics(outbox, { registry }).names).toEqual([]);
    await r.connect();
    await until(async () => (await outbox.metrics()).depth.started === 3, 'all 3 started');
    await until(() => r.supervisor.snapshot().outboxes.orders?.depth?.pending === 0, 'depth 0');
    text = await registry.metrics();
    expect(text).toContain(
      'temporal_supervisor_outbox_dispatch_outcomes{outbox="orders",outcome="started"} 3',
    );
    expect(text).toContain(
      'temporal_supervisor_transitions_total{actor="dispatcher:orders",from="paused",to="draining"} 1',
    );
    const drained = lines.find(
      (l) =>
        l.message === 'Outbox dispatcher state changed' &&
        l.meta.from === 'paused' &&
        l.meta.to === 'draining',
    );
    expect(drained?.meta).toMatchObject({ dispatcher: 'orders', pending: 3, started: 0, failed: 0 });
  });
});
